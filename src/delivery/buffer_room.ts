/**
 * The room left in a destination's in-memory buffer, as a storage-backed
 * orchestrator sees it.
 *
 * @module
 */
import type { Destination } from "./destination.ts";

/**
 * How many more events a destination's buffer takes before its overflow
 * policy refuses one. Events that a storage holds are fed only into this
 * room: an event refused by the policy would be dead-lettered although it
 * is stored and could simply wait its turn.
 *
 * @example
 * ```ts ignore
 * const room = bufferRoom(destination);
 * for (const event of waiting.splice(0, room)) destination.enqueue(event);
 * ```
 *
 * @param destination The destination.
 * @returns The free places, 0 or more.
 */
export function bufferRoom(destination: Destination): number {
  return Math.max(
    0,
    destination.config.maxBufferedEvents - destination.buffered,
  );
}
