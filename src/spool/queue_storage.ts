/**
 * The Queues mode's storage: the messages of one queue batch hold the
 * events, and a settlement ledger tells the consumer which message to ack.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import type {
  DeliveryStorage,
  StoredEvent,
} from "../delivery/delivery_storage.ts";
import { type Settlement, SettlementLedger } from "../delivery/settlement.ts";

/** The events of one queue message, for one destination. */
export interface QueueAccepted<Owner> {
  /** The message (as the consumer tracks it). */
  owner: Owner;
  /** The destination's name. */
  destination: string;
  /** The message's events. */
  events: readonly SIEMEvent[];
}

/**
 * A queue batch as delivery storage: each message's events are handed out
 * in batch order, and each settlement is counted off its message in the
 * ledger (a message is acked only when nothing of it remains).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { QueueStorage } from "./queue_storage.ts";
 * import type { SIEMEvent } from "../events/siem_event.ts";
 *
 * const message = { id: "m-1" };
 * const storage = new QueueStorage<typeof message>();
 * storage.store({ owner: message, destination: "splunk", events: [{} as SIEMEvent] });
 * const [handed] = storage.handOut("splunk", 10);
 * storage.settled("splunk", [handed!.event], { outcome: "delivered" });
 * assert.equal(storage.ledger.remaining(message), 0);
 * ```
 */
export class QueueStorage<Owner extends object>
  implements DeliveryStorage<QueueAccepted<Owner>> {
  /** What remains of each message, and its dead letters by reason. */
  readonly ledger: SettlementLedger<Owner> = new SettlementLedger<Owner>();
  #waiting = new Map<string, { events: SIEMEvent[]; next: number }>();

  /**
   * Tracks a message's events for their destination.
   *
   * @param accepted The message and its events.
   */
  store(accepted: QueueAccepted<Owner>): void {
    // A copy of each event, so that every buffered object is this
    // message's own (the ledger finds the message by object).
    const copies = accepted.events.map((event) => ({ ...event }));
    this.ledger.track(accepted.owner, copies);
    let waiting = this.#waiting.get(accepted.destination);
    if (waiting === undefined) {
      waiting = { events: [], next: 0 };
      this.#waiting.set(accepted.destination, waiting);
    }
    waiting.events.push(...copies);
  }

  /**
   * The destinations with events, in the order their first message came.
   *
   * @returns Their names.
   */
  destinations(): string[] {
    return [...this.#waiting.keys()];
  }

  /**
   * Hands out the next events of a destination, in batch order.
   *
   * @param destination The destination's name.
   * @param room The most to hand out.
   * @returns The events.
   */
  handOut(destination: string, room: number): StoredEvent[] {
    const waiting = this.#waiting.get(destination);
    if (waiting === undefined) return [];
    const end = Math.min(waiting.events.length, waiting.next + room);
    const events = waiting.events.slice(waiting.next, end);
    waiting.next = end;
    return events.map((event) => ({ event }));
  }

  /**
   * How many events of a destination were not handed out.
   *
   * @param destination The destination's name.
   * @returns The count.
   */
  left(destination: string): number {
    const waiting = this.#waiting.get(destination);
    return waiting === undefined ? 0 : waiting.events.length - waiting.next;
  }

  /**
   * Counts settled events off their messages.
   *
   * @param _destination The destination (the events know their message).
   * @param events The events.
   * @param settlement How they left.
   */
  settled(
    _destination: string,
    events: SIEMEvent[],
    settlement: Settlement,
  ): void {
    this.ledger.settle(events, settlement);
  }
}
