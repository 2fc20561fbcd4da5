/**
 * The one delivery orchestrator: it owns the destinations (batching,
 * retries, backoff and settlement run in each {@linkcode Destination}),
 * feeds them what a storage hands out, and tells the storage what settled.
 * The integrator, the Deno KV spool and the Queues consumer each choose a
 * storage and use it.
 *
 * @module
 */
import { createExporter } from "../platforms/create_exporter.ts";
import { assertNameFree } from "../platforms/destination_name.ts";
import {
  type ParsedSIEMConfig,
  parseOnce,
  type SIEMConfigInput,
  withStoredBuffer,
} from "../platforms/siem_config.ts";
import { bufferRoom } from "./buffer_room.ts";
import type { DeliveryStorage } from "./delivery_storage.ts";
import type { DrainSignals } from "./delivery_state.ts";
import { Destination } from "./destination.ts";
import type { DestinationContext } from "./destination_context.ts";
import type { DestinationReport, ExportResult } from "./export_result.ts";
import type { SettlementCallback } from "./settlement.ts";
import {
  addCounters,
  type DeliveryCounters,
  type DestinationStats,
  emptyCounters,
} from "./stats.ts";

/** What the orchestrator shares with its destinations. */
export type DestinationSetContext = Omit<
  DestinationContext,
  "onSettled" | "onRefused"
>;

/** Options of {@linkcode DestinationSet}. */
export interface DestinationSetOptions {
  /**
   * Whether the storage holds the events (Deno KV, a queue): its
   * destinations' byte bound is lifted (see `withStoredBuffer`) and they
   * are fed only as far as their buffers have room, so that no stored
   * event is refused by an overflow policy. Otherwise (memory) the buffer
   * is the only place, and a full one's overflow policy decides.
   */
  stored: boolean;
}

/** Options of {@linkcode DestinationSet.feed}. */
export interface FeedOptions {
  /** Whether a full batch starts a send at once (false when an explicit flush follows). */
  sendWhenFull?: boolean | undefined;
  /** Feed only until this many events are buffered (a stored mode's loading window). */
  window?: number | undefined;
}

/** What one {@linkcode DestinationSet.feed} did. */
export interface Fed {
  /** Events the storage handed out. */
  handedOut: number;
  /** Of those, events the buffer refused (dead-lettered at once). */
  refused: number;
}

/** Every destination's counters, statistics and buffered events. */
export interface DestinationSetStats {
  /** The counters of all destinations, those removed included. */
  totals: DeliveryCounters;
  /** Each destination's statistics, by name, in the order they were added. */
  perDestination: Record<string, DestinationStats>;
  /** Events buffered in all destinations. */
  buffered: number;
}

/**
 * Owns destinations and feeds them from one storage.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DestinationSet } from "./destination_set.ts";
 * import { MemoryStorage } from "./memory_storage.ts";
 * import { systemClock } from "./clock.ts";
 * import { consoleLogger } from "./console_logger.ts";
 *
 * const set = new DestinationSet(new MemoryStorage(), {
 *   clock: systemClock,
 *   random: Math.random,
 *   logger: consoleLogger,
 *   autoFlush: false,
 * }, { stored: false });
 * set.add({ platform: "splunk", endpoint: "https://splunk.example.com:8088", token: "t" });
 * assert.deepEqual(set.names, ["splunk"]);
 * ```
 */
export class DestinationSet {
  readonly #storage: DeliveryStorage<never>;
  readonly #context: DestinationSetContext;
  readonly #stored: boolean;
  readonly #destinations = new Map<string, Destination>();
  readonly #retired: DeliveryCounters = emptyCounters();
  #enabled: Destination[] | undefined;

  /**
   * Makes an empty set; no destination, timer or request yet.
   *
   * @param storage Where events come from and settlements go.
   * @param context The `fetch`, clock, logger and dead-letter callback.
   * @param options Whether the storage holds the events.
   */
  constructor(
    storage: DeliveryStorage<never>,
    context: DestinationSetContext,
    options: DestinationSetOptions,
  ) {
    this.#storage = storage;
    this.#context = context;
    this.#stored = options.stored;
  }

  /** The destinations' names, in the order they were added. */
  get names(): string[] {
    return [...this.#destinations.keys()];
  }

  /**
   * A destination by name.
   *
   * @param name The name.
   * @returns It, or `undefined`.
   */
  get(name: string): Destination | undefined {
    return this.#destinations.get(name);
  }

  /** Every destination, in the order they were added. */
  all(): Destination[] {
    return [...this.#destinations.values()];
  }

  /** The enabled destinations, in the order they were added. */
  enabled(): Destination[] {
    return this.#enabled ??= this.all().filter((d) => d.config.enabled);
  }

  /**
   * Builds a destination (its exporter; for a stored mode, without the
   * byte bound) whose settlements go to the storage.
   *
   * @param config The destination's config.
   * @returns The new destination.
   * @throws {SIEMConfigError} When the config is invalid, or its name taken.
   */
  add(config: SIEMConfigInput | ParsedSIEMConfig): Destination {
    const valid = parseOnce(config);
    const { name } = valid;
    assertNameFree(this.#destinations, name);
    const storage = this.#storage;
    const settled: SettlementCallback = (events, settlement) =>
      storage.settled(name, events, settlement);
    const destination = new Destination(
      createExporter(this.#stored ? withStoredBuffer(valid) : valid),
      // A refused event (never buffered) is given up by the storage too.
      { ...this.#context, onSettled: settled, onRefused: settled },
    );
    this.#destinations.set(name, destination);
    this.#enabled = undefined;
    return destination;
  }

  /**
   * Removes a destination after delivering what it holds until the
   * deadline; its counters stay in the totals.
   *
   * @param name The destination's name.
   * @param timeoutMs The deadline.
   * @returns Its final flush and undelivered events, or `undefined`.
   */
  async remove(
    name: string,
    timeoutMs: number,
  ): Promise<DestinationReport | undefined> {
    const destination = this.#destinations.get(name);
    if (!destination) return undefined;
    this.#destinations.delete(name);
    this.#enabled = undefined;
    const report = await destination.close(timeoutMs);
    destination.addTo(this.#retired);
    return report;
  }

  /**
   * How many events a destination takes from storage now: without bound
   * in memory mode; else its buffer's room, within `window` if given.
   *
   * @param name The destination's name.
   * @param window Take only until this many are buffered.
   * @returns The room, 0 or more (0 for an unknown destination).
   */
  room(name: string, window?: number): number {
    const destination = this.#destinations.get(name);
    if (destination === undefined) return 0;
    if (!this.#stored) return Infinity;
    const free = bufferRoom(destination);
    return window === undefined
      ? free
      : Math.min(window - destination.buffered, free);
  }

  /**
   * Moves what the storage hands out into a destination's buffer, as far
   * as it has room.
   *
   * @param name The destination's name.
   * @param options Whether a full batch sends at once, and a window.
   * @returns How many events were handed out, and refused.
   */
  feed(name: string, options: FeedOptions = {}): Fed {
    const fed: Fed = { handedOut: 0, refused: 0 };
    const destination = this.#destinations.get(name);
    const room = this.room(name, options.window);
    if (destination === undefined || room <= 0) return fed;
    const items = this.#storage.handOut(name, room);
    const sendWhenFull = options.sendWhenFull ?? true;
    for (const item of items) {
      if (
        !destination.enqueue(item.event, sendWhenFull, item.at, item.serialized)
      ) fed.refused++;
    }
    fed.handedOut = items.length;
    return fed;
  }

  /**
   * Delivers everything the storage holds for a destination with explicit
   * flushes (a queue batch's events may be more than its buffer takes):
   * feeds it as far as there is room, flushes, and goes on until the
   * storage is empty, a flush leaves events buffered, or `signal` aborts.
   *
   * @param name The destination's name.
   * @param signal Ends backoff waits, and the feeding.
   */
  async deliver(name: string, signal: AbortSignal): Promise<void> {
    const destination = this.#destinations.get(name);
    if (destination === undefined) return;
    while (!signal.aborted) {
      const { handedOut } = this.feed(name, { sendWhenFull: false });
      if (handedOut === 0 && destination.buffered === 0) return;
      const result = await destination.flush({ sleep: signal });
      if (result.eventsQueued > 0) return;
    }
  }

  /**
   * Flushes every enabled destination now, in parallel, with retries.
   *
   * @param signals Signals that end waits or abort requests.
   * @returns Each enabled destination's flush result.
   */
  async flush(signals: DrainSignals = {}): Promise<ExportResult[]> {
    return await Promise.all(
      this.enabled().map((destination) => destination.flush(signals)),
    );
  }

  /** Opens every destination again after {@linkcode DestinationSet.stop}. */
  reopen(): void {
    for (const destination of this.#destinations.values()) {
      destination.reopen();
    }
  }

  /**
   * Closes every destination: each delivers what it holds until the
   * deadline, then reports what it could not.
   *
   * @param timeoutMs The deadline.
   * @returns Each destination's final flush and undelivered events.
   */
  async stop(timeoutMs: number): Promise<DestinationReport[]> {
    return await Promise.all(
      this.all().map((destination) => destination.close(timeoutMs)),
    );
  }

  /**
   * The counters in total (removed destinations included), each
   * destination's statistics, and what they buffer.
   *
   * @returns A snapshot.
   */
  stats(): DestinationSetStats {
    const totals = emptyCounters();
    addCounters(totals, this.#retired);
    const perDestination: Record<string, DestinationStats> = {};
    let buffered = 0;
    for (const destination of this.#destinations.values()) {
      destination.addTo(totals);
      perDestination[destination.name] = destination.stats();
      buffered += destination.buffered;
    }
    return { totals, perDestination, buffered };
  }
}
