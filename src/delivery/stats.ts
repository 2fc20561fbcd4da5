/**
 * Delivery statistics, per destination and in total.
 *
 * @module
 */
import type { SIEMPlatform } from "../platforms/platform.ts";

/** The counters every destination keeps, and that add up to the totals. */
export interface DeliveryCounters {
  /** Events buffered for delivery. */
  eventsReceived: number;
  /** Events delivered (a platform's duplicate answer for an already indexed event counts). */
  eventsExported: number;
  /** Events that left for good without delivery: dead-lettered or refused by the overflow policy. */
  eventsFailed: number;
  /** Requests sent. */
  exportsTotal: number;
  /** Requests the platform answered and read (all or part of the batch accepted). */
  exportsSuccessful: number;
  /** Requests that failed: no answer, or an answer refusing the whole batch. */
  exportsFailed: number;
  /** Resends of events after a failed or partly failed request. */
  totalRetries: number;
  /** Running average latency of successful requests, in ms. */
  avgLatencyMs: number;
  /** Events older than the platform takes (dead-lettered or re-timed, as configured). */
  eventsAged: number;
}

/** Whether a destination is delivering. */
export type DestinationState =
  | "idle"
  | "sending"
  | "retrying"
  | "backing_off"
  | "disabled";

/** The statistics of one destination. */
export interface DestinationStats extends DeliveryCounters {
  /** The destination's name. */
  name: string;
  /** Its platform, or `"file"` for a local file sink. */
  platform: SIEMPlatform | "file";
  /** Whether events are sent to it. */
  enabled: boolean;
  /** What it is doing now. */
  state: DestinationState;
  /** Events buffered for it now, including a batch in flight. */
  buffered: number;
  /** Failed delivery attempts in a row (0 once a request succeeds). */
  consecutiveFailures: number;
  /** The last error met, if any (never contains a credential). */
  lastError?: string | undefined;
  /** When the last error happened, as UTC ISO 8601. */
  lastErrorAt?: string | undefined;
  /** When a backing-off destination tries again, as UTC ISO 8601. */
  retryAt?: string | undefined;
  /**
   * What to check when the destination's answers show a setup error (a
   * wrong endpoint or path, an answer that is not the platform's, a TLS or
   * plain-HTTP mix-up, a refused credential, a stream refused as a whole);
   * cleared by the next delivery. `/health` fails while it is set.
   */
  setupError?: string | undefined;
  /**
   * The latest dead-lettered groups (at most 100), newest last: when, how
   * many events, and why (never a credential). `/health` shows a
   * destination `degraded` for a while after one.
   */
  recentDeadLetters?: RecentDeadLetter[] | undefined;
  /** For a destination fed by a durable spool: its lease and stored dead letters. */
  spool?: {
    /** Whether this instance holds the destination's lease (and so delivers it). */
    leaseHeld: boolean;
    /** Dead-lettered events stored for this destination. */
    deadLettersStored: number;
  } | undefined;
}

/** A group of events dead-lettered together, as the statistics show it. */
export interface RecentDeadLetter {
  /** When, as UTC ISO 8601. */
  at: string;
  /** How many events. */
  events: number;
  /** Why (the platform's reason where it gave one; never a credential). */
  reason: string;
  /** The HTTP status that refused them, if any. */
  status?: number | undefined;
}

/**
 * The delivery statistics of an integrator, a spool or a sink: totals and
 * each destination's. `GET /stats` answers this object as JSON.
 *
 * @example Reading a destination's statistics
 * ```ts
 * import { SIEMIntegrator } from "@harombe/siem";
 * import assert from "node:assert/strict";
 *
 * await using integrator = new SIEMIntegrator([
 *   { platform: "splunk", endpoint: "https://splunk.example.com:8088", token: "t", name: "splunk-prod" },
 * ], { autoFlush: false });
 * const stats = integrator.getStats();
 * assert.equal(stats.perDestination["splunk-prod"]?.platform, "splunk");
 * ```
 */
export interface DeliveryStats extends DeliveryCounters {
  /** Events accepted by `exportEvent`/`exportEvents`, each counted once whatever the number of destinations. */
  eventsAccepted: number;
  /** Events buffered now, summed over destinations. */
  buffered: number;
  /**
   * Each destination's statistics, by name. The JSON of `GET /stats`
   * carries it under both this key and {@linkcode DeliveryStats.perPlatform}.
   */
  perDestination: Record<string, DestinationStats>;
  /**
   * The same object as {@linkcode DeliveryStats.perDestination}. Kept in
   * the JSON of `GET /stats` for dashboards that read it.
   *
   * @deprecated Use {@linkcode DeliveryStats.perDestination}; this key goes
   * from the TypeScript type in the next release (the `/stats` JSON keeps it).
   */
  perPlatform: Record<string, DestinationStats>;
}

/**
 * The former name of {@linkcode DeliveryStats}.
 *
 * @deprecated Use {@linkcode DeliveryStats}; this alias goes in the next release.
 */
export type IntegratorStats = DeliveryStats;

/** A fresh set of zeroed counters. */
export function emptyCounters(): DeliveryCounters {
  return {
    eventsReceived: 0,
    eventsExported: 0,
    eventsFailed: 0,
    exportsTotal: 0,
    exportsSuccessful: 0,
    exportsFailed: 0,
    totalRetries: 0,
    avgLatencyMs: 0,
    eventsAged: 0,
  };
}

/**
 * Adds `from` into `into`; the average latency is weighted by successful
 * requests.
 */
export function addCounters(
  into: DeliveryCounters,
  from: DeliveryCounters,
): void {
  const successes = into.exportsSuccessful + from.exportsSuccessful;
  into.avgLatencyMs = successes === 0 ? 0 : (
    into.avgLatencyMs * into.exportsSuccessful +
    from.avgLatencyMs * from.exportsSuccessful
  ) / successes;
  into.eventsReceived += from.eventsReceived;
  into.eventsExported += from.eventsExported;
  into.eventsFailed += from.eventsFailed;
  into.exportsTotal += from.exportsTotal;
  into.exportsSuccessful += from.exportsSuccessful;
  into.exportsFailed += from.exportsFailed;
  into.totalRetries += from.totalRetries;
  into.eventsAged += from.eventsAged;
}
