/**
 * The seam between the ingest app and whatever delivers what it accepts.
 *
 * @module
 */
import type { AuditEvent } from "../events/audit_event.ts";
import type { SIEMIntegrator } from "../delivery/integrator.ts";
import { exportValidated, RefusedEventsError } from "../delivery/internal.ts";
import { refusedEventsError } from "./ingest_error.ts";
import type { DeliveryStats } from "../delivery/stats.ts";

/** What the ingest app says about the events it hands to a sink. */
export interface AcceptOptions {
  /**
   * The named producer the request's token belongs to, which the sink
   * writes on every event as `producer` (the stamp a producer cannot set);
   * absent for the implicit producer `default`, whose events stay unstamped.
   */
  producer?: string | undefined;
}

/**
 * Where the ingest app puts the events it accepts. The in-memory
 * {@linkcode SIEMIntegrator} is one (see {@linkcode integratorSink}); a
 * durable spool is another. The app answers 202 only after
 * {@linkcode IngestSink.accept} has resolved.
 */
export interface IngestSink {
  /**
   * Takes validated events for delivery, all of them or none: it resolves
   * once they are held (durably, for a durable sink), and rejects otherwise.
   * The events are stamped with `options.producer` before they are held,
   * so that the stamp survives whatever storage the sink uses.
   */
  accept(
    events: readonly AuditEvent[],
    options?: AcceptOptions,
  ): Promise<void>;
  /** How many more events can be accepted now without refusing any. */
  capacity(): number;
  /** Delivery statistics, for `/stats`, `/metrics` and `/health`. */
  getStats(): DeliveryStats;
  /**
   * Sends what is held now. The app hands this to `waitUntil` on runtimes
   * that end work after the response (Cloudflare Workers).
   */
  flush(): Promise<unknown>;
}

/**
 * Wraps a {@linkcode SIEMIntegrator} as an ingest sink.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SIEMIntegrator } from "@harombe/siem";
 * import { integratorSink } from "@harombe/siem/ingest";
 *
 * const sink = integratorSink(new SIEMIntegrator([
 *   { platform: "elasticsearch", endpoint: "http://127.0.0.1:9200" },
 * ], { autoFlush: false }));
 * assert.equal(sink.capacity(), 100_000);
 * ```
 *
 * @param integrator The integrator that delivers accepted events.
 * @returns The sink.
 */
export function integratorSink(integrator: SIEMIntegrator): IngestSink {
  return {
    accept(
      events: readonly AuditEvent[],
      options?: AcceptOptions,
    ): Promise<void> {
      // capacity() was checked by the caller in the same turn, so no
      // destination refuses these for lack of room; the app validated them.
      try {
        integrator[exportValidated](events, options?.producer);
      } catch (error) {
        if (error instanceof RefusedEventsError) {
          return Promise.reject(refusedEventsError(error.problems));
        }
        throw error;
      }
      return Promise.resolve();
    },
    capacity: (): number => integrator.capacity(),
    getStats: (): DeliveryStats => integrator.getStats(),
    flush: (): Promise<unknown> => integrator.flushAll(),
  };
}
