/**
 * Statistics objects built by hand, for the tests of what reads them
 * (`/health`, `/metrics`).
 *
 * @module
 */
import {
  type DeliveryStats,
  type DestinationStats,
  emptyCounters,
} from "../../src/delivery/stats.ts";

/** A destination's statistics: an idle, enabled Splunk with zero counters, and `overrides`. */
export function destination(
  overrides: Partial<DestinationStats> & Pick<DestinationStats, "name">,
): DestinationStats {
  return {
    ...emptyCounters(),
    platform: "splunk",
    enabled: true,
    state: "idle",
    buffered: 0,
    consecutiveFailures: 0,
    ...overrides,
  };
}

/** An integrator's statistics around the given destinations (zero totals). */
export function integratorStats(
  destinations: DestinationStats[],
  eventsAccepted = 0,
): DeliveryStats {
  const perDestination = Object.fromEntries(
    destinations.map((d) => [d.name, d]),
  );
  return {
    ...emptyCounters(),
    eventsAccepted,
    buffered: destinations.reduce((sum, d) => sum + d.buffered, 0),
    perDestination,
    perPlatform: perDestination,
  };
}
