/**
 * Whether the forwarder is delivering, from its statistics.
 *
 * @module
 */
import type {
  DeliveryStats,
  DestinationStats,
  RecentDeadLetter,
} from "../delivery/stats.ts";

/** How one destination is doing. */
export type DestinationHealth =
  | "delivering"
  | "backing_off"
  | "failing"
  | "disabled";

/** The body of `GET /health`. */
export interface HealthReport {
  /** `ok`: all delivering; `degraded`: some not; `failing`: none can deliver or nothing can be accepted. */
  status: "ok" | "degraded" | "failing";
  /** How many more events can be accepted now. */
  capacity: number;
  /** Each destination's health and buffer depth (no error text: this route may be public). */
  destinations: Record<
    string,
    {
      status: DestinationHealth;
      buffered: number;
      consecutiveFailures: number;
      /** Events given up: stored dead letters for a spool, else dead-lettered since start. */
      deadLettered: number;
      /**
       * Dead letters within the last `deadLetterWindowMs`: how many events,
       * when the last were given up and the status that refused them (the
       * reason is in `/stats`: a platform's reason may quote event fields,
       * and this route may be public). Absent when there were none.
       */
      recentDeadLetters?: {
        events: number;
        lastAt: string;
        lastStatus?: number | undefined;
      } | undefined;
    }
  >;
}

/** Options of {@linkcode healthReport}. */
export interface HealthOptions {
  /** Failed delivery attempts in a row that make a destination failing; default 3. */
  failingAfter?: number | undefined;
  /**
   * How long after a dead letter a destination shows `degraded`, in ms.
   *
   * @default {900000}
   */
  deadLetterWindowMs?: number | undefined;
  /** The current time in epoch ms; default `Date.now()`. */
  now?: number | undefined;
}

/** How long `/health` shows a destination degraded after a dead letter: 15 minutes. */
export const DEAD_LETTER_WINDOW_MS = 15 * 60_000;

/**
 * A destination's health: `failing` while its answers show a setup error
 * (see `setupError` in its statistics) or after `failingAfter` delivery
 * attempts in a row ran out of retries, `backing_off` while it retries or
 * waits, else `delivering`.
 *
 * @param stats The destination's statistics.
 * @param failingAfter Failed attempts in a row that make it failing.
 * @returns Its health.
 */
export function destinationHealth(
  stats: DestinationStats,
  failingAfter: number,
): DestinationHealth {
  if (!stats.enabled) return "disabled";
  if (
    stats.setupError !== undefined ||
    stats.consecutiveFailures >= failingAfter
  ) return "failing";
  if (
    stats.consecutiveFailures > 0 || stats.state === "backing_off" ||
    stats.state === "retrying"
  ) return "backing_off";
  return "delivering";
}

/**
 * The health report: `failing` (answered with 503) when no enabled
 * destination can deliver or no event can be accepted; `degraded` when
 * some cannot, or when events were dead-lettered within the last
 * `deadLetterWindowMs` (15 minutes by default), so that giving events up
 * shows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SIEMIntegrator } from "@harombe/siem";
 * import { healthReport } from "@harombe/siem/ingest";
 *
 * const integrator = new SIEMIntegrator([
 *   { platform: "splunk", endpoint: "http://127.0.0.1:8088" },
 * ], { autoFlush: false });
 * const report = healthReport(integrator.getStats(), integrator.capacity());
 * assert.equal(report.status, "ok");
 * ```
 *
 * @param stats The forwarder's statistics.
 * @param capacity How many more events can be accepted now.
 * @param options Failed attempts in a row that make a destination failing
 * (a number, for short), or the health options.
 * @returns The report.
 */
export function healthReport(
  stats: DeliveryStats,
  capacity: number,
  options: number | HealthOptions = {},
): HealthReport {
  const {
    failingAfter = 3,
    deadLetterWindowMs = DEAD_LETTER_WINDOW_MS,
    now = Date.now(),
  } = typeof options === "number" ? { failingAfter: options } : options;
  const destinations: HealthReport["destinations"] = {};
  let enabled = 0;
  let delivering = 0;
  let failing = 0;
  let deadLettering = 0;
  for (const [name, destination] of Object.entries(stats.perDestination)) {
    const status = destinationHealth(destination, failingAfter);
    const recent = recentDeadLetters(destination, now - deadLetterWindowMs);
    destinations[name] = {
      status,
      buffered: destination.buffered,
      consecutiveFailures: destination.consecutiveFailures,
      deadLettered: destination.spool?.deadLettersStored ??
        destination.eventsFailed,
      ...(recent ? { recentDeadLetters: recent } : {}),
    };
    if (status === "disabled") continue;
    enabled++;
    if (status === "delivering") delivering++;
    if (status === "failing") failing++;
    if (recent) deadLettering++;
  }
  const status = enabled === 0 || failing === enabled || capacity === 0
    ? "failing"
    : delivering === enabled && deadLettering === 0
    ? "ok"
    : "degraded";
  return { status, capacity, destinations };
}

// The dead letters of a destination since `since` (epoch ms), summed.
function recentDeadLetters(
  stats: DestinationStats,
  since: number,
):
  | NonNullable<HealthReport["destinations"][string]["recentDeadLetters"]>
  | undefined {
  let events = 0;
  let last: RecentDeadLetter | undefined;
  for (const letter of stats.recentDeadLetters ?? []) {
    if (Date.parse(letter.at) < since) continue;
    events += letter.events;
    last = letter;
  }
  if (!last) return undefined;
  return { events, lastAt: last.at, lastStatus: last.status };
}
