/**
 * A destination's drain: batch after batch off its buffer while batches are
 * due (or all of them, for a flush), until one is not delivered.
 *
 * @module
 */
import type { SIEMConfig } from "../platforms/siem_config.ts";
import type { Batch, Entry } from "./batch_builder.ts";
import type { DestinationBuffer } from "./destination_buffer.ts";

/** What a drain needs. */
export interface DrainOptions {
  /** Send every batch now (a flush), not only those due. */
  force: boolean;
  /** The destination's batch size and flush interval. */
  config: Pick<SIEMConfig, "batchSize" | "flushIntervalMs">;
  /** The time now, on the destination's clock. */
  now: () => number;
  /** When a backoff ends. */
  retryAt: () => number;
  /** Takes the next batch off the buffer. */
  take: () => Batch | undefined;
  /** Delivers a batch; resolves to the entries left undelivered. */
  deliver: (batch: Batch) => Promise<Entry[]>;
}

/**
 * Sends batches off the buffer: each is counted in flight while it is
 * delivered; what a batch leaves undelivered goes back to the front of the
 * buffer and ends the drain. Without `force`, the drain also ends while a
 * backoff lasts, or when the next batch is neither full nor due.
 *
 * @param buffer The destination's buffer.
 * @param options When batches are due, and how they are taken and sent.
 */
export async function drainBuffer(
  buffer: DestinationBuffer,
  options: DrainOptions,
): Promise<void> {
  const { queue } = buffer;
  while (queue.length > 0) {
    if (!options.force) {
      const now = options.now();
      const oldest = queue.peek() as Entry;
      if (now < options.retryAt()) return;
      if (
        queue.length < options.config.batchSize &&
        now < oldest.at + options.config.flushIntervalMs
      ) return;
    }
    const batch = options.take();
    if (!batch) continue;
    const clears = buffer.clears;
    buffer.startFlight(batch.entries.length, batch.bytes);
    let left: Entry[];
    try {
      left = await options.deliver(batch);
    } finally {
      buffer.endFlight();
    }
    if (left.length > 0) {
      // Cleared meanwhile (a spool that lost its lease): the new lease
      // holder sends these, from storage.
      if (buffer.clears === clears) queue.unshiftAll(left);
      return;
    }
  }
}

/**
 * When the destination's next batch is due, on its clock: when its oldest
 * event has waited `flushIntervalMs`, at once when a batch is full, and
 * never before a backoff ends.
 *
 * @param buffer The destination's buffer.
 * @param config Its batch size and flush interval.
 * @param retryAt When its backoff ends.
 * @returns The time, or undefined when nothing waits.
 */
export function nextDue(
  buffer: DestinationBuffer,
  config: Pick<SIEMConfig, "batchSize" | "flushIntervalMs">,
  retryAt: number,
): number | undefined {
  const { queue } = buffer;
  if (queue.length === 0) return undefined;
  const oldest = queue.peek() as Entry;
  return Math.max(
    retryAt,
    queue.length >= config.batchSize ? 0 : oldest.at + config.flushIntervalMs,
  );
}
