/**
 * Whether the forwarder is delivering, from its statistics.
 *
 * @module
 */
import type { DestinationStats, IntegratorStats } from "../delivery/stats.ts";

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
    }
  >;
}

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
 * destination can deliver or no event can be accepted.
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
 * @param failingAfter Failed attempts in a row that make a destination failing.
 * @returns The report.
 */
export function healthReport(
  stats: IntegratorStats,
  capacity: number,
  failingAfter = 3,
): HealthReport {
  const destinations: HealthReport["destinations"] = {};
  let enabled = 0;
  let delivering = 0;
  let failing = 0;
  for (const [name, destination] of Object.entries(stats.perPlatform)) {
    const status = destinationHealth(destination, failingAfter);
    destinations[name] = {
      status,
      buffered: destination.buffered,
      consecutiveFailures: destination.consecutiveFailures,
      deadLettered: destination.spool?.deadLettersStored ??
        destination.eventsFailed,
    };
    if (status === "disabled") continue;
    enabled++;
    if (status === "delivering") delivering++;
    if (status === "failing") failing++;
  }
  const status = enabled === 0 || failing === enabled || capacity === 0
    ? "failing"
    : delivering === enabled
    ? "ok"
    : "degraded";
  return { status, capacity, destinations };
}
