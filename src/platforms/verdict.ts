/**
 * What a SIEM's answer to one batch means for each of its events.
 *
 * @module
 */

/** One event of a batch that was not delivered, by its position in the batch. */
export interface EventFailure {
  /** The event's position in the batch, from 0. */
  index: number;
  /** The platform's reason, without any credential. */
  reason: string;
  /**
   * The status the platform gave this event, when it answers per event
   * (an Elasticsearch bulk item's `status`); dead letters carry it.
   */
  status?: number | undefined;
}

/**
 * What a SIEM's answer to one batch means:
 * - `delivered`: every event was accepted.
 * - `retry`: nothing was accepted, and the same batch may succeed later
 *   (network errors, timeouts, 408, 429, 5xx, busy). A `setup` hint marks a
 *   setup error that an operator must fix (a wrong or revoked credential, a
 *   wrong endpoint or path, an answer that is not the platform's, a TLS or
 *   plain-HTTP mix-up): it is retried too, so fixing it loses nothing.
 * - `split`: the batch as a whole was refused for its size or content (413,
 *   or a payload error in the platform's own answer); its halves are sent on
 *   their own until the events at fault are isolated.
 * - `partial`: some events were accepted and the others are listed as to
 *   retry or rejected for good; `backoff` says whether the retry must wait.
 */
export type ResponseVerdict =
  | { kind: "delivered" }
  | {
    kind: "retry";
    reason: string;
    status?: number | undefined;
    retryAfterMs?: number | undefined;
    /** What an operator should check, when the answer shows a setup error. */
    setup?: string | undefined;
  }
  | { kind: "split"; reason: string; status: number }
  | {
    kind: "partial";
    retry: EventFailure[];
    rejected: EventFailure[];
    backoff: boolean;
  };

/** The HTTP statuses that every platform documents as worth retrying. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/**
 * The wait an answer asks for, in milliseconds, from `Retry-After`
 * (delay-seconds or an HTTP-date, RFC 9110 §10.2.3,
 * https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3) or, for Datadog,
 * `X-RateLimit-Reset` in seconds
 * (https://docs.datadoghq.com/api/latest/rate-limits/).
 *
 * @param headers The answer's headers.
 * @param nowMs The current time, to turn an HTTP-date into a delay.
 * @returns The delay, or `undefined` when the answer asks for none.
 */
export function requestedDelayMs(
  headers: Headers,
  nowMs: number,
): number | undefined {
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    // An HTTP-date ends in GMT (RFC 9110 §5.6.7); Date.parse alone would
    // read "1.5" or "-1" as dates.
    const date = / GMT$/.test(retryAfter) ? Date.parse(retryAfter) : NaN;
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  const reset = headers.get("x-ratelimit-reset")?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) return Number(reset) * 1000;
  return undefined;
}

/** Shortens a platform's error text for a reason string. */
export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? flat.slice(0, max) + "…" : flat;
}

/**
 * Whether an answer's body may be the platform's JSON: a JSON (or absent)
 * `Content-Type` and a body that opens a JSON object. An HTML page from a
 * proxy or load balancer, or a plain-text error, is not.
 *
 * @param headers The answer's headers.
 * @param body The answer's body.
 * @returns True when the body may be the platform's JSON.
 */
export function looksLikeJsonObject(headers: Headers, body: string): boolean {
  const type = headers.get("content-type")?.split(";")[0]?.trim()
    .toLowerCase();
  if (type && type !== "application/json" && !type.endsWith("+json")) {
    return false;
  }
  return /^\s*\{/.test(body);
}

/**
 * The hint for an answer whose body is not the platform's.
 *
 * @param platform The platform's name, for the hint.
 * @param status The HTTP status.
 * @param headers The answer's headers.
 * @returns What to check.
 */
export function foreignAnswerHint(
  platform: string,
  status: number,
  headers: Headers,
): string {
  const type = headers.get("content-type") ?? "no content type";
  return `the answer (HTTP ${status}, ${type}) is not ${platform}'s: check the endpoint, and any proxy or load balancer in front of ${platform}`;
}

/**
 * The verdict for a setup error: retried (the batch is kept) with a hint of
 * what to fix, the same for every platform.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setupRetry } from "./verdict.ts";
 *
 * const setup = setupRetry("HTTP 403: Forbidden", 403, undefined);
 * assert.deepEqual(setup("check the key"), {
 *   kind: "retry",
 *   reason: "HTTP 403: Forbidden",
 *   status: 403,
 *   retryAfterMs: undefined,
 *   setup: "check the key",
 * });
 * ```
 *
 * @param reason The answer, as a reason.
 * @param status The HTTP status.
 * @param retryAfterMs The wait the platform asked for, if any.
 * @returns A function from a hint to the verdict.
 */
export function setupRetry(
  reason: string,
  status: number,
  retryAfterMs: number | undefined,
): (hint: string) => ResponseVerdict {
  return (hint) => ({
    kind: "retry",
    reason,
    status,
    retryAfterMs,
    setup: hint,
  });
}

/**
 * The verdict for a 2xx answer from an intake that answers with a JSON
 * object or nothing: delivered; any other 2xx body (an HTML page) comes from
 * something in front of the platform and says nothing of the events, so the
 * batch is kept as a setup error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonSuccessVerdict } from "./verdict.ts";
 *
 * const json = new Headers({ "content-type": "application/json" });
 * assert.deepEqual(jsonSuccessVerdict("Datadog", 202, json, "{}"), { kind: "delivered" });
 * const html = new Headers({ "content-type": "text/html" });
 * assert.equal(jsonSuccessVerdict("Datadog", 200, html, "<html>").kind, "retry");
 * ```
 *
 * @param platform The platform's name, for the hint.
 * @param status The HTTP status (2xx).
 * @param headers The answer's headers.
 * @param body The answer's body.
 * @returns The verdict.
 */
export function jsonSuccessVerdict(
  platform: string,
  status: number,
  headers: Headers,
  body: string,
): ResponseVerdict {
  if (looksLikeJsonObject(headers, body) || body.trim() === "") {
    return { kind: "delivered" };
  }
  return {
    kind: "retry",
    status,
    reason: `HTTP ${status}: ${excerpt(body)}`,
    setup: foreignAnswerHint(platform, status, headers),
  };
}

/**
 * The hint for 404 or 405: the request reached a server, but not the
 * platform's intake.
 *
 * @param platform The platform's name, for the hint.
 * @param path The path the platform takes batches at.
 * @returns What to check.
 */
export function wrongPathHint(platform: string, path: string): string {
  return `${platform} does not take batches at this URL: check the endpoint (the base URL, without ${path}) and any proxy path`;
}

// What rustls and hyper (Deno's fetch), and other runtimes, say when TLS
// meets plain HTTP or a certificate is refused.
const TLS_ERROR =
  /\btls\b|\bssl\b|certificate|handshake|wrong version number|corrupt message|invalidcontenttype|record overflow|http\/0\.9|invalid http version/i;

/**
 * A network error's text with its causes: `fetch` says only "fetch failed"
 * and keeps what happened (a refused connection, a TLS failure) in `cause`.
 *
 * @param error What `fetch` threw.
 * @returns The message, then each cause's message after a colon.
 */
export function networkErrorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined; depth++) {
    const text = current instanceof Error ? current.message : String(current);
    if (text && !parts.includes(text)) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(": ");
}

/**
 * The setup hint for a network error that points at a TLS or plain-HTTP
 * mix-up (an `https` endpoint on a plain-HTTP port, or the other way
 * round), or `undefined` for an ordinary network error.
 *
 * @param reason The network error's reason.
 * @param url The URL the request went to.
 * @returns What to check, or `undefined`.
 */
export function networkSetupHint(
  reason: string,
  url: string,
): string | undefined {
  if (!reason.startsWith("network error") || !TLS_ERROR.test(reason)) {
    return undefined;
  }
  const scheme = url.startsWith("https:") ? "https" : "http";
  const other = scheme === "https" ? "http" : "https";
  return `TLS or plain-HTTP mix-up: the endpoint uses ${scheme}; check whether the port serves ${other}, and the server's certificate`;
}
