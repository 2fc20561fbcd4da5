/**
 * An outbox group as a destination of the durable spool holds it once
 * read: its events left to settle, waiting for room in the buffer.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { DecodedGroup, SerializedEvent } from "./decoded_groups.ts";
import type { RecordedGroup } from "./group_records.ts";
import type { GroupRead } from "./outbox_reads.ts";

/**
 * An outbox group loaded into a destination's memory (what of it remains
 * to settle is in the settlement ledger).
 */
export interface Loaded extends RecordedGroup {
  /** When the group was accepted: its events keep their age when loaded. */
  at: number;
  /**
   * Its events read from storage but not yet in the destination's buffer,
   * which had no room for them: they go in as room frees up.
   */
  waiting: Waiting[];
}

/** A loaded event waiting for room, with its JSON as stored. */
export interface Waiting {
  /** The event. */
  event: SIEMEvent;
  /** Its JSON as stored. */
  serialized: SerializedEvent;
}

/** A group loaded, and the events of it left to send. */
export interface LoadedGroup {
  /** The group. */
  loaded: Loaded;
  /** Its events not settled yet, in order. */
  events: SIEMEvent[];
  /** Their positions in the group. */
  positions: number[];
}

/**
 * Makes the loaded form of a group read from the outbox: every event its
 * stored progress does not list as settled waits to be sent.
 *
 * @example
 * ```ts ignore
 * const { loaded, events, positions } = loadGroup(read, decoded);
 * ledger.track(loaded, events, positions);
 * ```
 *
 * @param read The group as listed, with its stored progress.
 * @param decoded Its events.
 * @returns The group, and the events of it left to send.
 */
export function loadGroup(
  read: Pick<GroupRead, "group" | "progress">,
  decoded: DecodedGroup,
): LoadedGroup {
  const { group, progress } = read;
  const { group: stored, serialized } = decoded;
  const settled = new Set(progress.value ?? []);
  const events: SIEMEvent[] = [];
  const positions: number[] = [];
  const waiting: Waiting[] = [];
  stored.events.forEach((event, index) => {
    if (settled.has(index)) return;
    events.push(event);
    positions.push(index);
    waiting.push({ event, serialized: serialized[index]! });
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
    shared: group.shared,
    at: stored.at,
    waiting,
  };
  return { loaded, events, positions };
}
