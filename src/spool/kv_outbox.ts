/**
 * The durable spool's storage: stored groups of events (a destination's
 * outbox, its dead letters) in a key-value store, cut into parts, with
 * their event counters.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { Clock } from "../delivery/clock.ts";
import { IngestError } from "../ingest/ingest_error.ts";
import { jsonToParts, PART_BYTES, type StoredGroup } from "./blob.ts";
import {
  decodePartKey,
  decodeReferenceKey,
  type GroupList,
  SpoolKeys,
} from "./kv_keys.ts";
import {
  counterValue,
  type KvAtomicLike,
  type KvKey,
  type KvLike,
} from "./kv_like.ts";
import { retryWhileBusy } from "./kv_retry.ts";

/** The most bytes of events committed in one transaction (Deno KV allows 800 KiB). */
export const MAX_COMMIT_BYTES = 700_000;
/** Most entries an outbox listing fetches a read. */
export const MAX_LIST_PAGE = 64;
/** The size of JSON at which a group of events is closed (a larger event goes alone). */
const GROUP_BYTES = PART_BYTES;
const encoder = new TextEncoder();

// The bytes a group adds to a transaction: its parts once, the references
// of several destinations being small.
function storedBytes(
  parts: readonly Uint8Array[],
  destinations: readonly string[],
): number {
  return parts.reduce((sum, part) => sum + part.length, 0) +
    (destinations.length > 1 ? destinations.length * 100 : 0);
}

/** A group of events about to be stored, and its stored bytes. */
export interface GroupToStore {
  /** Its id. */
  id: string;
  /** The group. */
  group: StoredGroup;
  /** Its stored bytes, in parts. */
  parts: Uint8Array[];
  /** Each event's JSON as stored (`JSON.stringify`), in order. */
  json: string[];
}

/** A stored group as read: complete, with its keys. */
export interface StoredGroupRef {
  /** Its id. */
  id: string;
  /** The keys of its parts, in order. */
  keys: KvKey[];
  /** Its parts, in order. */
  parts: Uint8Array[];
  /** The versionstamp of its first part: it changes only if the group is stored again. */
  firstVersionstamp: string;
  /**
   * For a reference to a shared group (`keys` is the reference alone,
   * `parts` empty): its body's part count and its event count.
   */
  shared?: { parts: number; events: number } | undefined;
}

/** Writes that are committed with accepted events (see `KvSpool.accept`). */
export interface CommitExtras {
  /** Keys that must still have these versionstamps (null: absent), or nothing is stored. */
  checks?: readonly { key: KvKey; versionstamp: string | null }[] | undefined;
  /** Values written with the events. */
  sets?: readonly { key: KvKey; value: unknown }[] | undefined;
}

/** The stored groups and counters of one spool (one prefix). */
export class KvOutbox {
  /** The store. */
  readonly kv: KvLike;
  /** The spool's key layout. */
  readonly keys: SpoolKeys;
  readonly #clock: Clock;
  readonly #random: () => number;
  #groupSeq = 0;

  /**
   * Names the storage; reads and writes nothing.
   *
   * @param kv The store.
   * @param prefix The first part of every key.
   * @param clock The clock of accept times and busy-store waits.
   * @param random Numbers in [0, 1) for the waits' jitter.
   */
  constructor(kv: KvLike, prefix: string, clock: Clock, random: () => number) {
    this.kv = kv;
    this.keys = new SpoolKeys(prefix);
    this.#clock = clock;
    this.#random = random;
  }

  /**
   * Runs a store operation, again while the store is busy.
   *
   * @param operation The operation.
   * @returns What it resolved to.
   */
  retry<T>(operation: () => Promise<T>): Promise<T> {
    return retryWhileBusy(operation, this.#clock, this.#random);
  }

  /**
   * Groups events into groups of about 60 KB of JSON (a larger event forms
   * a group of its own), with their stored bytes built from the JSON
   * measured here.
   *
   * @param events The events.
   * @returns The groups.
   * @throws {IngestError} 413 for an event too large to commit.
   */
  group(events: SIEMEvent[]): GroupToStore[] {
    const at = this.#clock.now();
    const groups: GroupToStore[] = [];
    let current: SIEMEvent[] = [];
    let currentJson: string[] = [];
    let size = 0;
    const close = (): void => {
      groups.push({
        id: this.newGroupId(),
        group: { at, events: current },
        parts: jsonToParts(at, currentJson),
        json: currentJson,
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

  /**
   * Commits groups to every destination's outbox, in transactions of at
   * most about 700 KB (one per destination for a group too large to store
   * for all at once).
   *
   * @param destinations The destinations' names.
   * @param groups The groups.
   * @throws {Error} When a commit failed.
   */
  async store(destinations: string[], groups: GroupToStore[]): Promise<void> {
    let atomic = this.kv.atomic();
    let bytes = 0;
    const commits: Promise<void>[] = [];
    const commit = async (op: KvAtomicLike): Promise<void> => {
      const result = await this.retry(() => op.commit());
      if (!result.ok) throw new Error("Cannot store events: commit failed");
    };
    for (const { id, group, parts } of groups) {
      const size = storedBytes(parts, destinations);
      if (size > MAX_COMMIT_BYTES && destinations.length > 1) {
        // Too large to store for every destination at once: one
        // transaction per destination.
        for (const name of destinations) {
          const op = this.kv.atomic();
          this.writeGroup(op, "outbox", name, group, parts, id);
          commits.push(commit(op));
        }
        continue;
      }
      if (bytes + size > MAX_COMMIT_BYTES) {
        commits.push(commit(atomic));
        atomic = this.kv.atomic();
        bytes = 0;
      }
      this.#writeOutboxGroup(atomic, destinations, group, parts, id);
      bytes += size;
    }
    if (bytes > 0) commits.push(commit(atomic));
    await Promise.all(commits);
  }

  /**
   * Commits groups to every destination's outbox and the caller's writes in
   * one transaction, or throws a RangeError before anything is written.
   *
   * @param destinations The destinations' names.
   * @param groups The groups.
   * @param extras The caller's checks and writes.
   * @throws {RangeError} When it does not fit in one transaction.
   * @throws {Error} When a check failed (nothing is stored).
   */
  async storeAtomically(
    destinations: string[],
    groups: GroupToStore[],
    extras: CommitExtras,
  ): Promise<void> {
    const op = this.kv.atomic();
    if (extras.checks?.length) op.check(...extras.checks);
    let bytes = 0;
    for (const { id, group, parts } of groups) {
      bytes += storedBytes(parts, destinations);
      if (bytes > MAX_COMMIT_BYTES) {
        throw new RangeError(
          `Cannot store events in one transaction: more than ${MAX_COMMIT_BYTES} bytes for ${destinations.length} destination(s); accept fewer at once`,
        );
      }
      this.#writeOutboxGroup(op, destinations, group, parts, id);
    }
    for (const { key, value } of extras.sets ?? []) op.set(key, value);
    const { ok } = await this.retry(() => op.commit());
    if (!ok) {
      throw new Error(
        "Cannot store events: a check of the transaction failed (nothing was stored)",
      );
    }
  }

  /**
   * A new group id. Keys sort by accept time, then id: a counter first
   * keeps the groups of one instance in the order they were accepted (an
   * import's order), the UUID keeps ids of different instances apart.
   *
   * @returns The id.
   */
  newGroupId(): string {
    return `${
      String(this.#groupSeq++).padStart(12, "0")
    }-${crypto.randomUUID()}`;
  }

  // A group for several destinations is stored once: the store has one
  // writer, and three copies of every accepted group (then their deletions)
  // held delivery to 60% of the accept rate with three destinations.
  #writeOutboxGroup(
    op: KvAtomicLike,
    destinations: readonly string[],
    group: StoredGroup,
    parts: Uint8Array[],
    id: string,
  ): void {
    if (destinations.length === 1) {
      this.writeGroup(op, "outbox", destinations[0]!, group, parts, id);
      return;
    }
    parts.forEach((part, index) =>
      op.set(this.keys.body(id, index, parts.length), part)
    );
    op.sum(this.keys.refs(id), BigInt(destinations.length));
    for (const name of destinations) {
      op.set(
        this.keys.reference(name, { at: group.at, id, parts: parts.length }),
        group.events.length,
      );
      op.sum(this.keys.count("outbox", name), BigInt(group.events.length));
    }
  }

  /**
   * Adds the writes of a group to a transaction, and its events to the
   * list's counter.
   *
   * @param op The transaction.
   * @param list Outbox or dead letters.
   * @param destination The destination's name.
   * @param group The group.
   * @param parts Its stored bytes.
   * @param id Its id: the same for every destination a group is stored for
   * (the same bytes, decoded once: see src/spool/decoded_groups.ts).
   */
  writeGroup(
    op: KvAtomicLike,
    list: GroupList,
    destination: string,
    group: StoredGroup,
    parts: Uint8Array[],
    id: string = this.newGroupId(),
  ): void {
    parts.forEach((part, index) =>
      op.set(
        this.keys.part(list, destination, {
          at: group.at,
          id,
          index,
          total: parts.length,
        }),
        part,
      )
    );
    op.sum(
      this.keys.count(list, destination),
      BigInt(group.events.length),
    );
  }

  /**
   * Reads the stored groups of one list, in order, complete groups only.
   *
   * @param list Outbox or dead letters.
   * @param destination The destination's name.
   * @param limit The most groups read.
   * @param start The key to read on from.
   * @param pageSize Entries fetched a read (default 8, at most
   * {@linkcode MAX_LIST_PAGE}): about as many as the groups wanted.
   * @returns The groups.
   */
  async *groups(
    list: GroupList,
    destination: string,
    limit = Infinity,
    start?: KvKey,
    pageSize = 8,
  ): AsyncIterable<StoredGroupRef> {
    let current: (StoredGroupRef & { total: number }) | undefined;
    let yielded = 0;
    const prefix = this.keys.list(list, destination);
    for await (
      const entry of this.kv.list<Uint8Array | number>(
        start ? { prefix, start } : { prefix },
        // Pages of about the groups wanted: an entry may be a part of up to
        // 60 KB, and a page far larger than what is used read each group
        // many times over (tests/chaos/spool_read_amplification_test.ts);
        // each page waits its turn behind the store's commits, so a feed
        // loading dozens of groups in pages of 8 spent some 60 ms listing.
        { batchSize: Math.min(MAX_LIST_PAGE, Math.max(1, pageSize)) },
      )
    ) {
      const reference = decodeReferenceKey(entry.key);
      if (reference !== undefined && typeof entry.value === "number") {
        current = undefined;
        yield {
          id: reference.id,
          keys: [entry.key],
          parts: [],
          firstVersionstamp: entry.versionstamp,
          shared: { parts: reference.parts, events: entry.value },
        };
        if (++yielded >= limit) return;
        continue;
      }
      const part = decodePartKey(entry.key);
      if (part === undefined) continue;
      const { id, index, total } = part;
      if (current?.id !== id) {
        current = {
          id,
          keys: [],
          parts: [],
          firstVersionstamp: entry.versionstamp,
          total,
        };
      }
      if (
        index !== current.parts.length || !(entry.value instanceof Uint8Array)
      ) continue;
      current.keys.push(entry.key);
      current.parts.push(entry.value);
      if (current.parts.length === current.total) {
        yield current;
        if (++yielded >= limit) return;
      }
    }
  }

  /**
   * How many events a destination's outbox holds (one read).
   *
   * @param destination The destination's name.
   * @returns The count.
   */
  async outboxCount(destination: string): Promise<number> {
    const count = await this.retry(() =>
      this.kv.get(this.keys.count("outbox", destination))
    );
    return counterValue(count.value);
  }

  /**
   * How many events a destination's outbox and dead letters hold.
   *
   * @param destination The destination's name.
   * @returns Both counts.
   */
  async counts(
    destination: string,
  ): Promise<{ spooled: number; deadStored: number }> {
    const [spooled, dead] = await Promise.all([
      this.outboxCount(destination),
      this.retry(() => this.kv.get(this.keys.count("dead", destination))),
    ]);
    return { spooled, deadStored: counterValue(dead.value) };
  }
}
