/**
 * The Deno KV mode's storage: the per-destination outboxes. Storing commits
 * accepted events; handing out and settling are each destination's (see
 * {@linkcode SpooledDestination}: what it loaded, and its records of what
 * settled), under the lease this instance holds.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { utf8Length } from "../delivery/accepted_event.ts";
import { fromParts } from "./blob.ts";
import type {
  DeliveryStorage,
  StoredEvent,
} from "../delivery/delivery_storage.ts";
import type { Settlement } from "../delivery/settlement.ts";
import type { CommitExtras, KvOutbox } from "./kv_outbox.ts";
import type { DecodedGroups } from "./decoded_groups.ts";
import type { SpooledDestination } from "./spooled_destination.ts";

/** What the KV storage stores at once. */
export interface KvAccepted {
  /** The destinations' names. */
  destinations: string[];
  /** The events (stamped as they are to be sent). */
  events: SIEMEvent[];
  /** Writes and checks committed in the same transaction, if any. */
  extras?: CommitExtras | undefined;
}

/**
 * The outboxes as delivery storage.
 *
 * @example
 * ```ts ignore
 * const storage = new KvStorage(outbox, spooled);
 * await storage.store({ destinations: ["splunk"], events });
 * ```
 */
export class KvStorage implements DeliveryStorage<KvAccepted> {
  readonly #outbox: KvOutbox;
  readonly #spooled: ReadonlyMap<string, SpooledDestination>;
  readonly #decoded: DecodedGroups | undefined;

  /**
   * Makes the storage; reads nothing.
   *
   * @param outbox The outboxes.
   * @param spooled Each destination's loaded groups, by name.
   * @param decoded Where the groups stored are kept for the destinations
   * to load without reading them back.
   */
  constructor(
    outbox: KvOutbox,
    spooled: ReadonlyMap<string, SpooledDestination>,
    decoded?: DecodedGroups,
  ) {
    this.#outbox = outbox;
    this.#spooled = spooled;
    this.#decoded = decoded;
  }

  /**
   * Commits events to every named destination's outbox: in transactions
   * of at most about 700 KB, or, with `extras`, all in one.
   *
   * @param accepted The events, their destinations and the extra writes.
   */
  async store(accepted: KvAccepted): Promise<void> {
    const groups = this.#outbox.group(accepted.events);
    const { destinations, extras } = accepted;
    if (extras?.checks !== undefined || extras?.sets !== undefined) {
      await this.#outbox.storeAtomically(destinations, groups, extras);
    } else await this.#outbox.store(destinations, groups);
    const takers =
      destinations.filter((name) => this.#spooled.get(name)?.lease?.held)
        .length;
    for (const { id, parts, json } of groups) {
      // Read back from the bytes stored, into objects of their own: a
      // caller keeps the events it accepted (their metadata is its own
      // objects), and a change it makes later must not reach what a schema
      // maps. Only for a group kept: under a backlog, none is.
      this.#decoded?.seed(id, takers, () => ({
        group: fromParts(parts),
        serialized: json.map((text) => ({
          json: text,
          bytes: utf8Length(text),
        })),
      }));
    }
  }

  /**
   * Hands out events of the groups a destination has loaded.
   *
   * @param destination The destination's name.
   * @param room The most to hand out.
   * @returns The events, with their groups' acceptance time.
   */
  handOut(destination: string, room: number): StoredEvent[] {
    return this.#spooled.get(destination)?.handOut(room) ?? [];
  }

  /**
   * Records what settled in the destination's outbox.
   *
   * @param destination The destination's name.
   * @param events The events.
   * @param settlement How they left.
   */
  settled(
    destination: string,
    events: SIEMEvent[],
    settlement: Settlement,
  ): void {
    this.#spooled.get(destination)?.settled(events, settlement);
  }
}
