/**
 * What delivery reports: the result of a flush, events that left for good,
 * and what a stop could not deliver.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { SIEMPlatform } from "../platforms/platform.ts";

/** The result of flushing one destination. */
export interface ExportResult {
  /** True when every event this flush took was delivered. */
  success: boolean;
  /** The destination's platform. */
  platform: SIEMPlatform;
  /** The destination's name. */
  destination: string;
  /** Events delivered by this flush. */
  eventsSent: number;
  /** Events that left for good without delivery during this flush (dead-lettered). */
  eventsFailed: number;
  /** Events still buffered for this destination after the flush. */
  eventsQueued: number;
  /** Wall time of the flush, in ms. */
  latencyMs: number;
  /** The last error met, if any (never contains a credential). */
  error?: string | undefined;
  /** Resends made by this flush. */
  retries: number;
}

/**
 * Events that left a destination for good without being delivered: refused
 * by the platform for good, too large to ever send, or refused by the
 * overflow policy. Every such event reaches the dead-letter callback.
 */
export interface DeadLetter {
  /** The destination's name. */
  destination: string;
  /** The destination's platform. */
  platform: SIEMPlatform;
  /**
   * Why the events were not delivered (the platform's reason where it gave
   * one; for an Elasticsearch item, its error's type and reason and the
   * deepest `caused_by`). Every event of a letter was refused for this very
   * reason: events refused for different reasons go in separate letters.
   */
  reason: string;
  /** The HTTP status that refused them (an Elasticsearch item's own status), if any. */
  status?: number | undefined;
  /** The events. */
  events: SIEMEvent[];
  /** When they were given up, as UTC ISO 8601. */
  at: string;
}

/** What stopping (or removing) a destination left undelivered. */
export interface DestinationReport {
  /** The result of the final flush. */
  result: ExportResult;
  /** Events still buffered when the deadline passed; empty when all were delivered. */
  undelivered: SIEMEvent[];
}

/** What {@linkcode SIEMIntegrator.stop} did. */
export interface StopReport {
  /** One report per destination. */
  destinations: DestinationReport[];
  /** How many events were left undelivered in all. */
  undeliveredCount: number;
}
