/**
 * The memory mode's storage: nothing outlives the process, so a
 * destination's buffer is the only place an event lives.
 *
 * @module
 */
import type { DeliveryStorage, StoredEvent } from "./delivery_storage.ts";

/** What the memory storage stores at once: events, for destinations. */
export interface MemoryAccepted {
  /** The destinations' names. */
  destinations: readonly string[];
  /** The events, each serialized once for all destinations. */
  events: readonly StoredEvent[];
}

/**
 * Holds accepted events only until the orchestrator hands them to their
 * destinations, which it does at once and without a bound: with no other
 * place to wait, a full buffer's overflow policy decides. Settlements need
 * nothing, as no copy is kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStorage } from "./memory_storage.ts";
 * import type { SIEMEvent } from "../events/siem_event.ts";
 *
 * const storage = new MemoryStorage();
 * const event = {} as SIEMEvent;
 * storage.store({ destinations: ["splunk"], events: [{ event }] });
 * assert.equal(storage.handOut("splunk", Infinity)[0]?.event, event);
 * assert.equal(storage.handOut("splunk", Infinity).length, 0);
 * ```
 */
export class MemoryStorage implements DeliveryStorage<MemoryAccepted> {
  #held = new Map<string, StoredEvent[]>();

  /**
   * Holds events for destinations until they are handed out.
   *
   * @param accepted The events and their destinations.
   */
  store(accepted: MemoryAccepted): void {
    for (const name of accepted.destinations) {
      const held = this.#held.get(name);
      if (held === undefined) this.#held.set(name, [...accepted.events]);
      else held.push(...accepted.events);
    }
  }

  /**
   * Hands out a destination's held events, oldest first.
   *
   * @param destination The destination's name.
   * @param room The most to hand out.
   * @returns The events.
   */
  handOut(destination: string, room: number): StoredEvent[] {
    const held = this.#held.get(destination);
    if (held === undefined || held.length === 0) return [];
    if (room >= held.length) {
      this.#held.delete(destination);
      return held;
    }
    return held.splice(0, room);
  }

  /** Nothing to do: memory keeps no copy of a handed-out event. */
  settled(): void {}
}
