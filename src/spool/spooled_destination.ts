/**
 * One destination of the durable spool on the instance that delivers it:
 * the outbox groups it has loaded for the orchestrator's destination, and
 * the records of what settled.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { Clock } from "../delivery/clock.ts";
import type { Destination } from "../delivery/destination.ts";
import type { StoredEvent } from "../delivery/delivery_storage.ts";
import type { DestinationSet } from "../delivery/destination_set.ts";
import type { Logger } from "../delivery/logger.ts";
import {
  type SettledPart,
  type Settlement,
  SettlementLedger,
} from "../delivery/settlement.ts";
import type { ParsedSIEMConfig } from "../platforms/siem_config.ts";
import type { DecodedGroups } from "./decoded_groups.ts";
import type { KvKey } from "./kv_like.ts";
import {
  joinParts,
  MAX_GROUPS_PER_RECORD,
  recordGroup,
  recordGroups,
  type RecordOutcome,
} from "./group_records.ts";
import type { KvOutbox } from "./kv_outbox.ts";
import type { Lease } from "./lease.ts";
import { OutboxCount } from "./outbox_count.ts";
import { readGroupsToLoad } from "./outbox_reads.ts";
import { type Loaded, loadGroup } from "./loaded_group.ts";

/** Fewest events a destination loads ahead of its sends. */
const READ_AHEAD = 2000;

/** What a spooled destination needs from its spool. */
export interface SpoolContext {
  /** The storage. */
  outbox: KvOutbox;
  /** The orchestrator that owns the destination (and feeds it from here). */
  deliveries: DestinationSet;
  /** The clock. */
  clock: Clock;
  /** Where problems are written. */
  logger: Logger;
  /** Whether the spool runs (refills and feeds follow settlements). */
  running: () => boolean;
  /** The groups decoded for the spool's destinations. */
  decoded: DecodedGroups;
}

/**
 * A destination of the durable spool: loads outbox groups while this
 * instance holds its lease, hands their events to the orchestrator as its
 * destination has room, and records each batch that settles (deleting a
 * group once all its events have).
 */
export class SpooledDestination {
  /** The destination's name. */
  readonly name: string;
  /** Made on the first round (its owner id is random, and constructors make none). */
  lease: Lease | undefined;
  /** Its outbox's events as this instance knows them. */
  readonly count: OutboxCount = new OutboxCount();
  /** Events its dead letters hold, as last counted. */
  deadCount = 0;
  /** Its records of delivered batches, in order (one chain per destination). */
  writes: Promise<void> = Promise.resolve();
  /** Settled parts waiting for their record to be written. */
  readonly #pending: { loaded: Loaded; part: SettledPart; gone: boolean }[] =
    [];
  #recordQueued = false;
  /** Settled events in `#pending`: delivered, their record not begun. */
  #unrecorded = 0;
  /** The feed under way, if any. */
  feedRun: Promise<void> | undefined;
  readonly #context: SpoolContext;
  readonly #ledger = new SettlementLedger<Loaded>();
  readonly #loaded = new Map<string, Loaded>();
  #feeding = false;
  /** Room freed up while a feed ran: it goes round once more. */
  #feedAgain = false;
  /** Events of loaded groups waiting for room in the destination's buffer. */
  #waiting = 0;
  /** The timer of a refill after a batch left the buffer. */
  #refill: unknown;
  /**
   * Groups settled while a feed lists the outbox: a listing fetched before
   * their deletion may still yield them, and they must not load again.
   */
  #settledWhileFeeding = new Set<string>();
  /** The last key of the last group loaded: where the next feed reads on. */
  #cursor: KvKey | undefined;
  /**
   * The last read stopped at the room, not at the outbox's end: the next
   * one starts as soon as half the window is free, not at the next record
   * or round.
   */
  #more = false;

  /**
   * Makes the destination's storage side; reads nothing.
   *
   * @param config The destination's config (the orchestrator has it too).
   * @param context The spool's storage, orchestrator, clock and callbacks.
   */
  constructor(config: ParsedSIEMConfig, context: SpoolContext) {
    this.name = config.name;
    this.#context = context;
  }

  /** The orchestrator's destination it feeds. */
  get destination(): Destination {
    return this.#context.deliveries.get(this.name)!;
  }

  /** Events its outbox holds (from every instance), as last counted. */
  get outboxCount(): number {
    return this.count.value;
  }

  /** Reads its outbox and dead-letter counts from the store. */
  async refreshCounts(): Promise<void> {
    const before = this.count.beginRead();
    const counts = await this.#context.outbox.counts(this.name);
    this.count.read(counts.spooled, before);
    this.deadCount = counts.deadStored;
  }

  /** Reads what its outbox holds (not its dead letters): one read. */
  async refreshOutboxCount(): Promise<void> {
    const before = this.count.beginRead();
    this.count.read(await this.#context.outbox.outboxCount(this.name), before);
  }

  /**
   * Another instance has the lease now: forgets what was loaded (it is
   * still stored, and the new holder sends it).
   */
  lose(): void {
    this.#context.logger.warn("spool lease lost", { destination: this.name });
    this.destination.clear();
    this.#loaded.clear();
    this.#waiting = 0;
    this.cancelRefill();
    this.#cursor = undefined;
    this.#more = false;
  }

  /**
   * Loads outbox groups until the destination holds a few batches, never
   * more than its buffer takes: an event its overflow policy refused would
   * be dead-lettered although it is stored (and its group never settled).
   *
   * @returns When the feed is done (errors are logged).
   */
  feed(): Promise<void> {
    if (!this.destination.config.enabled) return Promise.resolve();
    if (this.#feeding) {
      // The running feed goes round once more: who waits for this feed
      // waits for that round (a stopping drain must not flush a part batch
      // while the rest of it is still loading).
      this.#feedAgain = true;
      return this.feedRun ?? Promise.resolve();
    }
    this.#feeding = true;
    this.#settledWhileFeeding.clear();
    // Kept, so that stop() waits for it before the store may close.
    const run = (async () => {
      try {
        do {
          this.#feedAgain = false;
          await this.#feedOnce();
        } while (this.#feedAgain && this.lease?.held);
      } finally {
        this.#feeding = false;
      }
    })();
    this.feedRun = run.catch((error) => {
      this.#context.logger.error("spool could not load events", {
        destination: this.name,
        error: String(error),
      });
    });
    return this.feedRun;
  }

  /** Cancels a refill planned after a batch left the buffer. */
  cancelRefill(): void {
    if (this.#refill !== undefined) {
      this.#context.clock.clearTimeout(this.#refill);
    }
    this.#refill = undefined;
  }

  async #feedOnce(): Promise<void> {
    const { batchSize } = this.destination.config;
    // The next read starts when half the window is left, not when the
    // buffer runs low: it comes back before the destination runs dry.
    if (this.destination.buffered >= this.#window() / 2) return;
    // First the events of groups already loaded, in order.
    this.#topUp();
    if (this.#waiting > 0) return;
    // No read while a window of delivered events waits for its record:
    // what a crash would send again stays bounded when records fall behind.
    if (this.#unrecorded >= this.#window()) return;
    // Read on from the last group loaded, not from the first key again:
    // the groups before it are loaded and still stored until settled.
    if (this.#loaded.size === 0) this.#cursor = undefined;
    const { groups: read, more } = await readGroupsToLoad({
      outbox: this.#context.outbox,
      decoded: this.#context.decoded,
      destination: this.name,
      cursor: this.#cursor,
      wanted: (id) =>
        !this.#loaded.has(id) && !this.#settledWhileFeeding.has(id),
      room: () => this.#room(),
      held: () => this.lease?.held === true,
      batchSize,
    });
    this.#more = more;
    for (const { group, decoded, progress } of read) {
      if (!this.lease?.held) break;
      if (decoded === undefined) {
        // A reference without its body (the store lost it): nothing can be
        // sent of it. Logged each time it is listed, and passed over so
        // that the groups after it go.
        this.#cursor = group.keys[group.keys.length - 1];
        this.#context.logger.error("spool group body missing", {
          destination: this.name,
          group: group.id,
        });
        continue;
      }
      const { loaded, events, positions } = loadGroup(
        { group, progress },
        decoded,
      );
      this.#ledger.track(loaded, events, positions);
      this.#loaded.set(group.id, loaded);
      this.#waiting += events.length;
      this.#cursor = group.keys[group.keys.length - 1];
      // Every event recorded but the group not deleted: delete it now.
      if (events.length === 0) {
        this.#pending.push({
          loaded,
          part: { positions: [], delivered: 0, dead: new Map() },
          gone: true,
        });
        this.#recordSoon();
      }
      this.#topUp();
    }
  }

  /**
   * Hands out waiting events of loaded groups, oldest group first; each
   * keeps its group's age.
   *
   * @param room The most to hand out.
   * @returns The events.
   */
  handOut(room: number): StoredEvent[] {
    const out: StoredEvent[] = [];
    if (this.#waiting === 0) return out;
    for (const loaded of this.#loaded.values()) {
      if (room <= 0) break;
      if (loaded.waiting.length === 0) continue;
      const now = loaded.waiting.slice(0, room);
      loaded.waiting = loaded.waiting.slice(now.length);
      this.#waiting -= now.length;
      room -= now.length;
      for (const { event, serialized } of now) {
        out.push({ event, at: loaded.at, serialized });
      }
    }
    return out;
  }

  // The orchestrator moves waiting events into the destination's buffer.
  #topUp(): void {
    if (this.#waiting === 0) return;
    this.#context.deliveries.feed(this.name, { window: this.#window() });
  }

  // How many more events the destination should take now: up to its
  // window, and never past its buffer's bound.
  #room(): number {
    return this.#context.deliveries.room(this.name, this.#window());
  }

  // Four batches for each request in flight, and at least READ_AHEAD
  // events: a read waits its turn behind the store's commits (tens of ms
  // under load), and with small batches four of them went out before the
  // next read came back (at 11,900 events/s offered in batches of 100, each
  // destination idle with 165,000 events stored, delivering 6,400/s).
  #window(): number {
    const { batchSize, maxConcurrentRequests } = this.destination.config;
    return Math.max(batchSize * 4 * maxConcurrentRequests, READ_AHEAD);
  }

  // A batch left the buffer while events wait for room: load them once the
  // destination's loop has let go of the batch (it still counts it as in
  // flight while it reports the outcome).
  #refillSoon(): void {
    if (
      !this.#context.running() || this.#waiting === 0 ||
      this.#refill !== undefined
    ) {
      return;
    }
    this.#refill = this.#context.clock.setTimeout(() => {
      this.#refill = undefined;
      if (this.#context.running() && this.lease?.held) void this.feed();
    }, 0);
  }

  /**
   * Events of one batch left the destination: their delivery (or dead
   * letters, with their reason) is recorded at once, so that a crash
   * resends at most the batches in flight and those whose record is being
   * written. A group whose events have all settled is deleted; otherwise its
   * progress key lists the positions settled, which a later load skips.
   *
   * @param events The events.
   * @param settlement How they left.
   */
  settled(events: SIEMEvent[], settlement: Settlement): void {
    const parts = this.#ledger.settle(events, settlement);
    for (const [loaded, part] of parts) {
      this.#unrecorded += part.positions.length;
      this.#pending.push({
        loaded,
        part,
        gone: this.#ledger.remaining(loaded) === 0,
      });
    }
    if (parts.size > 0) this.#recordSoon();
    this.#refillSoon();
    this.#readOnSoon();
  }

  // More is stored than the last read took: read on once half the window
  // is free, without waiting for this batch's record (a commit behind the
  // accepted ones) or the next round; the read then returns before the
  // destination runs dry (#feedOnce checks the records are not behind).
  #readOnSoon(): void {
    if (
      this.#more && this.#waiting === 0 && !this.#feeding &&
      this.#context.running() && this.lease?.held &&
      this.destination.buffered < this.#window() / 2
    ) void this.feed();
  }

  #recordSoon(): void {
    if (this.#recordQueued) return;
    this.#recordQueued = true;
    this.writes = this.writes.then(() => this.#recordPending()).catch(
      (error) => {
        this.#context.logger.error("spool could not record delivered events", {
          destination: this.name,
          error: String(error),
        });
      },
    );
  }

  // Every record waiting now goes in one transaction where it can: under
  // load each commit waits its turn behind the commits of accepted events,
  // and one transaction per group fell behind delivery (at 12,000 events/s
  // offered, a third of what was delivered was still stored, to be sent
  // again after a crash).
  async #recordPending(): Promise<void> {
    this.#recordQueued = false;
    // Until none waits, those settled meanwhile too: who waits for
    // `writes` (a stop) waits for them.
    while (this.#pending.length > 0) await this.#recordSome();
  }

  async #recordSome(): Promise<void> {
    const joined = new Map<Loaded, { part: SettledPart; gone: boolean }>();
    while (
      this.#pending.length > 0 && joined.size < MAX_GROUPS_PER_RECORD
    ) {
      const { loaded, part, gone } = this.#pending.shift()!;
      this.#unrecorded -= part.positions.length;
      const earlier = joined.get(loaded);
      joined.set(
        loaded,
        earlier === undefined
          ? { part, gone }
          : { part: joinParts(earlier.part, part), gone: earlier.gone || gone },
      );
    }
    const entries = [...joined];
    const context = {
      outbox: this.#context.outbox,
      destination: this.name,
      clock: this.#context.clock,
    };
    let outcomes: RecordOutcome[] | undefined;
    let readsBefore = this.count.beginRecord();
    if (entries.length > 1) {
      outcomes = await recordGroups(
        context,
        entries.map(([loaded, { part }]) => [loaded, part] as const),
      ).catch(() => undefined);
    }
    let anyGone = false;
    for (const [index, [loaded, { part, gone }]] of entries.entries()) {
      let isGone = gone;
      try {
        if (outcomes === undefined) readsBefore = this.count.beginRecord();
        const outcome = outcomes?.[index] ??
          await recordGroup(context, loaded, part);
        this.count.countOff(outcome.fresh, readsBefore);
        if (outcome.gone) isGone = true;
      } catch (error) {
        isGone = true;
        this.#context.logger.error("spool could not record delivered events", {
          destination: this.name,
          error: String(error),
        });
      }
      if (!isGone) continue;
      anyGone = true;
      if (this.#feeding) this.#settledWhileFeeding.add(loaded.id);
      this.#loaded.delete(loaded.id);
    }
    // Keep the destination fed while a backlog lasts, not once per poll.
    if (
      anyGone && this.#context.running() && this.lease?.held &&
      this.outboxCount > this.destination.buffered &&
      this.destination.buffered < this.#window() / 2
    ) void this.feed();
  }
}
