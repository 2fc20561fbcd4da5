/**
 * Shared base for the fake SIEM receivers: server lifecycle, request
 * recording, body decoding and fault injection.
 *
 * @module
 */

/** A fault to inject instead of the platform's normal answer. */
export interface Fault {
  /** Answer this status (200..599). */
  status?: number;
  /** Answer this body instead of the platform's own error body for `status`. */
  body?: string;
  /** Extra response headers, e.g. `{ "Retry-After": "2" }`. */
  headers?: Record<string, string>;
  /** Never answer: the request stays open until the client aborts it or `close()` runs. */
  hang?: boolean;
  /** Start a 200 response whose body stream then errors (connection dropped mid-body). */
  reset?: boolean;
}

/** One request as a fake received it. */
export interface RecordedRequest {
  /** HTTP method, e.g. `"POST"`. */
  method: string;
  /** URL path, still percent-encoded, e.g. `"/services/collector/event"`. */
  path: string;
  /** Query string including the leading `?`, or `""`. */
  search: string;
  /** A copy of the request headers. */
  headers: Headers;
  /** The body exactly as received (possibly compressed). */
  rawBody: Uint8Array;
  /** The decoded body; equal to `rawBody` when it was not (or could not be) decoded. */
  body: Uint8Array;
  /** The status answered, or 0 for a hang or a reset. */
  status: number;
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const RESET_PREFIX = new TextEncoder().encode('{"');
const REASON_PHRASES: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The HTTP reason phrase for a status, or `"Error"` for an unusual one. */
export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? "Error";
}

/** A response with a JSON body and `Content-Type: application/json`. */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A response with no body. */
export function emptyResponse(status: number): Response {
  return new Response(null, { status });
}

/**
 * Base class of the fakes. A subclass supplies `handle` (the platform's
 * strict checks) and `faultResponse` (its error body for an injected status).
 */
export abstract class FakeReceiver implements AsyncDisposable {
  /** Base URL without a trailing slash, e.g. `"http://127.0.0.1:41234"`. */
  readonly url: string;
  /** Every request received, in arrival order, recorded before it is answered. */
  readonly requests: RecordedRequest[] = [];
  readonly #encodings: readonly string[];
  readonly #shutdown = new AbortController();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #queue: Fault[] = [];
  #down: Fault | null = null;
  #refuse: ((body: string) => Fault | undefined) | undefined;
  #closing: Promise<void> | undefined;

  /** Starts listening on 127.0.0.1 on a free port; `encodings` lists the Content-Encodings decoded. */
  constructor(encodings: readonly string[]) {
    this.#encodings = encodings;
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      signal: this.#shutdown.signal,
      onListen(): void {},
      // Reached only when a reset body errors on purpose: stay quiet.
      onError: (): Response => emptyResponse(500),
    }, (request) => this.#serve(request));
    this.url = `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Gives the next requests these faults, one each, in order; a fault without status/hang/reset lets its request through. */
  failNext(...faults: Fault[]): void {
    faults.forEach(checkFault);
    this.#queue.push(...faults);
  }

  /** While `fault` is set, every request gets it (queued faults wait); `null` clears it. */
  down(fault: Fault | null): void {
    if (fault !== null) checkFault(fault);
    this.#down = fault;
  }

  /**
   * Refuses each request whose decoded body `select` picks with the fault it
   * returns (as a server refuses a body for something in it); queued and
   * `down` faults come first; `undefined` clears.
   */
  refuseWhen(select: ((body: string) => Fault | undefined) | undefined): void {
    this.#refuse = select;
  }

  /** Drops open (hanging) connections, stops the server and waits for it; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (() => {
      // Aborting the serve signal cancels in-flight connections (not a graceful drain).
      this.#shutdown.abort();
      return this.#server.finished;
    })();
    return this.#closing;
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The platform's answer. `encodingError` is the Content-Encoding that could
   * not be decoded (unsupported or corrupt), else `null`.
   */
  protected abstract handle(
    request: RecordedRequest,
    encodingError: string | null,
  ): Response | Promise<Response>;

  /** The platform's own response for an injected fault status. */
  protected abstract faultResponse(
    status: number,
    request: RecordedRequest,
  ): Response;

  async #serve(request: Request): Promise<Response> {
    const url = new URL(request.url);
    let rawBody: Uint8Array<ArrayBuffer>;
    try {
      rawBody = new Uint8Array(await request.arrayBuffer());
    } catch {
      rawBody = new Uint8Array(0); // the client went away mid-upload
    }
    const queued = this.#takeFault();
    const decoded = await this.#decode(rawBody, request.headers);
    const fault = queued ??
      this.#refuse?.(new TextDecoder().decode(decoded.body));
    if (fault !== undefined) checkFault(fault);
    const record: RecordedRequest = {
      method: request.method,
      path: url.pathname,
      search: url.search,
      headers: new Headers(request.headers),
      rawBody,
      body: decoded.body,
      status: 0,
    };
    this.requests.push(record);
    // A hang never settles: Deno drops the request itself when the client
    // disconnects, and close() cancels every open connection. Answering late
    // (after watching request.signal) would make Deno 2.9 print its
    // "request.signal aborts on successful responses" warning.
    if (fault?.hang) return new Promise<Response>(() => {});
    if (fault?.reset) return resetResponse(fault.headers ?? {});
    let response: Response;
    try {
      response = fault?.status === undefined
        ? await this.handle(record, decoded.error)
        : this.#faultResponse(fault.status, fault, record);
    } catch (error) {
      const message = error instanceof Error ? error.stack : String(error);
      response = new Response(`fake receiver bug: ${message}`, {
        status: 500,
      });
    }
    record.status = response.status;
    return response;
  }

  #takeFault(): Fault | undefined {
    const fault = this.#down ?? this.#queue.shift();
    if (fault === undefined) return undefined;
    const active = fault.status !== undefined || fault.hang === true ||
      fault.reset === true;
    return active ? fault : undefined;
  }

  async #decode(
    raw: Uint8Array<ArrayBuffer>,
    headers: Headers,
  ): Promise<{ body: Uint8Array; error: string | null }> {
    const encoding = (headers.get("content-encoding") ?? "").trim()
      .toLowerCase();
    if (encoding === "" || encoding === "identity") {
      return { body: raw, error: null };
    }
    if (!this.#encodings.includes(encoding)) {
      return { body: raw, error: encoding };
    }
    try {
      const format = encoding as CompressionFormat;
      const stream = new Blob([raw]).stream().pipeThrough(
        new DecompressionStream(format),
      );
      return {
        body: new Uint8Array(await new Response(stream).arrayBuffer()),
        error: null,
      };
    } catch {
      return { body: raw, error: encoding };
    }
  }

  #faultResponse(
    status: number,
    fault: Fault,
    record: RecordedRequest,
  ): Response {
    let response: Response;
    if (fault.body === undefined) {
      response = this.faultResponse(status, record);
    } else {
      const body = NULL_BODY_STATUSES.has(status) ? null : fault.body;
      const type = /^\s*[[{]/.test(fault.body)
        ? "application/json"
        : "text/plain;charset=UTF-8";
      response = new Response(body, {
        status,
        headers: { "content-type": type },
      });
    }
    for (const [name, value] of Object.entries(fault.headers ?? {})) {
      response.headers.set(name, value);
    }
    return response;
  }
}

function checkFault(fault: Fault): void {
  const { status } = fault;
  if (
    status !== undefined &&
    (!Number.isInteger(status) || status < 200 || status > 599)
  ) {
    throw new RangeError(`Fault status must be 200..599, got ${status}`);
  }
}

function resetResponse(headers: Record<string, string>): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller): void {
      controller.enqueue(RESET_PREFIX);
    },
    pull(controller): void {
      controller.error(new Error("fake receiver: connection reset"));
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "application/json", ...headers },
  });
}
