/**
 * The options of the Hono audit middleware and their checks.
 *
 * @module
 */
import type { AuditEventTarget } from "./audit_target.ts";
import type { HonoEnvLike, SIEMAuditContext } from "./hono_context.ts";

/** Request headers never recorded, whatever the options say. */
export const CREDENTIAL_HEADERS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
];

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

/** The options, checked and with their defaults. */
export interface Settings {
  integrator: AuditEventTarget;
  clock: { now(): number };
  correlationHeader: string;
  recordRequests: boolean;
  headers: readonly string[];
  recordBodies: boolean;
  maxBodyBytes: number;
}

// Mistakes in the options fail when the app is built, not per request.
export function checkOptions<E extends HonoEnvLike>(
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
