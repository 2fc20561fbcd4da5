/**
 * A tiny receiver on 127.0.0.1 that answers whatever a test says, usually a
 * body that echoes the credential header back (as some misconfigured
 * proxies and error pages do), so that tests can check the credential is
 * redacted wherever the answer ends up.
 *
 * @module
 */

/** One request the receiver got. */
export interface EchoRequest {
  /** The request method. */
  method: string;
  /** The URL path, still percent-encoded. */
  path: string;
  /** The `Authorization` header, if any. */
  authorization: string | null;
  /** The `DD-API-KEY` header, if any. */
  ddApiKey: string | null;
  /** The body as text. */
  body: string;
}

/**
 * Builds the answer to a request.
 *
 * @param credential The credential header as sent (`Authorization`, else
 * `DD-API-KEY`, else `""`).
 * @param request The request.
 * @param index The request's position, from 0.
 */
export type Responder = (
  credential: string,
  request: EchoRequest,
  index: number,
) => Response;

/** A running echo receiver. */
export interface EchoReceiver extends AsyncDisposable {
  /** Its base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Every request received, in order. */
  requests: EchoRequest[];
  /** Stops it and waits until it has stopped. */
  close(): Promise<void>;
}

/**
 * Starts a receiver on 127.0.0.1 (free port) answering with `respond`.
 *
 * @param respond The answer to each request.
 * @returns The receiver.
 */
export function startEchoReceiver(respond: Responder): EchoReceiver {
  const shutdown = new AbortController();
  const requests: EchoRequest[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: shutdown.signal,
    onListen(): void {},
  }, async (request): Promise<Response> => {
    const record: EchoRequest = {
      method: request.method,
      path: new URL(request.url).pathname,
      authorization: request.headers.get("authorization"),
      ddApiKey: request.headers.get("dd-api-key"),
      body: await request.text(),
    };
    const index = requests.length;
    requests.push(record);
    return respond(
      record.authorization ?? record.ddApiKey ?? "",
      record,
      index,
    );
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (() => {
      shutdown.abort();
      return server.finished;
    })();
    return closing;
  };
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A JSON answer. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A plain-text answer. */
export function plain(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
