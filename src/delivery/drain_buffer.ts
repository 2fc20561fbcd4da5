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
  /** How many batches may be in flight at once (default 1). */
  concurrency?: number | undefined;
  /** The time now, on the destination's clock. */
  now: () => number;
  /** When a backoff ends. */
  retryAt: () => number;
  /** Takes the next batch off the buffer. */
  take: () => Batch | undefined;
  /** Delivers a batch; resolves to the entries left undelivered. */
  deliver: (batch: Batch) => Promise<Entry[]>;
  /**
   * Given, while the drain runs, a function that starts the batches due
   * now as far as `concurrency` allows (events buffered after the drain
   * began fill the other requests); given undefined once it has ended.
   */
  running?: (launch: (() => void) | undefined) => void;
}

/**
 * Sends batches off the buffer, up to `concurrency` at once: each is
 * counted in flight while it is delivered; what a batch leaves undelivered
 * goes back to the front of the buffer and ends the drain (batches already
 * in flight finish first). Without `force`, no batch starts while a backoff
 * lasts, or when the next batch is neither full nor due.
 *
 * @example
 * ```ts ignore
 * await drainBuffer(buffer, {
 *   force: true,
 *   config,
 *   concurrency: 2,
 *   now: () => Date.now(),
 *   retryAt: () => 0,
 *   take: () => builder.takeSendable(buffer.queue, takeOptions),
 *   deliver: (batch) => delivery.deliver(batch.entries, batch.body, {}, tally),
 * });
 * ```
 *
 * @param buffer The destination's buffer.
 * @param options When batches are due, and how they are taken and sent.
 * @returns When no batch is in flight and none is to start.
 */
export async function drainBuffer(
  buffer: DestinationBuffer,
  options: DrainOptions,
): Promise<void> {
  const lanes = Math.max(1, options.concurrency ?? 1);
  let running = 0;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const send = async (batch: Batch): Promise<void> => {
    const clears = buffer.clears;
    const count = batch.entries.length;
    buffer.startFlight(count, batch.bytes);
    let left: Entry[];
    try {
      left = await options.deliver(batch);
    } finally {
      buffer.endFlight(count, batch.bytes);
    }
    if (left.length > 0) {
      stopped = true;
      // Cleared meanwhile (a spool that lost its lease): the new lease
      // holder sends these, from storage.
      if (buffer.clears === clears) buffer.queue.unshiftAll(left);
    }
  };
  const finished = (): void => {
    running--;
    wake?.();
  };
  let launching = false;
  const launch = (): void => {
    // Taking a batch can dead-letter an event, whose callback may buffer
    // another: that must not take a batch while this one is being taken.
    if (launching) return;
    launching = true;
    try {
      while (!stopped && running < lanes) {
        const batch = nextBatch(buffer, options);
        if (batch === undefined) return;
        running++;
        send(batch).then(finished, (error) => {
          failure ??= { error };
          stopped = true;
          finished();
        });
      }
    } finally {
      launching = false;
    }
  };
  launch();
  if (lanes > 1) options.running?.(launch);
  try {
    while (running > 0) {
      await new Promise<void>((resolve) => wake = resolve);
      launch();
    }
  } finally {
    if (lanes > 1) options.running?.(undefined);
  }
  if (failure !== undefined) throw failure.error;
}

// The next batch to send now, if any: none during a backoff or while the
// next one is neither full nor due (unless forced).
function nextBatch(
  buffer: DestinationBuffer,
  options: DrainOptions,
): Batch | undefined {
  const { queue } = buffer;
  while (queue.length > 0) {
    if (!options.force) {
      const now = options.now();
      const oldest = queue.peek() as Entry;
      if (now < options.retryAt()) return undefined;
      if (
        queue.length < options.config.batchSize &&
        now < oldest.at + options.config.flushIntervalMs
      ) return undefined;
    }
    const batch = options.take();
    if (batch) return batch;
  }
  return undefined;
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
