/**
 * The retry delays of the Cloudflare Queues spool, designed against
 * Queues' limits: a message is retried at most `max_retries` times (the
 * limit is 100) before the queue moves it to its dead-letter queue, each
 * retry waits the `delaySeconds` the consumer asks for (0 to 43200 s, 12 h),
 * and a queue keeps a message for its retention period (4 days by default,
 * 60 s to 14 days). Sources:
 * https://developers.cloudflare.com/queues/configuration/batching-retries/ ,
 * https://developers.cloudflare.com/queues/platform/limits/ and
 * https://developers.cloudflare.com/changelog/2025-02-14-customize-queue-retention-period
 *
 * - Events: `min(1800, 5 * 2^attempts)` seconds. With `max_retries: 100`
 *   the retries span about 46.7 hours: a SIEM outage of 24 h (and of up to
 *   about 46 h) moves nothing to the dead-letter queue, a SIEM that comes
 *   back is tried again within 30 minutes, and the whole schedule stays
 *   within the default 4-day retention.
 * - Dead letters, webhook failing: `min(14400, 5 * 2^attempts)` seconds;
 *   100 retries span about 15 days, more than the longest retention, so a
 *   dead letter leaves its queue by retention (or the webhook taking it),
 *   never because its retries ran out.
 * - Dead letters, no webhook: held 43200 s (12 h) per retry: 100 retries
 *   span 50 days.
 *
 * @module
 */

/** The longest delay Queues takes for a retry, in seconds. */
const MAX_DELAY_SECONDS = 43_200;

/**
 * The default retry delay of a message whose events were not delivered:
 * `min(1800, 5 * 2^attempts)` seconds (10 s, 20 s, 40 s, ... then every 30
 * minutes from the 9th attempt). With `max_retries: 100` the retries span
 * about 46.7 hours before the queue gives the message up.
 *
 * @example
 * ```ts
 * import { defaultRetryDelaySeconds } from "@harombe/siem/cloudflare";
 *
 * console.log(defaultRetryDelaySeconds(1)); // 10
 * console.log(defaultRetryDelaySeconds(20)); // 1800
 * ```
 *
 * @param attempts The message's `attempts` (1 on first delivery).
 * @returns The delay in seconds.
 */
export function defaultRetryDelaySeconds(attempts: number): number {
  return Math.min(1800, 5 * 2 ** Math.max(0, attempts));
}

/**
 * The default retry delay of a dead letter the webhook did not take:
 * `min(14400, 5 * 2^attempts)` seconds (10 s, 20 s, ... then every 4 hours
 * from the 12th attempt). With `max_retries: 100` the retries span about
 * 15 days, longer than a queue keeps a message (14 days at most).
 *
 * @example
 * ```ts
 * import { defaultDeadLetterRetryDelaySeconds } from "@harombe/siem/cloudflare";
 *
 * console.log(defaultDeadLetterRetryDelaySeconds(12)); // 14400
 * ```
 *
 * @param attempts The message's `attempts` (1 on first delivery).
 * @returns The delay in seconds.
 */
export function defaultDeadLetterRetryDelaySeconds(attempts: number): number {
  return Math.min(14_400, 5 * 2 ** Math.max(0, attempts));
}

/**
 * How long a dead letter waits in its queue before it is looked at again
 * when no webhook is set, in seconds: the longest delay Queues takes
 * (12 h), so that 100 retries span 50 days, more than any retention.
 * (Not exported from the Worker entry: workerd takes only handlers as
 * named exports of a Worker's main module.)
 */
export const DEFAULT_DEAD_LETTER_HOLD_SECONDS: number = MAX_DELAY_SECONDS;

/**
 * A delay as Queues takes it: whole seconds from 0 to 43200.
 *
 * @example
 * ```ts ignore
 * clampDelay(100_000); // 43200
 * ```
 *
 * @param seconds The delay asked for.
 * @returns The delay sent.
 */
export function clampDelay(seconds: number): number {
  // NaN says nothing: at once. Infinity is clamped as any long delay, not
  // turned into "at once" (a hot retry loop against a SIEM that is down).
  if (Number.isNaN(seconds)) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(seconds)));
}
