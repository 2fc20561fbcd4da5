/**
 * An ingest sink that keeps what it accepts, for tests that check the
 * stored values of accepted events.
 *
 * @module
 */
import type { AuditEvent } from "../../src/events/audit_event.ts";
import type { DeliveryStats } from "../../src/delivery/stats.ts";
import type { IngestSink } from "../../src/ingest/sink.ts";

/** An ingest sink holding every accepted event in `events`. */
export interface MemorySink extends IngestSink {
  /** The accepted events, in order. */
  readonly events: AuditEvent[];
}

/**
 * Creates a sink that holds what it accepts.
 *
 * @returns The sink.
 */
export function memorySink(): MemorySink {
  const events: AuditEvent[] = [];
  return {
    events,
    accept(accepted: readonly AuditEvent[]): Promise<void> {
      events.push(...accepted);
      return Promise.resolve();
    },
    capacity: (): number => 100_000,
    getStats: (): DeliveryStats => {
      throw new Error("memorySink has no statistics");
    },
    flush: (): Promise<unknown> => Promise.resolve(),
  };
}
