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
import { toJsonSafe } from "./json_safe.ts";
import type {
  HonoEnvLike,
  SIEMAuditContext,
  SIEMAuditMiddleware,
} from "./hono_context.ts";
import { checkOptions, type SIEMAuditOptions } from "./hono_options.ts";
import { addBody, readBody, responseBodyOf } from "./body_prefix.ts";

/** The longest correlation id taken from a request header, in characters. */
export const MAX_CORRELATION_ID_LENGTH = 200;

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

function reportToConsole(error: unknown): void {
  consoleLogger.error("cannot record a Hono audit event", {
    error: messageOf(error),
  });
}

// The configured header first, as documented: with Hono's requestId()
// middleware in front, a custom correlation header must still win.
function correlationIdOf(c: Context, header: string): string {
  const value = c.req.raw.headers.get(header);
  if (value !== null && isUsableId(value)) return value;
  const requestId = (c as unknown as { get(key: string): unknown }).get(
    "requestId",
  );
  if (typeof requestId === "string" && isUsableId(requestId)) return requestId;
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
