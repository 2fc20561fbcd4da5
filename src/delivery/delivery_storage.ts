/**
 * What the one delivery orchestrator ({@linkcode DestinationSet}) asks of
 * the storage behind it. The memory, Deno KV and Queues modes differ only
 * in this storage: batching, retries, backoff and settlement are the
 * orchestrator's.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type { Settlement } from "./settlement.ts";

/** An event a storage hands out to a destination. */
export interface StoredEvent {
  /** The event. */
  event: SIEMEvent;
  /**
   * When it was first accepted, which decides when it is due (events
   * reloaded from storage keep their age); default: when handed out.
   */
  at?: number | undefined;
  /** Its JSON and UTF-8 size, written at acceptance; default: written when handed out. */
  serialized?: { json: string; bytes: number } | undefined;
}

/**
 * The storage behind the delivery orchestrator: it stores accepted events,
 * hands them out per destination as room frees up, and is told what
 * settled and why (so it can delete them, ack a message, or keep a dead
 * letter).
 *
 * @typeParam Accepted What one store call takes (each mode's own shape).
 */
export interface DeliveryStorage<Accepted> {
  /**
   * Stores accepted events (the orchestrator never calls it: the front
   * that accepts events does).
   *
   * @param accepted The events, and where they go.
   */
  store(accepted: Accepted): void | Promise<void>;
  /**
   * Hands out the next events of one destination, oldest first.
   *
   * @param destination The destination's name.
   * @param room The most events to hand out (`Infinity` when the
   * destination's buffer is the only place they live).
   * @returns At most `room` events; none when it holds no more.
   */
  handOut(destination: string, room: number): StoredEvent[];
  /**
   * Told that events handed out left the destination for good, and how:
   * every event of one call left the same way.
   *
   * @param destination The destination's name.
   * @param events The events (the objects handed out).
   * @param settlement Delivered, or dead-lettered with the reason and status.
   */
  settled(
    destination: string,
    events: SIEMEvent[],
    settlement: Settlement,
  ): void;
}
