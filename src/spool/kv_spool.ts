/**
 * A durable spool on a key-value store with transactions (Deno KV locally
 * and on Deno Deploy): accepted events are committed to a per-destination
 * outbox before the ingest answers, and delivered from there by whichever
 * instance holds the destination's lease.
 *
 * @module
 */
import type { AuditEvent } from "../events/audit_event.ts";
import { toSIEMEvent } from "../events/siem_event.ts";
import { type Clock, systemClock } from "../delivery/clock.ts";
import { consoleLogger } from "../delivery/console_logger.ts";
import type { DeadLetter } from "../delivery/export_result.ts";
import { DestinationSet } from "../delivery/destination_set.ts";
import type { Logger } from "../delivery/logger.ts";
import type { DeliveryStats } from "../delivery/stats.ts";
import { IngestError, refusedEventsError } from "../ingest/ingest_error.ts";
import { metadataRefusals } from "../platforms/elasticsearch_mapping.ts";
import type { AcceptOptions, IngestSink } from "../ingest/sink.ts";
import {
  type ParsedSIEMConfig,
  parseOnce,
  type SIEMConfigInput,
} from "../platforms/siem_config.ts";
import type { KvLike } from "./kv_like.ts";
import { KvOutbox } from "./kv_outbox.ts";
import { sweepOnStart } from "./shared_bodies.ts";
import {
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
  type StoredDeadLetter,
} from "./kv_dead_letters.ts";
import { drainBacklog } from "./kv_drain.ts";
import { DecodedGroups } from "./decoded_groups.ts";
import type {
  KvSpoolOptions,
  SpoolCommitExtras,
  SpoolStopReport,
} from "./kv_spool_options.ts";
import { LeaseRounds, refreshCounts } from "./kv_rounds.ts";
import { SpooledDestination } from "./spooled_destination.ts";
import { KvStorage } from "./kv_storage.ts";

export type { StoredDeadLetter } from "./kv_dead_letters.ts";

export type {
  KvSpoolOptions,
  SpoolCommitExtras,
  SpoolStopReport,
} from "./kv_spool_options.ts";

/**
 * A durable spool: `accept` commits events to a key-value store (a group
 * stored once, referred to from each destination's outbox) before it
 * resolves, so the ingest answers 202 only for events that survive a crash.
 * Each destination is delivered by the one instance holding its lease, which
 * loads outbox groups into an in-memory destination (batching across
 * requests, retries, backoff, splitting) and records each batch as soon as
 * its answer arrives: a group is deleted once all its events are delivered
 * or dead-lettered, and until then a progress record lists those that are.
 * Dead letters are stored with their reason and can be listed and replayed.
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
  readonly #outbox: KvOutbox;
  /** The first start's sweep of bodies no reference needs (stop waits for it). */
  #sweep: Promise<void> | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #maxSpooled: number;
  readonly #pollMs: number;
  readonly #stopTimeoutMs: number;
  readonly #instanceId: string | undefined;
  readonly #destinations = new Map<string, SpooledDestination>();
  // The one orchestrator, over the outboxes as its storage.
  readonly #storage: KvStorage;
  readonly #set: DestinationSet;
  readonly #rounds: LeaseRounds;
  #running = false;
  #stopped = false;
  #accepted = 0;
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
    configs: readonly (SIEMConfigInput | ParsedSIEMConfig)[],
    options: KvSpoolOptions = {},
  ) {
    this.#clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    this.#outbox = new KvOutbox(
      kv,
      options.prefix ?? "harombe-siem",
      this.#clock,
      random,
    );
    this.#logger = options.logger ?? consoleLogger;
    this.#maxSpooled = options.maxSpooledEvents ?? 1_000_000;
    this.#pollMs = options.pollMs ?? 1000;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
    this.#instanceId = options.instanceId;
    const userDeadLetter = options.onDeadLetter;
    const decoded = new DecodedGroups(() => this.#enabled().length);
    this.#storage = new KvStorage(this.#outbox, this.#destinations, decoded);
    this.#set = new DestinationSet(this.#storage, {
      fetch: options.fetch,
      clock: this.#clock,
      random,
      logger: this.#logger,
      autoFlush: true,
      // Always a callback, so that a destination never logs dead letters as
      // lost for want of one: the spool stores them.
      onDeadLetter: (letter: DeadLetter): void => {
        if (!userDeadLetter) return;
        Promise.resolve(userDeadLetter(letter)).catch((error) =>
          this.#logger.error("dead-letter callback failed", {
            error: String(error),
          })
        );
      },
    }, { stored: true });
    const context = {
      outbox: this.#outbox,
      deliveries: this.#set,
      clock: this.#clock,
      logger: this.#logger,
      running: () => this.#running,
      decoded,
    };
    this.#rounds = new LeaseRounds({
      outbox: this.#outbox,
      clock: this.#clock,
      logger: this.#logger,
      pollMs: this.#pollMs,
      leaseMs: options.leaseMs ?? 15_000,
      instanceId: () => this.instanceId,
      running: () => this.#running,
      destinations: () => this.#enabled(),
    });
    for (const input of configs) {
      const config = parseOnce(input);
      // The spool bounds what it loads (a few batches) and storage holds
      // the rest: the orchestrator lifts the in-memory byte bound.
      this.#set.add(config);
      this.#destinations.set(
        config.name,
        new SpooledDestination(config, context),
      );
    }
  }

  /** The destinations' names. */
  get destinations(): string[] {
    return [...this.#destinations.keys()];
  }
  /**
   * The destinations' names.
   *
   * @deprecated Use {@linkcode KvSpool.destinations}; this alias goes in the next release.
   */
  get platforms(): string[] {
    return this.destinations;
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
    this.#rounds.draining = false;
    this.#set.reopen();
    this.#sweep ??= sweepOnStart(this.#outbox, this.#logger);
    void this.#rounds.tick();
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
   * @param extras Writes and checks committed in the same transaction, and
   * the named `producer` every event is stamped with (see
   * {@linkcode AcceptOptions}).
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
    extras?: SpoolCommitExtras & AcceptOptions,
  ): Promise<void> {
    if (this.#stopped) {
      throw new IngestError(503, "overloaded", "the spool is stopping", {}, {
        "Retry-After": "5",
      });
    }
    const targets = this.#enabled();
    if (targets.length === 0) {
      throw new IngestError(503, "overloaded", "no destination is enabled");
    }
    const refused = metadataRefusals(
      targets.map((spooled) => spooled.destination.config),
      events,
    );
    if (refused.length > 0) throw refusedEventsError(refused);
    // Counted again, so that the bound holds for instances sharing the
    // store; the outboxes only: each read waits behind the store's commits.
    await Promise.all(targets.map((spooled) => spooled.refreshOutboxCount()));
    for (const spooled of targets) {
      if (spooled.outboxCount + events.length > this.#maxSpooled) {
        throw new IngestError(
          503,
          "overloaded",
          `the spool of ${spooled.name} is full (${spooled.outboxCount} of ${this.#maxSpooled} events)`,
          {},
          { "Retry-After": String(Math.ceil(this.#pollMs / 1000) * 5) },
        );
      }
    }
    await this.#storage.store({
      destinations: targets.map((spooled) => spooled.name),
      // Stamped before storing: the stored JSON carries the producer.
      events: events.map((event) =>
        toSIEMEvent(event, { producer: extras?.producer })
      ),
      extras,
    });
    this.#accepted += events.length;
    for (const spooled of targets) spooled.count.stored(events.length);
    if (this.#running) void this.#rounds.tick();
  }

  /** How many more events every enabled destination's outbox can take (as last counted). */
  capacity(): number {
    let free = Infinity;
    for (const spooled of this.#enabled()) {
      free = Math.min(free, this.#maxSpooled - spooled.outboxCount);
    }
    return free === Infinity ? 0 : Math.max(0, free);
  }

  /** Sends now what this instance has loaded, and loads more first. */
  async flush(): Promise<unknown> {
    await this.#rounds.tick();
    await Promise.all(this.#all().map((spooled) => spooled.feedRun));
    const results = await this.#set.flush();
    await this.#allWrites();
    return results;
  }

  /**
   * Statistics: each destination's delivery counters, with `buffered` as the
   * events its outbox holds (from every instance).
   */
  getStats(): DeliveryStats {
    const { totals, perDestination } = this.#set.stats();
    const perPlatform: DeliveryStats["perDestination"] = {};
    let buffered = 0;
    for (const spooled of this.#destinations.values()) {
      const stats = perDestination[spooled.name]!;
      perPlatform[spooled.name] = {
        ...stats,
        buffered: Math.max(spooled.outboxCount, stats.buffered),
        spool: {
          leaseHeld: spooled.lease?.held ?? false,
          deadLettersStored: spooled.deadCount,
        },
      };
      buffered += perPlatform[spooled.name]!.buffered;
    }
    return {
      ...totals,
      eventsAccepted: this.#accepted,
      buffered,
      perPlatform,
      perDestination: perPlatform,
    };
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
    if (wasRunning) await this.#drainBacklog(deadlineAt);
    this.#running = false;
    this.#rounds.cancel();
    const all = this.#all();
    for (const spooled of all) spooled.cancelRefill();
    // A round, sweep or feed under way reads the store: it may close next.
    await this.#rounds.ticking?.catch(() => {});
    await this.#sweep;
    await Promise.all(all.map((spooled) => spooled.feedRun));
    const left = Math.max(0, deadlineAt - this.#clock.now());
    const reports = await this.#set.stop(left);
    await this.#allWrites();
    const stored: Record<string, number> = {};
    try {
      await refreshCounts(all);
      for (const spooled of all) stored[spooled.name] = spooled.outboxCount;
    } catch (error) {
      this.#logger.error("spool could not count what stays stored", {
        error: String(error),
      });
    }
    // A lease not given up only delays another instance's takeover.
    await Promise.all(
      all.map((spooled) =>
        spooled.lease?.release().catch((error) =>
          this.#logger.warn("spool could not give its lease up", {
            destination: spooled.name,
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

  // Delivers the stored backlog until the deadline (see drainBacklog), once
  // a round under way (it may take leases) is done: later rounds renew.
  #drainBacklog(deadlineAt: number): Promise<void> {
    return drainBacklog(deadlineAt, {
      clock: this.#clock,
      logger: this.#logger,
      begin: async () => {
        await this.#rounds.ticking;
        this.#rounds.draining = true;
      },
      destinations: () => this.#enabled(),
    });
  }

  /**
   * Lists stored dead letters.
   *
   * @param destination Only this destination's; default: all.
   * @returns The dead letters, oldest first per destination.
   */
  deadLetters(destination?: string): AsyncIterable<StoredDeadLetter> {
    return listDeadLetters(this.#outbox, this.#names(destination));
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
    const count = await replayDeadLetters(
      this.#outbox,
      this.#names(destination),
      id,
    );
    if (this.#running) void this.#rounds.tick();
    return count;
  }

  /**
   * Deletes stored dead letters for good.
   *
   * @param destination Only this destination's; default: all.
   * @param id Only this dead letter; default: all.
   * @returns How many events were deleted.
   */
  purgeDeadLetters(destination?: string, id?: string): Promise<number> {
    return purgeDeadLetters(this.#outbox, this.#names(destination), id);
  }

  #names(destination: string | undefined): string[] {
    return destination ? [destination] : this.destinations;
  }

  // Every destination's records still being written.
  async #allWrites(): Promise<void> {
    await Promise.all(this.#all().map((spooled) => spooled.writes));
  }

  #all(): SpooledDestination[] {
    return [...this.#destinations.values()];
  }

  #enabled(): SpooledDestination[] {
    return this.#all().filter((spooled) => spooled.destination.config.enabled);
  }
}
