/**
 * Recording what settled of loaded outbox groups: their progress, their
 * deletion once every event settled, their dead letters and the outbox
 * counter, under checks that no other instance moved them meanwhile.
 *
 * @module
 */
import type { Clock } from "../delivery/clock.ts";
import type { DeadGroup, SettledPart } from "../delivery/settlement.ts";
import { type StoredGroup, toParts } from "./blob.ts";
import { type KvAtomicLike, type KvKey, U64 } from "./kv_like.ts";
import type { KvOutbox } from "./kv_outbox.ts";
import { releaseBodies } from "./shared_bodies.ts";

/**
 * The most groups recorded in one transaction: two checks each, within
 * the 100 checks and 1000 writes of a Deno KV transaction.
 */
export const MAX_GROUPS_PER_RECORD = 25;

/** A loaded group, as its records need it. */
export interface RecordedGroup {
  /** The group's id. */
  id: string;
  /** The keys of its stored parts. */
  keys: KvKey[];
  /** The versionstamp of its first part as loaded. */
  firstVersionstamp: string;
  /**
   * For a group stored once for several destinations (`keys` is this
   * destination's reference): its body's part count.
   */
  shared?: { parts: number } | undefined;
  /** How many events the stored group has. */
  total: number;
  /**
   * The stored progress as last read or written by this instance (null:
   * none stored; undefined: not known, read first).
   */
  recorded: {
    positions: Set<number>;
    versionstamp: string | null | undefined;
  };
}

/** Where records are written. */
export interface RecordContext {
  /** The storage. */
  outbox: KvOutbox;
  /** The destination's name. */
  destination: string;
  /** The clock of dead letters' time. */
  clock: Clock;
}

/** What a record made of a group. */
export interface RecordOutcome {
  /** Events counted off the outbox now (not recorded before). */
  fresh: number;
  /** Whether the group is gone: all settled, or settled by another instance. */
  gone: boolean;
}

interface Planned {
  all: Set<number>;
  done: boolean;
  fresh: number;
}

// Adds one group's record to a transaction. The stored progress is merged,
// not overwritten, under a check of its versionstamp: an instance that lost
// its lease may record a batch it delivered while the new holder records
// others of the same group, and no event may be counted off twice.
function addRecord(
  op: KvAtomicLike,
  context: RecordContext,
  group: RecordedGroup,
  part: SettledPart,
): Planned {
  const { outbox, destination, clock } = context;
  const progressKey = outbox.keys.progress(destination, group.id);
  const before = group.recorded.positions;
  const fresh = part.positions.filter((p) => !before.has(p));
  const all = new Set([...before, ...fresh]);
  const done = all.size >= group.total;
  op.check({ key: group.keys[0]!, versionstamp: group.firstVersionstamp })
    .check({
      key: progressKey,
      versionstamp: group.recorded.versionstamp ?? null,
    });
  if (done) {
    for (const key of group.keys) op.delete(key);
    op.delete(progressKey);
    // Under the check of the reference: each destination counts itself off
    // once.
    if (group.shared) op.sum(outbox.keys.refs(group.id), U64 - 1n);
  } else {
    op.set(progressKey, [...all]);
  }
  if (fresh.length > 0) {
    op.sum(
      outbox.keys.count("outbox", destination),
      U64 - BigInt(fresh.length),
    );
  }
  const isFresh = new Set(fresh);
  for (const [reason, dead] of part.dead) {
    const events = dead.events.filter((_, i) =>
      isFresh.has(dead.positions[i]!)
    );
    if (events.length === 0) continue;
    const stored: StoredGroup = {
      at: clock.now(),
      events,
      reason,
      status: dead.status,
    };
    outbox.writeGroup(op, "dead", destination, stored, toParts(stored));
  }
  return { all, done, fresh: fresh.length };
}

function applied(
  group: RecordedGroup,
  planned: Planned,
  versionstamp: string | undefined,
): RecordOutcome {
  group.recorded = {
    positions: planned.all,
    versionstamp: planned.done ? null : versionstamp,
  };
  return { fresh: planned.fresh, gone: planned.done };
}

// The bodies of shared groups this record settled: deleted if no other
// destination refers to them. Not part of the record: a failure here leaves
// a body no reference needs, which the next start sweeps.
async function releaseSettled(
  context: RecordContext,
  groups: readonly RecordedGroup[],
  planned: readonly Planned[],
): Promise<void> {
  const done = groups.flatMap((group, i) =>
    planned[i]!.done && group.shared
      ? [{ id: group.id, parts: group.shared.parts }]
      : []
  );
  if (done.length === 0) return;
  await releaseBodies(context.outbox, done).catch(() => 0);
}

/**
 * Records one group: from what this instance last read or wrote (no read
 * in the normal case), then from the store when a check says it moved.
 *
 * @example
 * ```ts ignore
 * const { fresh, gone } = await recordGroup(context, loaded, part);
 * ```
 *
 * @param context The storage, destination and clock.
 * @param group The loaded group (its `recorded` is updated).
 * @param part What settled of it.
 * @returns What the record made of the group.
 * @throws What the store threw, when it is not busy.
 */
export async function recordGroup(
  context: RecordContext,
  group: RecordedGroup,
  part: SettledPart,
): Promise<RecordOutcome> {
  const { outbox, destination } = context;
  for (let attempt = 0;; attempt++) {
    if (attempt > 0 || group.recorded.versionstamp === undefined) {
      const progress = await outbox.retry(() =>
        outbox.kv.get<number[]>(outbox.keys.progress(destination, group.id))
      );
      group.recorded = {
        positions: new Set(progress.value ?? []),
        versionstamp: progress.versionstamp,
      };
    }
    const op = outbox.kv.atomic();
    const planned = addRecord(op, context, group, part);
    const result = await outbox.retry(() => op.commit());
    if (result.ok) {
      await releaseSettled(context, [group], [planned]);
      return applied(group, planned, result.versionstamp);
    }
    // The group is gone (settled by another instance), or its progress
    // moved: read it again.
    const first = await outbox.retry(() => outbox.kv.get(group.keys[0]!));
    if (first.versionstamp !== group.firstVersionstamp || attempt >= 20) {
      return { fresh: 0, gone: true };
    }
  }
}

/**
 * Records several groups in one transaction, when each one's stored
 * progress is known and none has dead letters (whose bytes could pass what
 * a transaction takes).
 *
 * @example
 * ```ts ignore
 * const outcomes = await recordGroups(context, [[loaded, part]]);
 * if (outcomes === undefined) {
 *   // record each group with recordGroup()
 * }
 * ```
 *
 * @param context The storage, destination and clock.
 * @param entries At most {@linkcode MAX_GROUPS_PER_RECORD} groups (each
 * once) and what settled of each.
 * @returns Each group's outcome, in order; undefined when nothing was
 * written (a check failed, or a group needs its own record).
 * @throws What the store threw, when it is not busy.
 */
export async function recordGroups(
  context: RecordContext,
  entries: readonly (readonly [RecordedGroup, SettledPart])[],
): Promise<RecordOutcome[] | undefined> {
  if (
    entries.length > MAX_GROUPS_PER_RECORD ||
    entries.some(([group, part]) =>
      group.recorded.versionstamp === undefined || part.dead.size > 0
    )
  ) return undefined;
  const op = context.outbox.kv.atomic();
  const planned = entries.map(([group, part]) =>
    addRecord(op, context, group, part)
  );
  const result = await context.outbox.retry(() => op.commit());
  if (!result.ok) return undefined;
  await releaseSettled(context, entries.map(([group]) => group), planned);
  return entries.map(([group], i) =>
    applied(group, planned[i]!, result.versionstamp)
  );
}

/**
 * Joins two parts settled of one group (two batches, or a batch and its
 * split halves) into one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinParts } from "./group_records.ts";
 *
 * const both = joinParts(
 *   { positions: [0, 1], delivered: 2, dead: new Map() },
 *   { positions: [2], delivered: 1, dead: new Map() },
 * );
 * assert.deepEqual(both.positions, [0, 1, 2]);
 * assert.equal(both.delivered, 3);
 * ```
 *
 * @param first The earlier part.
 * @param second The later part.
 * @returns Both in one.
 */
export function joinParts(
  first: SettledPart,
  second: SettledPart,
): SettledPart {
  const dead = new Map<string, DeadGroup>();
  for (const part of [first, second]) {
    for (const [reason, group] of part.dead) {
      const joined = dead.get(reason);
      if (joined === undefined) {
        dead.set(reason, {
          ...group,
          events: [...group.events],
          positions: [...group.positions],
        });
      } else {
        joined.events.push(...group.events);
        joined.positions.push(...group.positions);
      }
    }
  }
  return {
    positions: [...first.positions, ...second.positions],
    delivered: first.delivered + second.delivered,
    dead,
  };
}
