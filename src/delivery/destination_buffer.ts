/**
 * A destination's buffer: the events waiting and the batches in flight,
 * within `maxBufferedEvents` and `maxBufferedBytes`, and what its overflow
 * policy does when a new event does not fit.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import type { Entry } from "./batch_builder.ts";
import { EventQueue } from "./event_queue.ts";

/** What the overflow policy decided for a new event that does not fit. */
export type Overflow =
  /** The new event is refused (dead-lettered, not settled). */
  | { refuse: string }
  /** Waiting events were given up to make room (dead-lettered, settled). */
  | { dropped: SIEMEvent[]; reason: string };

/** The events buffered for one destination. */
export class DestinationBuffer {
  /** The events waiting, oldest first. */
  readonly queue: EventQueue<Entry> = new EventQueue<Entry>((entry) =>
    entry.bytes
  );
  readonly #config: () => SIEMConfig;
  #inFlight = 0;
  #inFlightBytes = 0;
  #clears = 0;

  /**
   * Makes an empty buffer.
   *
   * @param config The destination's config (its limits and policy).
   */
  constructor(config: () => SIEMConfig) {
    this.#config = config;
  }

  /** Events buffered, including the batches in flight. */
  get buffered(): number {
    return this.queue.length + this.#inFlight;
  }

  /** Bytes of event JSON buffered, including the batches in flight. */
  get bufferedBytes(): number {
    return this.queue.weight + this.#inFlightBytes;
  }

  /**
   * Whether `count` more events of `bytes` bytes of JSON in all fit
   * without the overflow policy.
   *
   * @param count How many events.
   * @param bytes Their JSON size in all.
   * @returns True when both limits hold them.
   */
  fits(count: number, bytes: number): boolean {
    const config = this.#config();
    return this.buffered + count <= config.maxBufferedEvents &&
      this.bufferedBytes + bytes <= config.maxBufferedBytes;
  }

  /**
   * How many more events the buffer takes: its free event slots, or fewer
   * when its free bytes hold fewer events of the average size buffered.
   */
  get room(): number {
    const { maxBufferedEvents, maxBufferedBytes } = this.#config();
    const buffered = this.buffered;
    let free = maxBufferedEvents - buffered;
    const bytes = this.bufferedBytes;
    if (bytes > 0) {
      free = Math.min(
        free,
        Math.floor((maxBufferedBytes - bytes) / (bytes / buffered)),
      );
    }
    return Math.max(0, free);
  }

  /**
   * Applies the overflow policy to a new event of `bytes` bytes that does
   * not fit: `reject` refuses it, `drop_oldest` gives up the oldest events
   * waiting until it fits (taking them off the queue).
   *
   * @param bytes The new event's JSON size.
   * @returns What was decided.
   */
  overflow(bytes: number): Overflow {
    const config = this.#config();
    if (bytes > config.maxBufferedBytes) {
      return {
        refuse:
          `event is ${bytes} bytes of JSON, more than the buffer holds (maxBufferedBytes ${config.maxBufferedBytes})`,
      };
    }
    const limit = this.buffered >= config.maxBufferedEvents
      ? `maxBufferedEvents ${config.maxBufferedEvents}`
      : `maxBufferedBytes ${config.maxBufferedBytes}`;
    const reason = `buffer full (${limit}, overflow "${config.overflow}")`;
    // Dropping every waiting event must make room: a batch in flight
    // (possibly the whole buffer) cannot be given up.
    if (
      config.overflow === "reject" ||
      this.#inFlight >= config.maxBufferedEvents ||
      this.#inFlightBytes + bytes > config.maxBufferedBytes
    ) {
      return { refuse: reason };
    }
    const dropped: SIEMEvent[] = [];
    while (!this.fits(1, bytes)) {
      dropped.push((this.queue.shift() as Entry).event);
    }
    return { dropped, reason };
  }

  /**
   * Counts a batch as in flight (it still counts as buffered); with
   * `maxConcurrentRequests` above 1, several are.
   *
   * @param count Its events.
   * @param bytes Their JSON size.
   */
  startFlight(count: number, bytes: number): void {
    this.#inFlight += count;
    this.#inFlightBytes += bytes;
  }

  /**
   * A batch in flight has left (delivered, or put back).
   *
   * @param count Its events, as given to {@linkcode startFlight}.
   * @param bytes Their JSON size, as given to {@linkcode startFlight}.
   */
  endFlight(count: number, bytes: number): void {
    this.#inFlight -= count;
    this.#inFlightBytes -= bytes;
  }

  /**
   * How many times the buffer was cleared: a batch in flight across a
   * clear is not put back (its events were given up with the others).
   */
  get clears(): number {
    return this.#clears;
  }

  /**
   * Drops the events waiting; a batch in flight is not put back when it
   * comes back undelivered.
   *
   * @returns The dropped events.
   */
  clear(): SIEMEvent[] {
    this.#clears++;
    const dropped: SIEMEvent[] = [];
    for (let entry = this.queue.shift(); entry; entry = this.queue.shift()) {
      dropped.push(entry.event);
    }
    return dropped;
  }
}
