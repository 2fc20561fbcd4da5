/**
 * A durable spool on a key-value store with transactions (Deno KV locally
 * and on Deno Deploy): accepted events are committed to a per-destination
 * outbox before the ingest answers, and delivered from there by whichever
 * instance holds the destination's lease.
 *
 * @module
 */
import type { AuditEvent } from "../events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../events/siem_event.ts";
import { type Clock, systemClock } from "../delivery/clock.ts";
import { consoleLogger } from "../delivery/console_logger.ts";
import { Destination } from "../delivery/destination.ts";
import {
  type SettledPart,
  type Settlement,
  SettlementLedger,
} from "../delivery/settlement.ts";
import type {
  DeadLetter,
  DestinationReport,
  Logger,
  StopReport,
} from "../delivery/export_result.ts";
import { emptyCounters, type IntegratorStats } from "../delivery/stats.ts";
import { IngestError, refusedEventsError } from "../ingest/ingest_error.ts";
import { metadataRefusals } from "../platforms/elasticsearch_mapping.ts";
import type { IngestSink } from "../ingest/sink.ts";
import { createExporter } from "../platforms/create_exporter.ts";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../platforms/siem_config.ts";
import { bufferRoom } from "./buffer_room.ts";
import {
  fromParts,
  jsonToParts,
  PART_BYTES,
  type StoredGroup,
  toParts,
} from "./blob.ts";
import { counterValue, type KvKey, type KvLike, U64 } from "./kv_like.ts";
import { Lease } from "./lease.ts";
import { assertNameFree } from "../platforms/destination_name.ts";

/** Options of {@linkcode KvSpool}. */
export interface KvSpoolOptions {
  /** The first key part of everything the spool stores; default `"harombe-siem"`. */
  prefix?: string | undefined;
  /** The `fetch` to send with; default: the global one. */
  fetch?: typeof fetch | undefined;
  /** The clock; default {@linkcode systemClock}. */
  clock?: Clock | undefined;
  /** Numbers in [0, 1) for jitter and ids; default `Math.random`. */
  random?: (() => number) | undefined;
  /** Where problems are written; default: the console. */
  logger?: Logger | undefined;
  /** Also told of every dead letter, after it is stored. */
  onDeadLetter?: ((letter: DeadLetter) => void | Promise<void>) | undefined;
  /**
   * Most events held per destination; past it `accept` refuses with 503.
   *
   * @default {1000000}
   */
  maxSpooledEvents?: number | undefined;
  /**
   * How long a destination's lease lasts without renewal, in ms: after an
   * instance dies, another takes its destinations over this much later.
   *
   * @default {15000}
   */
  leaseMs?: number | undefined;
  /**
   * How often the spool renews leases and looks for events (accepted by
   * other instances, or left by a dead one), in ms.
   *
   * @default {1000}
   */
  pollMs?: number | undefined;
  /** How long `stop()` may go on delivering, in ms; default 30000. */
  stopTimeoutMs?: number | undefined;
  /** This instance's id in leases; default: random. */
  instanceId?: string | undefined;
}

/**
 * Writes that {@linkcode KvSpool.accept} commits in the same transaction as
 * the events, so that they are stored together or not at all (an importer's
 * checkpoint, for example).
 */
export interface SpoolCommitExtras {
  /** Keys that must still have these versionstamps (null: absent), or nothing is stored. */
  checks?: readonly { key: KvKey; versionstamp: string | null }[] | undefined;
  /** Values written with the events. */
  sets?: readonly { key: KvKey; value: unknown }[] | undefined;
}

/** A dead letter as stored by the spool. */
export interface StoredDeadLetter {
  /** Its id, for replay. */
  id: string;
  /** The destination that gave the events up. */
  destination: string;
  /** Why. */
  reason: string;
  /** The HTTP status that refused them, if any. */
  status?: number | undefined;
  /** When they were given up, in epoch ms. */
  at: number;
  /** The events. */
  events: SIEMEvent[];
}

/** What {@linkcode KvSpool.stop} did. */
export interface SpoolStopReport extends StopReport {
  /**
   * How many events each destination's outbox still stores after the stop
   * (delivered by the next start, or by another instance): by name.
   */
  stored: Record<string, number>;
}

/** An outbox group about to be stored, and its stored bytes. */
interface GroupToStore {
  group: StoredGroup;
  parts: Uint8Array[];
}

/**
 * An outbox group loaded into a destination's memory (what of it remains
 * to settle is in the spool's settlement ledger).
 */
interface Loaded {
  id: string;
  keys: KvKey[];
  firstVersionstamp: string;
  /** How many events the stored group has. */
  total: number;
  /**
   * The stored progress as last read or written by this instance: the
   * positions and the versionstamp that must still be current (null:
   * none stored).
   */
  recorded: {
    positions: Set<number>;
    /** Undefined when not known (the store did not say): read first. */
    versionstamp: string | null | undefined;
  };
  /** When the group was accepted: its events keep their age when loaded. */
  at: number;
  /**
   * Its events read from storage but not yet in the destination's buffer,
   * which had no room for them: they go in as room frees up.
   */
  waiting: SIEMEvent[];
}

interface Lane {
  name: string;
  destination: Destination;
  /** Made on the first round (its owner id is random, and constructors make none). */
  lease?: Lease | undefined;
  loaded: Map<string, Loaded>;
  spooled: number;
  deadStored: number;
  feeding: boolean;
  /** Room freed up while a feed ran: it goes round once more. */
  feedAgain: boolean;
  /** Events of loaded groups waiting for room in the destination's buffer. */
  waiting: number;
  /** The timer of a refill after a batch left the buffer. */
  refill?: unknown;
  /**
   * Groups settled while a feed lists the outbox: a listing fetched before
   * their deletion may still yield them, and they must not load again.
   */
  settledWhileFeeding: Set<string>;
  /** The last key of the last group loaded: where the next feed reads on. */
  cursor?: KvKey | undefined;
  /** The feed under way, if any. */
  feedRun?: Promise<void> | undefined;
  /**
   * Its records of delivered batches, written in order; one chain per
   * destination, so that a slow store delays no other destination's.
   */
  writes: Promise<void>;
}

/** The most bytes of events committed in one transaction (Deno KV allows 800 KiB). */
const MAX_COMMIT_BYTES = 700_000;
/** The size of JSON at which a group of events is closed (a larger event goes alone). */
const GROUP_BYTES = PART_BYTES;
const encoder = new TextEncoder();

/**
 * A durable spool: `accept` commits events to a key-value store (one outbox
 * per destination) before it resolves, so the ingest answers 202 only for
 * events that survive a crash. Each destination is delivered by the one
 * instance holding its lease, which loads outbox groups into an in-memory
 * destination (batching across requests, retries, backoff, splitting) and
 * records each batch as soon as its answer arrives: a group is deleted once
 * all its events are delivered or dead-lettered, and until then a progress
 * record lists those that are. Dead letters are stored with their reason
 * and can be listed and replayed.
 *
 * Delivery is at least once: a batch in flight (or not yet recorded) when
 * its instance died is sent again by the next lease holder.
 *
 * @example
 * ```ts ignore
 * import { KvSpool } from "@harombe/siem/spool";
 *
 * const kv = await Deno.openKv("./data/spool.sqlite");
 * const spool = new KvSpool(kv, [
 *   { platform: "elasticsearch", endpoint: "https://es.example.com:9200", token: "key" },
 * ]);
 * spool.start();
 * ```
 */
export class KvSpool implements IngestSink {
  readonly #kv: KvLike;
  readonly #prefix: string;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #userDeadLetter: KvSpoolOptions["onDeadLetter"];
  readonly #maxSpooled: number;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #stopTimeoutMs: number;
  readonly #instanceId: string | undefined;
  readonly #lanes = new Map<string, Lane>();
  /** Each loaded event's group and position in it, and what settled. */
  readonly #ledger = new SettlementLedger<Loaded>();
  #timer: unknown;
  #ticking: Promise<void> | undefined;
  #again = false;
  #running = false;
  #stopped = false;
  /** Stopping, and delivering the backlog: leases are renewed, none taken. */
  #draining = false;
  #accepted = 0;
  #groupSeq = 0;
  #id: string | undefined;

  /**
   * Creates the spool; nothing is read or written until `start` or
   * `accept`.
   *
   * @param kv The store (`Deno.Kv` or another {@linkcode KvLike}).
   * @param configs The destinations.
   * @param options Limits, lease timing, and injected clock and fetch.
   * @throws {SIEMConfigError} When a config is invalid.
   * @throws {SIEMConfigError} When two destinations share a name.
   */
  constructor(
    kv: KvLike,
    configs: readonly SIEMConfigInput[],
    options: KvSpoolOptions = {},
  ) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? "harombe-siem";
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? consoleLogger;
    this.#userDeadLetter = options.onDeadLetter;
    this.#maxSpooled = options.maxSpooledEvents ?? 1_000_000;
    this.#leaseMs = options.leaseMs ?? 15_000;
    this.#pollMs = options.pollMs ?? 1000;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
    this.#instanceId = options.instanceId;
    for (const input of configs) {
      const config = parseSIEMConfig(input);
      assertNameFree(this.#lanes, config.name);
      const lane: Lane = {
        name: config.name,
        destination: undefined as unknown as Destination,
        loaded: new Map(),
        spooled: 0,
        deadStored: 0,
        feeding: false,
        feedAgain: false,
        waiting: 0,
        settledWhileFeeding: new Set(),
        writes: Promise.resolve(),
      };
      // The spool bounds what it loads (a few batches) and storage holds the
      // rest: the in-memory byte bound must never dead-letter stored events.
      const loaded = { ...config, maxBufferedBytes: 2 ** 36 };
      lane.destination = new Destination(createExporter(loaded), {
        fetch: options.fetch,
        clock: this.#clock,
        random: this.#random,
        logger: this.#logger,
        autoFlush: true,
        onDeadLetter: (letter) => this.#noteDeadLetter(letter),
        onSettled: (events, settlement) =>
          this.#settled(lane, events, settlement),
      });
      this.#lanes.set(config.name, lane);
    }
  }

  /** The destinations' names. */
  get platforms(): string[] {
    return [...this.#lanes.keys()];
  }

  /** This instance's id in leases. */
  get instanceId(): string {
    return this.#id ??= this.#instanceId ?? crypto.randomUUID();
  }

  /**
   * Starts delivering: takes the leases it can and delivers what the outbox
   * holds (events left by a crash included), then keeps looking every
   * `pollMs`.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopped = false;
    this.#draining = false;
    for (const lane of this.#lanes.values()) lane.destination.reopen();
    void this.#tick();
  }

  /**
   * Commits validated events to every enabled destination's outbox; resolves
   * once they are stored. Large requests are committed in several
   * transactions of at most about 700 KB.
   *
   * With `extras`, the events of every destination and the extra writes go
   * in one transaction: all are stored or none (nothing is stored when a
   * check fails). The caller keeps such a call under about 700 KB of events
   * times the number of destinations.
   *
   * @param events The events.
   * @param extras Writes and checks committed in the same transaction.
   * @throws {IngestError} 503 when a destination's outbox is full, 413 when
   * one event is too large to store in one transaction, 400
   * (`invalid_events`, naming each field; nothing is stored) when an event's
   * metadata is what an Elasticsearch destination without `indexTemplate`
   * can never index.
   * @throws {RangeError} With `extras`, when the events do not fit in one
   * transaction (nothing is stored).
   * @throws {Error} With `extras`, when a check failed (nothing is stored).
   */
  async accept(
    events: readonly AuditEvent[],
    extras?: SpoolCommitExtras,
  ): Promise<void> {
    if (this.#stopped) {
      throw new IngestError(503, "overloaded", "the spool is stopping", {}, {
        "Retry-After": "5",
      });
    }
    const lanes = this.#enabledLanes();
    if (lanes.length === 0) {
      throw new IngestError(503, "overloaded", "no destination is enabled");
    }
    const refused = metadataRefusals(
      lanes.map((lane) => lane.destination.config),
      events,
    );
    if (refused.length > 0) throw refusedEventsError(refused);
    await this.#refreshCounts(lanes);
    for (const lane of lanes) {
      if (lane.spooled + events.length > this.#maxSpooled) {
        throw new IngestError(
          503,
          "overloaded",
          `the spool of ${lane.name} is full (${lane.spooled} of ${this.#maxSpooled} events)`,
          {},
          { "Retry-After": String(Math.ceil(this.#pollMs / 1000) * 5) },
        );
      }
    }
    const siemEvents = events.map((event) => toSIEMEvent(event));
    const groups = this.#group(siemEvents);
    if (extras) {
      await this.#acceptAtomically(lanes, groups, extras);
      this.#accepted += events.length;
      for (const lane of lanes) lane.spooled += events.length;
      if (this.#running) void this.#tick();
      return;
    }
    let atomic = this.#kv.atomic();
    let bytes = 0;
    const commits: Promise<void>[] = [];
    const commit = async (op: typeof atomic): Promise<void> => {
      const result = await this.#retry(() => op.commit());
      if (!result.ok) throw new Error("Cannot store events: commit failed");
    };
    for (const { group, parts } of groups) {
      const size = parts.reduce((sum, part) => sum + part.length, 0);
      if (size * lanes.length > MAX_COMMIT_BYTES && lanes.length > 1) {
        // Too large to store for every destination at once: one
        // transaction per destination.
        for (const lane of lanes) {
          const op = this.#kv.atomic();
          this.#writeGroup(op, "outbox", lane.name, group, parts);
          commits.push(commit(op));
        }
        continue;
      }
      if (bytes + size * lanes.length > MAX_COMMIT_BYTES) {
        commits.push(commit(atomic));
        atomic = this.#kv.atomic();
        bytes = 0;
      }
      for (const lane of lanes) {
        this.#writeGroup(atomic, "outbox", lane.name, group, parts);
      }
      bytes += size * lanes.length;
    }
    if (bytes > 0) commits.push(commit(atomic));
    await Promise.all(commits);
    this.#accepted += events.length;
    for (const lane of lanes) lane.spooled += events.length;
    if (this.#running) void this.#tick();
  }

  // One transaction for every destination's copy and the caller's writes,
  // or a RangeError before anything is written.
  async #acceptAtomically(
    lanes: Lane[],
    groups: GroupToStore[],
    extras: SpoolCommitExtras,
  ): Promise<void> {
    const op = this.#kv.atomic();
    if (extras.checks?.length) op.check(...extras.checks);
    let bytes = 0;
    for (const { group, parts } of groups) {
      bytes += parts.reduce((sum, part) => sum + part.length, 0) *
        lanes.length;
      if (bytes > MAX_COMMIT_BYTES) {
        throw new RangeError(
          `Cannot store events in one transaction: more than ${MAX_COMMIT_BYTES} bytes for ${lanes.length} destination(s); accept fewer at once`,
        );
      }
      for (const lane of lanes) {
        this.#writeGroup(op, "outbox", lane.name, group, parts);
      }
    }
    for (const { key, value } of extras.sets ?? []) op.set(key, value);
    const { ok } = await this.#retry(() => op.commit());
    if (!ok) {
      throw new Error(
        "Cannot store events: a check of the transaction failed (nothing was stored)",
      );
    }
  }

  /** How many more events every enabled destination's outbox can take (as last counted). */
  capacity(): number {
    let free = Infinity;
    for (const lane of this.#enabledLanes()) {
      free = Math.min(free, this.#maxSpooled - lane.spooled);
    }
    return free === Infinity ? 0 : Math.max(0, free);
  }

  /** Sends now what this instance has loaded, and loads more first. */
  async flush(): Promise<unknown> {
    await this.#tick();
    await Promise.all([...this.#lanes.values()].map((lane) => lane.feedRun));
    const results = await Promise.all(
      this.#enabledLanes().map((lane) => lane.destination.flush()),
    );
    await this.#allWrites();
    return results;
  }

  /**
   * Statistics: each destination's delivery counters, with `buffered` as the
   * events its outbox holds (from every instance).
   */
  getStats(): IntegratorStats {
    const totals = emptyCounters();
    const perPlatform: IntegratorStats["perPlatform"] = {};
    let buffered = 0;
    for (const lane of this.#lanes.values()) {
      lane.destination.addTo(totals);
      const stats = lane.destination.stats();
      perPlatform[lane.name] = {
        ...stats,
        buffered: Math.max(lane.spooled, stats.buffered),
        spool: {
          leaseHeld: lane.lease?.held ?? false,
          deadLettersStored: lane.deadStored,
        },
      };
      buffered += perPlatform[lane.name]!.buffered;
    }
    return { ...totals, eventsAccepted: this.#accepted, buffered, perPlatform };
  }

  /**
   * Stops: no more accepts; goes on delivering the stored backlog (loading
   * more as batches are delivered) until it is empty, a destination fails,
   * or the deadline passes; then delivers what is loaded until the
   * deadline, writes the settlements, and gives the leases up so another
   * instance can take over at once. Undelivered events stay in the store.
   *
   * @param options The deadline.
   * @returns The final flushes, what they left in memory undelivered, and
   * how many events each destination's outbox still stores (for the next
   * start).
   */
  async stop(options: { timeoutMs?: number } = {}): Promise<SpoolStopReport> {
    const timeoutMs = options.timeoutMs ?? this.#stopTimeoutMs;
    const deadlineAt = this.#clock.now() + timeoutMs;
    const wasRunning = this.#running && !this.#stopped;
    this.#stopped = true;
    if (wasRunning) await this.#drainStored(deadlineAt);
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const lane of this.#lanes.values()) this.#cancelRefill(lane);
    // A round or a feed under way reads the store: the caller may close it
    // once stop() resolves.
    await this.#ticking?.catch(() => {});
    await Promise.all([...this.#lanes.values()].map((lane) => lane.feedRun));
    const left = Math.max(0, deadlineAt - this.#clock.now());
    const reports: DestinationReport[] = await Promise.all(
      [...this.#lanes.values()].map((lane) => lane.destination.close(left)),
    );
    await this.#allWrites();
    const lanes = [...this.#lanes.values()];
    const stored: Record<string, number> = {};
    try {
      await this.#refreshCounts(lanes);
      for (const lane of lanes) stored[lane.name] = lane.spooled;
    } catch (error) {
      this.#logger.error("spool could not count what stays stored", {
        error: String(error),
      });
    }
    // A lease not given up only delays another instance's takeover.
    await Promise.all(
      lanes.map((lane) =>
        lane.lease?.release().catch((error) =>
          this.#logger.warn("spool could not give its lease up", {
            destination: lane.name,
            error: String(error),
          })
        )
      ),
    );
    return {
      destinations: reports,
      undeliveredCount: reports.reduce((n, r) => n + r.undelivered.length, 0),
      stored,
    };
  }

  // While stopping with healthy SIEMs, the backlog in storage is delivered
  // (not only what is loaded) until the deadline: the spool keeps running,
  // so each delivered batch is recorded and more is loaded, and what waits
  // for a batch to fill or for its flush interval is sent at once. A
  // destination that fails stops here, and close() gives it the rest of the
  // deadline, as for what is loaded.
  async #drainStored(deadlineAt: number): Promise<void> {
    const deadline = new AbortController();
    const handle = this.#clock.setTimeout(
      () => deadline.abort(),
      Math.max(0, deadlineAt - this.#clock.now()),
    );
    const signals = { sleep: deadline.signal, request: deadline.signal };
    // Real time, not the injected clock: this only lets the delivery
    // already under way go on.
    const pause = (): Promise<void> =>
      new Promise((resolve) => {
        const timer = setTimeout(done, 10);
        function done(): void {
          clearTimeout(timer);
          deadline.signal.removeEventListener("abort", done);
          resolve();
        }
        deadline.signal.addEventListener("abort", done, { once: true });
      });
    const ended = new Promise<undefined>((resolve) => {
      if (deadline.signal.aborted) resolve(undefined);
      deadline.signal.addEventListener("abort", () => resolve(undefined), {
        once: true,
      });
    });
    try {
      // A round under way may be taking the leases; later rounds only renew.
      await this.#ticking;
      this.#draining = true;
      await Promise.all(
        this.#enabledLanes().map(async (lane) => {
          let idle = 0;
          while (!deadline.signal.aborted && lane.lease?.held) {
            const { destination } = lane;
            await this.#feed(lane);
            if (destination.buffered === 0) {
              // Nothing loaded: done once storage holds nothing more for it.
              // A feed already running may still be loading; a count that
              // never comes down (groups that cannot load) ends the wait.
              await lane.writes;
              await this.#refreshCounts([lane]);
              if (lane.spooled === 0 || ++idle > 50) return;
              await pause();
              continue;
            }
            idle = 0;
            const { state } = destination.stats();
            if (state === "sending" || state === "retrying") {
              // Its loop is sending full batches (the spool refills it), or
              // retrying one: it goes on.
              await pause();
              continue;
            }
            // The rest waits for a batch to fill or for its flush interval,
            // or for a backoff to end: send it now. A flush can wait for a
            // delivery loop that began meanwhile: the deadline ends the wait
            // (close() then interrupts that loop).
            const flushed = destination.flush(signals);
            flushed.catch(() => {});
            const result = await Promise.race([flushed, ended]);
            if (result === undefined) return;
            await lane.writes;
            if (!result.success) return;
          }
        }),
      );
    } catch (error) {
      this.#logger.error("spool could not deliver its backlog while stopping", {
        error: String(error),
      });
    } finally {
      this.#clock.clearTimeout(handle);
    }
  }

  /**
   * Lists stored dead letters.
   *
   * @param destination Only this destination's; default: all.
   * @returns The dead letters, oldest first per destination.
   */
  async *deadLetters(destination?: string): AsyncIterable<StoredDeadLetter> {
    const names = destination ? [destination] : this.platforms;
    for (const name of names) {
      for await (const group of this.#groups("dead", name)) {
        const stored = fromParts(group.parts);
        yield {
          id: group.id,
          destination: name,
          reason: stored.reason ?? "",
          status: stored.status,
          at: stored.at,
          events: stored.events,
        };
      }
    }
  }

  /**
   * Moves dead letters back into their destination's outbox, to be sent
   * again (after the cause is fixed).
   *
   * @param destination Only this destination's; default: all.
   * @param id Only this dead letter; default: all.
   * @returns How many events were put back.
   */
  async replayDeadLetters(destination?: string, id?: string): Promise<number> {
    let count = 0;
    const names = destination ? [destination] : this.platforms;
    for (const name of names) {
      for await (const group of this.#groups("dead", name)) {
        if (id !== undefined && group.id !== id) continue;
        const stored = fromParts(group.parts);
        const op = this.#kv.atomic().check({
          key: group.keys[0]!,
          versionstamp: group.firstVersionstamp,
        });
        for (const key of group.keys) op.delete(key);
        const back: StoredGroup = { at: stored.at, events: stored.events };
        this.#writeGroup(op, "outbox", name, back, toParts(back));
        op.sum(
          this.#key("deadcount", name),
          U64 - BigInt(stored.events.length),
        );
        if ((await op.commit()).ok) count += stored.events.length;
      }
    }
    if (this.#running) void this.#tick();
    return count;
  }

  /**
   * Deletes stored dead letters for good.
   *
   * @param destination Only this destination's; default: all.
   * @param id Only this dead letter; default: all.
   * @returns How many events were deleted.
   */
  async purgeDeadLetters(destination?: string, id?: string): Promise<number> {
    let count = 0;
    const names = destination ? [destination] : this.platforms;
    for (const name of names) {
      for await (const group of this.#groups("dead", name)) {
        if (id !== undefined && group.id !== id) continue;
        const events = fromParts(group.parts).events.length;
        const op = this.#kv.atomic();
        for (const key of group.keys) op.delete(key);
        op.sum(this.#key("deadcount", name), U64 - BigInt(events));
        if ((await this.#retry(() => op.commit())).ok) count += events;
      }
    }
    return count;
  }

  // Groups events into outbox groups of about GROUP_BYTES of JSON (a larger
  // event forms a group of its own; one too large to commit is refused),
  // with their stored bytes built from the JSON measured here.
  #group(events: SIEMEvent[]): GroupToStore[] {
    const at = this.#clock.now();
    const groups: GroupToStore[] = [];
    let current: SIEMEvent[] = [];
    let currentJson: string[] = [];
    let size = 0;
    const close = (): void => {
      groups.push({
        group: { at, events: current },
        parts: jsonToParts(at, currentJson),
      });
      current = [];
      currentJson = [];
      size = 0;
    };
    for (const event of events) {
      const json = JSON.stringify(event);
      // UTF-16 length is a lower bound of the UTF-8 size; measure exactly
      // only when the bound alone cannot decide.
      const bytes = json.length * 3 <= MAX_COMMIT_BYTES
        ? json.length
        : encoder.encode(json).length;
      if (bytes > MAX_COMMIT_BYTES) {
        throw new IngestError(
          413,
          "payload_too_large",
          `an event is larger than the ${MAX_COMMIT_BYTES} bytes the durable spool stores at once`,
        );
      }
      if (current.length > 0 && size + bytes > GROUP_BYTES) close();
      current.push(event);
      currentJson.push(json);
      size += bytes;
    }
    if (current.length > 0) close();
    return groups;
  }

  #writeGroup(
    op: ReturnType<KvLike["atomic"]>,
    kind: "outbox" | "dead",
    destination: string,
    group: StoredGroup,
    parts: Uint8Array[],
  ): void {
    // Keys sort by accept time, then id: a counter first keeps the groups
    // of one instance in the order they were accepted (an import's order),
    // the UUID keeps ids of different instances apart.
    const id = `${
      String(this.#groupSeq++).padStart(12, "0")
    }-${crypto.randomUUID()}`;
    parts.forEach((part, index) =>
      op.set(
        this.#key(kind, destination, group.at, id, index, parts.length),
        part,
      )
    );
    op.sum(
      this.#key(kind === "outbox" ? "count" : "deadcount", destination),
      BigInt(group.events.length),
    );
  }

  #key(...parts: (string | number)[]): KvKey {
    return [this.#prefix, ...parts];
  }

  // Reads the stored groups of one outbox or dead-letter list, in order,
  // complete groups only.
  async *#groups(
    kind: "outbox" | "dead",
    destination: string,
    limit = Infinity,
    start?: KvKey,
  ): AsyncIterable<
    {
      id: string;
      keys: KvKey[];
      parts: Uint8Array[];
      firstVersionstamp: string;
    }
  > {
    let current:
      | {
        id: string;
        keys: KvKey[];
        parts: Uint8Array[];
        firstVersionstamp: string;
        total: number;
      }
      | undefined;
    let yielded = 0;
    for await (
      const entry of this.#kv.list<Uint8Array>(
        start
          ? { prefix: this.#key(kind, destination), start }
          : { prefix: this.#key(kind, destination) },
        // Small pages: a feed needs a few groups, each up to 60 KB a part.
        { batchSize: 8 },
      )
    ) {
      const [, , , , id, index, total] = entry.key as [
        string,
        string,
        string,
        number,
        string,
        number,
        number,
      ];
      if (current?.id !== id) {
        current = {
          id,
          keys: [],
          parts: [],
          firstVersionstamp: entry.versionstamp,
          total,
        };
      }
      if (index !== current.parts.length) continue;
      current.keys.push(entry.key);
      current.parts.push(entry.value);
      if (current.parts.length === current.total) {
        yield current;
        if (++yielded >= limit) return;
      }
    }
  }

  async #refreshCounts(lanes: Lane[]): Promise<void> {
    await Promise.all(lanes.map(async (lane) => {
      const [count, dead] = await Promise.all([
        this.#retry(() => this.#kv.get(this.#key("count", lane.name))),
        this.#retry(() => this.#kv.get(this.#key("deadcount", lane.name))),
      ]);
      lane.spooled = counterValue(count.value);
      lane.deadStored = counterValue(dead.value);
    }));
  }

  // One round: renew or take leases, then load outbox groups into the
  // destinations this instance delivers.
  #tick(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return this.#ticking;
    }
    this.#ticking = (async () => {
      do {
        this.#again = false;
        await this.#round();
      } while (this.#again);
    })().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #round(): Promise<void> {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      const lanes = this.#enabledLanes();
      await this.#refreshCounts(lanes);
      // Every lease is renewed before any feed, and a round does not wait
      // for its feeds: loading many groups from a busy store must not
      // delay the next renewal past the lease.
      for (const lane of lanes) {
        if (await this.#holdLease(lane)) void this.#feed(lane);
      }
    } catch (error) {
      this.#logger.error("spool round failed", { error: String(error) });
    } finally {
      if (this.#running && this.#timer === undefined) {
        this.#timer = this.#clock.setTimeout(() => {
          this.#timer = undefined;
          void this.#tick();
        }, this.#pollMs);
      }
    }
  }

  async #holdLease(lane: Lane): Promise<boolean> {
    // Stopping: renew what is held (the backlog is being delivered), take
    // nothing new.
    if (this.#draining && !lane.lease?.held) return false;
    lane.lease ??= new Lease(
      this.#kv,
      this.#key("lease", lane.name),
      this.instanceId,
      this.#leaseMs,
      (operation) => this.#retry(operation),
    );
    const state = await lane.lease.hold(this.#clock.now());
    if (state === "lost") this.#lose(lane);
    return state === "held";
  }

  // Another instance has the lease now: forget what was loaded (it is still
  // stored, and the new holder sends it).
  #lose(lane: Lane): void {
    this.#logger.warn("spool lease lost", { destination: lane.name });
    lane.destination.clear();
    lane.loaded.clear();
    lane.waiting = 0;
    this.#cancelRefill(lane);
    lane.cursor = undefined;
  }

  // Loads outbox groups until the destination holds a few batches, never
  // more than its buffer takes: an event its overflow policy refused would
  // be dead-lettered although it is stored (and its group never settled).
  #feed(lane: Lane): Promise<void> {
    if (!lane.destination.config.enabled) return Promise.resolve();
    if (lane.feeding) {
      lane.feedAgain = true;
      return Promise.resolve();
    }
    lane.feeding = true;
    lane.settledWhileFeeding.clear();
    // Kept, so that stop() waits for it before the store may close.
    const run = (async () => {
      try {
        do {
          lane.feedAgain = false;
          await this.#feedOnce(lane);
        } while (lane.feedAgain && lane.lease?.held);
      } finally {
        lane.feeding = false;
      }
    })();
    lane.feedRun = run.catch((error) => {
      this.#logger.error("spool could not load events", {
        destination: lane.name,
        error: String(error),
      });
    });
    return lane.feedRun;
  }

  async #feedOnce(lane: Lane): Promise<void> {
    const { batchSize } = lane.destination.config;
    if (lane.destination.buffered >= batchSize * 2) return;
    // First the events of groups already loaded, in order.
    this.#topUp(lane);
    if (lane.waiting > 0) return;
    // Read on from the last group loaded, not from the first key again:
    // the groups before it are loaded and still stored until settled.
    if (lane.loaded.size === 0) lane.cursor = undefined;
    for await (
      const group of this.#groups("outbox", lane.name, Infinity, lane.cursor)
    ) {
      if (this.#room(lane) <= 0 || !lane.lease?.held) break;
      if (
        lane.loaded.has(group.id) || lane.settledWhileFeeding.has(group.id)
      ) continue;
      const stored = fromParts(group.parts);
      // Batches of the group already delivered (recorded before a crash or
      // a lost lease) are not sent again.
      const progress = await this.#retry(() =>
        this.#kv.get<number[]>(this.#key("progress", lane.name, group.id))
      );
      const settled = new Set(progress.value ?? []);
      const events: SIEMEvent[] = [];
      const positions: number[] = [];
      stored.events.forEach((event, index) => {
        if (settled.has(index)) return;
        events.push(event);
        positions.push(index);
      });
      const loaded: Loaded = {
        id: group.id,
        keys: group.keys,
        firstVersionstamp: group.firstVersionstamp,
        total: stored.events.length,
        recorded: {
          positions: new Set(settled),
          versionstamp: progress.versionstamp,
        },
        at: stored.at,
        waiting: events,
      };
      this.#ledger.track(loaded, events, positions);
      lane.loaded.set(group.id, loaded);
      lane.waiting += events.length;
      lane.cursor = group.keys[group.keys.length - 1];
      // Every event recorded but the group not deleted: delete it now.
      if (events.length === 0) {
        this.#record(lane, loaded, {
          positions: [],
          delivered: 0,
          dead: new Map(),
        });
      }
      this.#topUp(lane);
    }
  }

  // Moves waiting events of loaded groups into the destination's buffer,
  // oldest group first, as far as there is room.
  #topUp(lane: Lane): void {
    if (lane.waiting === 0) return;
    let room = this.#room(lane);
    for (const loaded of lane.loaded.values()) {
      if (room <= 0) break;
      if (loaded.waiting.length === 0) continue;
      const now = loaded.waiting.slice(0, room);
      loaded.waiting = loaded.waiting.slice(now.length);
      lane.waiting -= now.length;
      room -= now.length;
      for (const event of now) {
        lane.destination.enqueue(event, true, loaded.at);
      }
    }
  }

  // How many more events the destination should take now: up to four
  // batches, and never past its buffer's bound.
  #room(lane: Lane): number {
    const { destination } = lane;
    return Math.min(
      destination.config.batchSize * 4 - destination.buffered,
      bufferRoom(destination),
    );
  }

  // A batch left the buffer while events wait for room: load them once the
  // destination's loop has let go of the batch (it still counts it as in
  // flight while it reports the outcome).
  #refillSoon(lane: Lane): void {
    if (!this.#running || lane.waiting === 0 || lane.refill !== undefined) {
      return;
    }
    lane.refill = this.#clock.setTimeout(() => {
      lane.refill = undefined;
      if (this.#running && lane.lease?.held) void this.#feed(lane);
    }, 0);
  }

  #cancelRefill(lane: Lane): void {
    if (lane.refill !== undefined) this.#clock.clearTimeout(lane.refill);
    lane.refill = undefined;
  }

  // The destination always has a callback, so that it never logs dead
  // letters as lost for want of one: the spool stores them.
  #noteDeadLetter(letter: DeadLetter): void {
    if (this.#userDeadLetter) {
      Promise.resolve(this.#userDeadLetter(letter)).catch((error) =>
        this.#logger.error("dead-letter callback failed", {
          error: String(error),
        })
      );
    }
  }

  // Events of one batch left a destination: their delivery (or dead
  // letters, with their reason) is recorded at once, one transaction per
  // group they belong to, so that a crash resends at most the batches in
  // flight. A group whose events have all settled is deleted; otherwise its
  // progress key lists the positions settled, which a later load skips.
  #settled(lane: Lane, events: SIEMEvent[], settlement: Settlement): void {
    const parts = this.#ledger.settle(events, settlement);
    for (const [loaded, part] of parts) this.#record(lane, loaded, part);
    this.#refillSoon(lane);
  }

  #record(lane: Lane, loaded: Loaded, part: SettledPart): void {
    const { id } = loaded;
    const progressKey = this.#key("progress", lane.name, id);
    let gone = this.#ledger.remaining(loaded) === 0;
    const forget = (): void => {
      if (!gone) return;
      if (lane.feeding) lane.settledWhileFeeding.add(id);
      lane.loaded.delete(id);
    };
    lane.writes = lane.writes.then(async () => {
      // The stored progress is merged, not overwritten, under a check of its
      // versionstamp: an instance that lost its lease may record a batch it
      // delivered while the new holder records others of the same group,
      // and no event may be counted off twice.
      // First from what this instance last read or wrote (no read in the
      // normal case), then from the store when the check says it moved.
      for (let attempt = 0;; attempt++) {
        if (attempt > 0 || loaded.recorded.versionstamp === undefined) {
          const progress = await this.#retry(() =>
            this.#kv.get<number[]>(progressKey)
          );
          loaded.recorded = {
            positions: new Set(progress.value ?? []),
            versionstamp: progress.versionstamp,
          };
        }
        const before = loaded.recorded.positions;
        const stamp = loaded.recorded.versionstamp ?? null;
        const fresh = part.positions.filter((p) => !before.has(p));
        const all = new Set([...before, ...fresh]);
        const done = all.size >= loaded.total;
        const op = this.#kv.atomic()
          .check({
            key: loaded.keys[0]!,
            versionstamp: loaded.firstVersionstamp,
          })
          .check({ key: progressKey, versionstamp: stamp });
        if (done) {
          for (const key of loaded.keys) op.delete(key);
          op.delete(progressKey);
        } else {
          op.set(progressKey, [...all]);
        }
        if (fresh.length > 0) {
          op.sum(this.#key("count", lane.name), U64 - BigInt(fresh.length));
        }
        const isFresh = new Set(fresh);
        for (const [reason, group] of part.dead) {
          const events = group.events.filter((_, i) =>
            isFresh.has(group.positions[i]!)
          );
          if (events.length === 0) continue;
          const stored: StoredGroup = {
            at: this.#clock.now(),
            events,
            reason,
            status: group.status,
          };
          this.#writeGroup(op, "dead", lane.name, stored, toParts(stored));
        }
        const result = await this.#retry(() => op.commit());
        if (result.ok) {
          loaded.recorded = {
            positions: all,
            versionstamp: done ? null : result.versionstamp,
          };
          lane.spooled = Math.max(0, lane.spooled - fresh.length);
          if (done) gone = true;
          break;
        }
        // The group is gone (settled by another instance), or its progress
        // moved: read it again.
        const first = await this.#retry(() => this.#kv.get(loaded.keys[0]!));
        if (first.versionstamp !== loaded.firstVersionstamp || attempt >= 20) {
          gone = true;
          break;
        }
      }
      forget();
      if (!gone) return;
      // Keep the destination fed while a backlog lasts, not once per poll.
      const { batchSize } = lane.destination.config;
      if (
        this.#running && lane.lease?.held &&
        lane.spooled > lane.destination.buffered &&
        lane.destination.buffered < batchSize * 2
      ) void this.#feed(lane);
    }).catch((error) => {
      gone = true;
      forget();
      this.#logger.error("spool could not record delivered events", {
        destination: lane.name,
        error: String(error),
      });
    });
  }

  // Several processes on one SQLite file meet "database is locked" now and
  // then: nothing was written, so the operation is tried again.
  async #retry<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      try {
        return await operation();
      } catch (error) {
        const busy = error instanceof Error &&
          /locked|busy/i.test(error.message);
        if (!busy || attempt >= 50) throw error;
        const delay = Math.min(200, 5 * 2 ** Math.min(attempt, 5)) *
          (0.5 + this.#random() / 2);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  // Every destination's records still being written.
  async #allWrites(): Promise<void> {
    await Promise.all([...this.#lanes.values()].map((lane) => lane.writes));
  }

  #enabledLanes(): Lane[] {
    return [...this.#lanes.values()].filter((lane) =>
      lane.destination.config.enabled
    );
  }
}
