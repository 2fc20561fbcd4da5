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
}

/**
 * What a SIEM's answer to one batch means:
 * - `delivered`: every event was accepted.
 * - `retry`: nothing was accepted, and the same batch may succeed later
 *   (network errors, timeouts, 408, 429, 5xx, busy, and wrong or revoked
 *   credentials, so that fixing a token does not lose the backlog).
 * - `split`: the batch as a whole was refused for its size or content; its
 *   halves are sent on their own until the events at fault are isolated.
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
