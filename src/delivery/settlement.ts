/**
 * Settlement: how events leave a destination for good (delivered, or
 * dead-lettered with a reason), and a ledger that tells each owner of
 * events (a spool's outbox group, a queue message) what became of its own.
 * The at-least-once guarantee rests here: an owner is done (its storage
 * deleted, its message acked) only when the ledger says nothing of it
 * remains.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";

/** How events left a destination for good. */
export type Settlement =
  | { outcome: "delivered" }
  | {
    outcome: "dead_lettered";
    /** Why (redacted, as in the dead letter). */
    reason: string;
    /** The HTTP status that refused them, if any. */
    status: number | undefined;
  };

/**
 * Told when buffered events leave a destination for good, with how; every
 * event of one call left the same way (one reason for all).
 */
export type SettlementCallback = (
  events: SIEMEvent[],
  settlement: Settlement,
) => void;

/** Events of one owner dead-lettered for one reason. */
export interface DeadGroup {
  /** The reason they share. */
  reason: string;
  /** The status of the first of them (one reason, one status in practice). */
  status: number | undefined;
  /** The events, in the order they settled. */
  events: SIEMEvent[];
  /** Each event's position in its owner, as tracked. */
  positions: number[];
}

/** What one {@linkcode SettlementLedger.settle} call settled of one owner. */
export interface SettledPart {
  /** Positions of its events that settled, delivered or not, in order. */
  positions: number[];
  /** How many of them were delivered. */
  delivered: number;
  /** Those dead-lettered, by reason. */
  dead: Map<string, DeadGroup>;
}

/** What became of one owner's events so far. */
export interface OwnerAccount {
  /** Events tracked and not settled yet. */
  remaining: number;
  /** Events delivered. */
  delivered: number;
  /** Events dead-lettered, by reason, in the order the reasons first came. */
  dead: Map<string, DeadGroup>;
}

interface Tracked<Owner> {
  owner: Owner;
  account: OwnerAccount;
  position: number;
}

/**
 * Counts, per owner, the events that remain and groups those dead-lettered
 * by reason. Events are known by object identity: each event object
 * belongs to one owner, and settles once (a second settlement of the same
 * object, or of one never tracked, is ignored).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SettlementLedger } from "./settlement.ts";
 * import type { SIEMEvent } from "../events/siem_event.ts";
 *
 * const message = { id: "m-1" };
 * const [a, b] = [{}, {}] as SIEMEvent[];
 * const ledger = new SettlementLedger<typeof message>();
 * ledger.track(message, [a!, b!]);
 * ledger.settle([a!], { outcome: "delivered" });
 * ledger.settle([b!], { outcome: "dead_lettered", reason: "bad", status: 400 });
 * assert.equal(ledger.remaining(message), 0);
 * assert.deepEqual([...ledger.account(message).dead.keys()], ["bad"]);
 * ```
 */
export class SettlementLedger<Owner extends object> {
  #events = new WeakMap<SIEMEvent, Tracked<Owner>>();
  #accounts = new WeakMap<Owner, OwnerAccount>();

  /**
   * Tracks events of an owner (more may be added by later calls).
   *
   * @param owner What the events belong to.
   * @param events The events, each object its own.
   * @param positions Each event's position in its owner (default: its
   * index in `events`).
   */
  track(
    owner: Owner,
    events: readonly SIEMEvent[],
    positions?: readonly number[],
  ): void {
    const account = this.account(owner);
    events.forEach((event, index) => {
      account.remaining++;
      this.#events.set(event, {
        owner,
        account,
        position: positions?.[index] ?? index,
      });
    });
  }

  /**
   * Records that events settled, and returns what each of their owners
   * settled in this call (owners in the order their events came).
   *
   * @param events The events that left.
   * @param settlement How they left.
   * @returns Per owner: the positions, the delivered count and the dead
   * letters of this call.
   */
  settle(
    events: readonly SIEMEvent[],
    settlement: Settlement,
  ): Map<Owner, SettledPart> {
    const parts = new Map<Owner, SettledPart>();
    for (const event of events) {
      const tracked = this.#events.get(event);
      if (!tracked) continue;
      this.#events.delete(event);
      const { owner, account, position } = tracked;
      account.remaining--;
      let part = parts.get(owner);
      if (part === undefined) {
        part = { positions: [], delivered: 0, dead: new Map() };
        parts.set(owner, part);
      }
      part.positions.push(position);
      if (settlement.outcome === "delivered") {
        account.delivered++;
        part.delivered++;
        continue;
      }
      addDead(account.dead, settlement, event, position);
      addDead(part.dead, settlement, event, position);
    }
    return parts;
  }

  /**
   * An owner's account (an empty one when nothing of it was tracked).
   *
   * @param owner The owner.
   * @returns Its live account.
   */
  account(owner: Owner): OwnerAccount {
    let account = this.#accounts.get(owner);
    if (account === undefined) {
      account = { remaining: 0, delivered: 0, dead: new Map() };
      this.#accounts.set(owner, account);
    }
    return account;
  }

  /**
   * How many of an owner's events have not settled.
   *
   * @param owner The owner.
   * @returns The count (0 for an owner never tracked).
   */
  remaining(owner: Owner): number {
    return this.#accounts.get(owner)?.remaining ?? 0;
  }
}

function addDead(
  groups: Map<string, DeadGroup>,
  settlement: { reason: string; status: number | undefined },
  event: SIEMEvent,
  position: number,
): void {
  const { reason, status } = settlement;
  let group = groups.get(reason);
  if (group === undefined) {
    group = { reason, status, events: [], positions: [] };
    groups.set(reason, group);
  }
  group.events.push(event);
  group.positions.push(position);
}
