/**
 * What a feed of the durable spool reads: the next groups of a
 * destination's outbox, decoded, with the progress stored for each.
 *
 * @module
 */
import type { DecodedGroup, DecodedGroups } from "./decoded_groups.ts";
import type { KvEntryLike, KvKey } from "./kv_like.ts";
import type { KvOutbox, StoredGroupRef } from "./kv_outbox.ts";
import { readBodies } from "./shared_bodies.ts";

/** A group read for a feed. */
export interface GroupRead {
  /** The group as listed. */
  group: StoredGroupRef;
  /**
   * Its events; undefined for a shared group whose body is not stored
   * while its reference is.
   */
  decoded: DecodedGroup | undefined;
  /** The positions of its events already settled, as stored. */
  progress: { value: number[] | null; versionstamp: string | null };
}

/** What a feed read. */
export interface FeedRead {
  /** The groups to load, in order. */
  groups: GroupRead[];
  /**
   * Whether the listing stopped at the room, not at the outbox's end: more
   * is stored, and the next read can start as soon as there is room.
   */
  more: boolean;
}

/** Where and how much a feed reads. */
export interface FeedReadContext {
  /** The storage. */
  outbox: KvOutbox;
  /** The groups decoded for the spool's destinations. */
  decoded: DecodedGroups;
  /** The destination's name. */
  destination: string;
  /** The key to list on from (the last group loaded), if any. */
  cursor: KvKey | undefined;
  /** Whether a group is to be loaded (not loaded, not just settled). */
  wanted: (id: string) => boolean;
  /** How many more events the destination takes now. */
  room: () => number;
  /** Whether this instance still holds the destination's lease. */
  held: () => boolean;
  /** The destination's batch size: what a group counts before it is read. */
  batchSize: number;
}

/**
 * Lists the groups a destination loads next, as many as its room takes,
 * then reads them: the bodies of shared groups together (each read waits
 * its turn behind the store's commits), none another destination has read,
 * and the progress of every group in one listing beside them.
 *
 * @example
 * ```ts ignore
 * const { groups, more } = await readGroupsToLoad(context);
 * for (const { group, decoded, progress } of groups) {
 *   // track the events of `decoded` not in `progress.value`
 * }
 * if (more) {
 *   // read on as soon as there is room again
 * }
 * ```
 *
 * @param context The storage, destination, cursor and room.
 * @returns The groups, in order, and whether more is stored.
 */
export async function readGroupsToLoad(
  context: FeedReadContext,
): Promise<FeedRead> {
  const { outbox, destination } = context;
  // Batches of a group already delivered (recorded before a crash or a
  // lost lease) are not sent again. The few groups with progress are read
  // in one listing, not one read per group loaded: under load each read
  // waits behind the commits of accepted events (some 20 ms each with a
  // busy disk), and a read per group held delivery to a quarter of the
  // accept rate. It goes on while the outbox is listed: one wait less.
  const progressRead = outbox.retry(async () => {
    const read = new Map<string, KvEntryLike<number[]>>();
    const prefix = outbox.keys.progressOf(destination);
    for await (const entry of outbox.kv.list<number[]>({ prefix })) {
      read.set(String(entry.key[entry.key.length - 1]), entry);
    }
    return read;
  });
  // Awaited below; a failed listing of the outbox must not leave it
  // rejected unheard.
  progressRead.catch(() => {});
  const listed: StoredGroupRef[] = [];
  let planned = 0;
  let more = false;
  for await (
    const group of outbox.groups(
      "outbox",
      destination,
      Infinity,
      context.cursor,
      // About the groups the room takes, each about a batch.
      Math.ceil(context.room() / context.batchSize) + 1,
    )
  ) {
    if (context.room() - planned <= 0 || !context.held()) {
      more = true;
      break;
    }
    if (!context.wanted(group.id)) continue;
    listed.push(group);
    // A whole group counts by its stored size, about a batch of events.
    planned += group.shared?.events ?? context.batchSize;
  }
  const [progressOf, decoded] = await Promise.all([
    progressRead,
    context.decoded.load(
      destination,
      listed,
      (groups) => readBodies(outbox, groups),
    ),
  ]);
  const read: GroupRead[] = [];
  for (const [i, group] of listed.entries()) {
    if (decoded[i] === undefined) {
      // Settled meanwhile by an instance that took the lease over (the last
      // reference gone, the body with it): not to load.
      const reference = await outbox.retry(() => outbox.kv.get(group.keys[0]!));
      if (reference.versionstamp === null) continue;
    }
    read.push({
      group,
      decoded: decoded[i],
      progress: progressOf.get(group.id) ?? { value: null, versionstamp: null },
    });
  }
  return { groups: read, more };
}
