/**
 * SIEM audit middleware for Hono: one audit event per request, without glue
 * code.
 *
 * @module
 */
import type { Context } from "hono";
import { matchedRoutes, routePath } from "hono/route";
import type { AuditEventInput } from "../events/audit_event.ts";
import { consoleLogger } from "../delivery/console_logger.ts";
import type { AuditEventTarget } from "./audit_target.ts";
import { toJsonSafe } from "./json_safe.ts";

/** Request headers never recorded, whatever the options say. */
export const CREDENTIAL_HEADERS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
];

/** The longest correlation id taken from a request header, in characters. */
export const MAX_CORRELATION_ID_LENGTH = 200;

/**
 * The request, as the option functions see it: the parts of Hono's
 * `HonoRequest` they may read (`raw` is the whole `Request`).
 */
export interface HonoRequestLike {
  /** The method, such as `"GET"`. */
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  /** The request itself. */
  readonly raw: Request;
  /** One request header's value. */
  header(name: string): string | undefined;
}

/**
 * The parts of Hono's `Context` the middleware and its option functions use
 * (typed here, not imported, so that this API reads whole without Hono's
 * types). Hono's `Context<E>` is one, for the `E` of your app.
 *
 * @typeParam V The app's context variables (`Variables` of its `Env`).
 */
export interface HonoContextLike<V extends object = Record<string, unknown>> {
  /** The request. */
  readonly req: HonoRequestLike;
  /** The response, once a handler has answered. */
  readonly res: Response;
  /** The error a handler threw, once Hono's error handler has answered it. */
  readonly error?: unknown;
  /** One context variable (set with `c.set()` by earlier middleware). */
  get<K extends keyof V>(key: K): V[K];
}

/** The part of a Hono app's `Env` the middleware's types read. */
export interface HonoEnvLike {
  /** The context variables, such as `{ user: string }`. */
  Variables?: object;
}

/**
 * The context variables of an app's `Env`, or any variables (read as
 * `unknown`) for an app that declares none.
 *
 * @typeParam E The app's `Env`.
 */
export type VariablesOf<E extends HonoEnvLike> = E["Variables"] extends object
  ? E["Variables"]
  : Record<string, unknown>;

/**
 * The context the option functions get.
 *
 * @typeParam E The app's `Env`.
 */
export type SIEMAuditContext<E extends HonoEnvLike> = HonoContextLike<
  VariablesOf<E>
>;

/**
 * The middleware {@linkcode siemAudit} returns: a Hono middleware handler,
 * given to `app.use()` or a route.
 *
 * @typeParam E The app's `Env`.
 */
export type SIEMAuditMiddleware<E extends HonoEnvLike> = (
  c: SIEMAuditContext<E>,
  next: () => Promise<void>,
) => Promise<void>;

/**
 * Options of {@linkcode siemAudit}.
 *
 * @typeParam E The app's `Env`, for typed `c.get()` in the option functions.
 */
export interface SIEMAuditOptions<E extends HonoEnvLike = HonoEnvLike> {
  /** Where events go: a `SIEMIntegrator`, or anything with `exportEvent`. */
  integrator: AuditEventTarget;
  /**
   * Who made the request, read after the handler ran (so that
   * authentication middleware mounted after this one has set the user). An
   * empty or missing answer is `"anonymous"`; one that throws is
   * `"unknown"` and the error goes to `onError`.
   */
  actor?: ((c: SIEMAuditContext<E>) => string | undefined) | undefined;
  /** The user's session id, read after the handler ran, if any. */
  sessionId?: ((c: SIEMAuditContext<E>) => string | undefined) | undefined;
  /**
   * The request header holding the correlation id. Without it (or when it
   * is longer than {@linkcode MAX_CORRELATION_ID_LENGTH}), the `requestId`
   * set by Hono's `requestId()` middleware is used, else a random UUID.
   *
   * @default {"x-request-id"}
   */
  correlationHeader?: string | undefined;
  /**
   * Also record a `"request"` event (status `"pending"`) when a request
   * arrives, before its handler runs, with the same correlation id as the
   * response's event. Its actor is read at arrival.
   *
   * @default {false}
   */
  recordRequests?: boolean | undefined;
  /**
   * Request headers recorded in `metadata.headers` (names, any case). The
   * credential headers ({@linkcode CREDENTIAL_HEADERS}) are refused.
   *
   * @default {["user-agent"]}
   */
  recordHeaders?: readonly string[] | undefined;
  /**
   * Record the request and response bodies (their first `maxBodyBytes`, as
   * UTF-8 text) in `metadata.request_body` and `metadata.response_body`.
   * The bodies are read from clones while the response goes out; the event
   * is recorded once both are read.
   *
   * @default {false}
   */
  recordBodies?: boolean | undefined;
  /**
   * How much of each body is recorded, in bytes; a longer one is cut and
   * `metadata.request_body_truncated` (or `response_body_truncated`) is
   * `true`.
   *
   * @default {4096}
   */
  maxBodyBytes?: number | undefined;
  /**
   * Extra metadata, read after the handler ran; the middleware's own keys
   * (`method`, `route`, `path`, `http_status`, `headers`, bodies) win over
   * the same keys here. Values are copied as JSON data (dates as ISO
   * strings, errors as `{ name, message }`).
   */
  metadata?:
    | ((c: SIEMAuditContext<E>) => Record<string, unknown> | undefined)
    | undefined;
  /** The clock for `timestamp` and `duration_ms`; default `Date.now`. */
  clock?: { now(): number } | undefined;
  /**
   * Called when an event cannot be recorded (the integrator refused it or
   * is stopped, an option's function threw). The response is never
   * affected. Default: written to the console.
   */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * Records an audit event for every request the routes it wraps answer.
 *
 * One event per request, after the handler ran:
 *
 * - `event_type`: `"response"`, or `"error"` when the handler threw (the
 *   error stays Hono's: it is handled by `app.onError` as before, and what
 *   Hono does not handle is thrown on unchanged).
 * - `status`: `"success"` for HTTP 1xx to 3xx, `"error"` for 4xx and 5xx
 *   and when the handler threw (so a refused login is an error in the
 *   SIEM); the HTTP status is `metadata.http_status`.
 * - `action`: the method and the route pattern that answered, such as
 *   `"GET /orders/:id"`, never the URL with its ids (so that a SIEM can count
 *   by route); the path itself is `metadata.path`, without the query string
 *   (which may carry tokens).
 * - `correlation_id`: the `x-request-id` header (see `correlationHeader`),
 *   else Hono's `requestId`, else a random UUID.
 * - `actor`, `session_id`: from the option functions; `duration_ms`: from the
 *   request's arrival to the handler's end; `error_message`: the thrown
 *   error's message.
 *
 * With `recordRequests`, a `"request"` event (status `"pending"`) is also
 * recorded at arrival; its action is the pattern of the last route matched
 * for a method (the handler that will most likely answer).
 *
 * The event is handed to `integrator.exportEvent`, which buffers it and
 * returns (it never waits on the network; delivery runs on the
 * integrator's timer), so the response is never held up by a SIEM. Bodies
 * are not recorded unless `recordBodies` is set; the `Authorization`,
 * `Proxy-Authorization`, `Cookie` and `Set-Cookie` headers never are.
 *
 * @example Auditing an API
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import type { AuditEventInput } from "@harombe/siem";
 * import { siemAudit } from "@harombe/siem/hono";
 *
 * const events: AuditEventInput[] = [];
 * const integrator = { exportEvent: (e: AuditEventInput) => events.push(e) };
 *
 * const app = new Hono();
 * app.use("/api/*", siemAudit({ integrator, actor: () => "alice" }));
 * app.get("/api/orders/:id", (c) => c.json({ id: c.req.param("id") }));
 *
 * await app.request("/api/orders/42", { headers: { "x-request-id": "req-1" } });
 * assert.equal(events[0]?.action, "GET /api/orders/:id");
 * assert.equal(events[0]?.correlation_id, "req-1");
 * assert.equal(events[0]?.status, "success");
 * ```
 *
 * @typeParam E The app's environment (its `Variables` and `Bindings`).
 * @param options The event target and what to record.
 * @returns The middleware.
 * @throws {TypeError} When `integrator` has no `exportEvent`, or a
 * credential header is asked for.
 * @throws {RangeError} When `maxBodyBytes` is not a positive integer.
 */
export function siemAudit<E extends HonoEnvLike = HonoEnvLike>(
  options: SIEMAuditOptions<E>,
): SIEMAuditMiddleware<E> {
  const settings = checkOptions(options);
  const { integrator, clock, recordBodies, maxBodyBytes } = settings;
  const report = options.onError ?? reportToConsole;

  const record = (event: AuditEventInput): void => {
    try {
      integrator.exportEvent(event);
    } catch (error) {
      report(error);
    }
  };

  return async function siemAudit(context, next): Promise<void> {
    // Hono hands its own Context, which the route helpers read.
    const c = context as unknown as Context;
    const start = clock.now();
    const correlationId = correlationIdOf(c, settings.correlationHeader);
    const requestBody = recordBodies
      ? readBody(c.req.raw, maxBodyBytes)
      : undefined;
    if (settings.recordRequests) {
      const expected = expectedRoute(c);
      record({
        correlation_id: correlationId,
        timestamp: new Date(start).toISOString(),
        event_type: "request",
        actor: callActor(options.actor, context, report),
        action: `${c.req.method} ${expected}`,
        metadata: requestMetadata(c, expected, settings.headers),
        status: "pending",
      });
    }
    let thrown: { error: unknown } | undefined;
    try {
      await next();
    } catch (error) {
      thrown = { error };
    }
    const end = clock.now();
    const error = thrown ? thrown.error : c.error;
    const route = routePath(c);
    let metadata = requestMetadata(c, route, settings.headers);
    // Thrown past Hono (not an Error): the runtime answers, not the app.
    const httpStatus = thrown ? undefined : c.res.status;
    if (httpStatus !== undefined) metadata.http_status = httpStatus;
    const event: AuditEventInput = {
      correlation_id: correlationId,
      timestamp: new Date(start).toISOString(),
      event_type: error === undefined ? "response" : "error",
      actor: callActor(options.actor, context, report),
      action: `${c.req.method} ${route}`,
      metadata,
      duration_ms: Math.max(0, Math.round(end - start)),
      status: error === undefined && httpStatus !== undefined &&
          httpStatus < 400
        ? "success"
        : "error",
    };
    if (error !== undefined) event.error_message = messageOf(error);
    if (options.sessionId) {
      try {
        const session = options.sessionId(context);
        if (session) event.session_id = session;
      } catch (sessionError) {
        report(sessionError);
      }
    }
    if (options.metadata) {
      try {
        const extra = toJsonSafe(options.metadata(context));
        if (typeof extra === "object" && extra !== null) {
          metadata = { ...extra, ...metadata };
          event.metadata = metadata;
        }
      } catch (metadataError) {
        report(metadataError);
      }
    }
    if (requestBody) {
      const responseBody = thrown ? undefined : responseBodyOf(c, maxBodyBytes);
      // Not awaited: the response goes out while its clone is read.
      void Promise.all([requestBody, responseBody]).then(([req, res]) => {
        addBody(metadata, "request", req);
        addBody(metadata, "response", res);
        record(event);
      }, report);
    } else {
      record(event);
    }
    if (thrown) throw thrown.error;
  };
}

interface Settings {
  integrator: AuditEventTarget;
  clock: { now(): number };
  correlationHeader: string;
  recordRequests: boolean;
  headers: readonly string[];
  recordBodies: boolean;
  maxBodyBytes: number;
}

// Mistakes in the options fail when the app is built, not per request.
function checkOptions<E extends HonoEnvLike>(
  options: SIEMAuditOptions<E>,
): Settings {
  if (typeof options?.integrator?.exportEvent !== "function") {
    throw new TypeError(
      "Cannot create siemAudit: 'integrator' must have an exportEvent method (a SIEMIntegrator)",
    );
  }
  const headers = (options.recordHeaders ?? ["user-agent"]).map((name) =>
    name.toLowerCase()
  );
  const correlationHeader = (options.correlationHeader ?? "x-request-id")
    .toLowerCase();
  for (const name of [...headers, correlationHeader]) {
    if (CREDENTIAL_HEADERS.includes(name)) {
      throw new TypeError(
        `Cannot create siemAudit: the ${name} header is never recorded (it carries credentials): current value is ${
          JSON.stringify(name)
        }`,
      );
    }
  }
  const maxBodyBytes = options.maxBodyBytes ?? 4096;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new RangeError(
      `Cannot create siemAudit: 'maxBodyBytes' must be a positive integer: current value is ${maxBodyBytes}`,
    );
  }
  return {
    integrator: options.integrator,
    clock: options.clock ?? Date,
    correlationHeader,
    recordRequests: options.recordRequests ?? false,
    headers,
    recordBodies: options.recordBodies ?? false,
    maxBodyBytes,
  };
}

function reportToConsole(error: unknown): void {
  consoleLogger.error("cannot record a Hono audit event", {
    error: messageOf(error),
  });
}

function correlationIdOf(c: Context, header: string): string {
  const requestId = (c as unknown as { get(key: string): unknown }).get(
    "requestId",
  );
  if (typeof requestId === "string" && isUsableId(requestId)) return requestId;
  const value = c.req.raw.headers.get(header);
  if (value !== null && isUsableId(value)) return value;
  return crypto.randomUUID();
}

function isUsableId(value: string): boolean {
  return value !== "" && value.length <= MAX_CORRELATION_ID_LENGTH &&
    value.isWellFormed();
}

// Before the handler runs, the route that will answer is not known yet: the
// last matched route registered for a method is the handler in the usual
// layout (middleware with app.use, handlers with app.get and the like).
function expectedRoute(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    if (routes[i]!.method !== "ALL") return routes[i]!.path;
  }
  return routePath(c, -1);
}

function requestMetadata(
  c: Context,
  route: string,
  names: readonly string[],
): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    method: c.req.method,
    route,
    path: c.req.path,
  };
  if (names.length > 0) {
    const headers: Record<string, string> = {};
    let found = false;
    for (const name of names) {
      const value = c.req.raw.headers.get(name);
      if (value !== null) {
        headers[name] = value;
        found = true;
      }
    }
    if (found) metadata.headers = headers;
  }
  return metadata;
}

function callActor<E extends HonoEnvLike>(
  actor: SIEMAuditOptions<E>["actor"],
  c: SIEMAuditContext<E>,
  report: (error: unknown) => void,
): string {
  if (!actor) return "anonymous";
  try {
    return actor(c) || "anonymous";
  } catch (error) {
    report(error);
    return "unknown";
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

interface BodyPrefix {
  text: string;
  truncated: boolean;
}

function readBody(
  message: Request | Response,
  maxBytes: number,
): Promise<BodyPrefix | undefined> | undefined {
  if (message.body === null || message.bodyUsed) return undefined;
  try {
    return readPrefix(message.clone().body!, maxBytes);
  } catch {
    return undefined;
  }
}

function responseBodyOf(
  c: Context,
  maxBytes: number,
): Promise<BodyPrefix | undefined> | undefined {
  return readBody(c.res, maxBytes);
}

// Reads at most maxBytes (one chunk more, to know whether there was more),
// then cancels this branch of the tee: the other branch, the one the
// handler or the client reads, goes on. An incomplete last character is
// left out.
async function readPrefix(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<BodyPrefix | undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  let truncated = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = maxBytes - size;
      text += decoder.decode(value.subarray(0, room), { stream: true });
      size += value.length;
      if (size > maxBytes) {
        truncated = true;
        break;
      }
    }
  } catch {
    return undefined;
  } finally {
    reader.cancel().catch(() => {});
  }
  if (!truncated) text += decoder.decode();
  return { text, truncated };
}

function addBody(
  metadata: Record<string, unknown>,
  which: "request" | "response",
  body: BodyPrefix | undefined,
): void {
  if (body === undefined) return;
  metadata[`${which}_body`] = body.text;
  if (body.truncated) metadata[`${which}_body_truncated`] = true;
}
