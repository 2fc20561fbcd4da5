/**
 * How long a destination waits before it tries a failed batch again.
 *
 * @module
 */

/** The settings of the backoff. */
export interface BackoffSettings {
  /** Base delay in ms: attempt `n` waits up to `retryDelayMs * 2^n`. */
  retryDelayMs: number;
  /** Cap of any delay in ms, including one a server asks for. */
  maxRetryDelayMs: number;
}

/**
 * The delay before retry number `attempt` (from 0): `retryDelayMs * 2^attempt`,
 * capped at `maxRetryDelayMs`, then shortened by up to half at random so that
 * many senders do not retry in step. A delay the server asked for
 * (`Retry-After`) replaces it, capped the same way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelayMs } from "./backoff.ts";
 *
 * const settings = { retryDelayMs: 1000, maxRetryDelayMs: 60_000 };
 * assert.equal(backoffDelayMs(2, settings, () => 0), 4000);
 * assert.equal(backoffDelayMs(2, settings, () => 0.5), 3000);
 * // The server asked for 7 s:
 * assert.equal(backoffDelayMs(2, settings, () => 0, 7000), 7000);
 * ```
 *
 * @param attempt How many retries came before this one.
 * @param settings The base delay and cap.
 * @param random A source of numbers in [0, 1) for the jitter.
 * @param requestedMs A delay the server asked for, if any.
 * @returns The delay in ms.
 */
export function backoffDelayMs(
  attempt: number,
  settings: BackoffSettings,
  random: () => number,
  requestedMs?: number,
): number {
  if (requestedMs !== undefined) {
    return Math.min(Math.max(0, requestedMs), settings.maxRetryDelayMs);
  }
  const exponential = settings.retryDelayMs * 2 ** Math.min(attempt, 30);
  const capped = Math.min(exponential, settings.maxRetryDelayMs);
  return Math.round(capped * (1 - 0.5 * random()));
}
