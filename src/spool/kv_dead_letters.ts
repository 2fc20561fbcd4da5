/**
 * The durable spool's stored dead letters: listing, replaying into the
 * outbox, purging.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { fromParts, type StoredGroup, toParts } from "./blob.ts";
import { U64 } from "./kv_like.ts";
import type { KvOutbox } from "./kv_outbox.ts";

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

/**
 * Lists stored dead letters, oldest first per destination.
 *
 * @param outbox The storage.
 * @param names The destinations.
 * @returns The dead letters.
 */
export async function* listDeadLetters(
  outbox: KvOutbox,
  names: readonly string[],
): AsyncIterable<StoredDeadLetter> {
  for (const name of names) {
    for await (const group of outbox.groups("dead", name)) {
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
 * Moves dead letters back into their destination's outbox.
 *
 * @param outbox The storage.
 * @param names The destinations.
 * @param id Only this dead letter; default: all.
 * @returns How many events were put back.
 */
export async function replayDeadLetters(
  outbox: KvOutbox,
  names: readonly string[],
  id?: string,
): Promise<number> {
  let count = 0;
  for (const name of names) {
    for await (const group of outbox.groups("dead", name)) {
      if (id !== undefined && group.id !== id) continue;
      const stored = fromParts(group.parts);
      const op = outbox.kv.atomic().check({
        key: group.keys[0]!,
        versionstamp: group.firstVersionstamp,
      });
      for (const key of group.keys) op.delete(key);
      const back: StoredGroup = { at: stored.at, events: stored.events };
      outbox.writeGroup(op, "outbox", name, back, toParts(back));
      op.sum(
        outbox.keys.count("dead", name),
        U64 - BigInt(stored.events.length),
      );
      if ((await op.commit()).ok) count += stored.events.length;
    }
  }
  return count;
}

/**
 * Deletes stored dead letters for good.
 *
 * @param outbox The storage.
 * @param names The destinations.
 * @param id Only this dead letter; default: all.
 * @returns How many events were deleted.
 */
export async function purgeDeadLetters(
  outbox: KvOutbox,
  names: readonly string[],
  id?: string,
): Promise<number> {
  let count = 0;
  for (const name of names) {
    for await (const group of outbox.groups("dead", name)) {
      if (id !== undefined && group.id !== id) continue;
      const events = fromParts(group.parts).events.length;
      // Only if the letter is still there: one replayed or purged since it
      // was listed must not be counted off again.
      const op = outbox.kv.atomic().check({
        key: group.keys[0]!,
        versionstamp: group.firstVersionstamp,
      });
      for (const key of group.keys) op.delete(key);
      op.sum(outbox.keys.count("dead", name), U64 - BigInt(events));
      if ((await outbox.retry(() => op.commit())).ok) count += events;
    }
  }
  return count;
}
