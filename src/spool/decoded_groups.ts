/**
 * Stored groups decoded once for all the destinations of a spool.
 *
 * @module
 */
import { acceptEvent } from "../delivery/accepted_event.ts";
import { fromParts, type StoredGroup } from "./blob.ts";

/** An event's JSON and its UTF-8 size, as a destination's buffer takes them. */
export interface SerializedEvent {
  /** `JSON.stringify` of the event. */
  json: string;
  /** Its size in UTF-8 bytes. */
  bytes: number;
}

/** A stored group decoded: its events, and each one's JSON. */
export interface DecodedGroup {
  /** The group. */
  group: StoredGroup;
  /** Each event's JSON, in the order of `group.events`. */
  serialized: SerializedEvent[];
}

/**
 * A group a destination loads: its stored parts, or for a group stored once
 * for several destinations, its body's part count (the body is read only
 * if no other destination has read it).
 */
export interface GroupToDecode {
  /** The group's id. */
  id: string;
  /** Its parts as listed (empty for a shared group). */
  parts: readonly Uint8Array[];
  /** For a shared group: how many parts its body has. */
  shared?: { parts: number } | undefined;
}

/** Reads the bodies of shared groups (see `KvOutbox.readBodies`). */
export type BodyReader = (
  groups: readonly { id: string; parts: number }[],
) => Promise<Map<string, Uint8Array[]>>;

interface Entry {
  decoded: Promise<DecodedGroup | undefined>;
  takenBy: Set<string>;
  /** How many destinations take it (default: every sharer). */
  takers?: number;
}

/**
 * The spool stores each group accepted for several destinations once (or,
 * stored by an older version, once per destination under the same id); each
 * destination loads it. The first to load a group reads and decodes it, and
 * the others take the decoded events (shared, as the in-memory integrator
 * shares an event between its destinations) instead of reading and decoding
 * the same JSON again: decoding was half of the delivery's work with three
 * destinations, and each read waits behind the store's commits. A
 * destination that asks while the read is under way waits for it. Each
 * event's JSON, which a destination's buffer sends and counts, is written
 * here once too. A destination that loads a group again (after its lease
 * came back) decodes it anew, so one destination never holds two loads of
 * the same event objects. At most `limit` groups wait for the destinations
 * that have not loaded them yet (one that is down or disabled), the oldest
 * dropped first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DecodedGroups } from "./decoded_groups.ts";
 * import { toParts } from "./blob.ts";
 *
 * const decoded = new DecodedGroups(() => 2);
 * const ref = { id: "g1", parts: toParts({ at: 0, events: [] }) };
 * const noBodies = () => Promise.resolve(new Map<string, Uint8Array[]>());
 * const [first] = await decoded.load("splunk", [ref], noBodies);
 * const [shared] = await decoded.load("datadog", [ref], noBodies);
 * assert.equal(shared, first);
 * assert.deepEqual(first?.serialized, []);
 * ```
 */
export class DecodedGroups {
  readonly #entries = new Map<string, Entry>();
  readonly #sharers: () => number;
  readonly #limit: number;

  /**
   * Makes an empty cache.
   *
   * @param sharers How many destinations load each group.
   * @param limit The most groups kept for destinations yet to load them:
   * about a second of delivery at 8,000 events/s (some 25 MB when full). With
   * 32, a delivery that fell behind by a third of a second read every group
   * back from the store from then on, and never caught up (at 8,000 events/s
   * to three destinations, 7,110/s delivered; with 128, all 8,000).
   */
  constructor(sharers: () => number, limit = 128) {
    this.#sharers = sharers;
    this.#limit = limit;
  }

  /** How many decoded groups wait for other destinations. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The groups a destination loads: decoded by another destination already
   * (or being read for one), or decoded now, the bodies of shared groups
   * read together.
   *
   * @param destination The destination's name.
   * @param groups The groups, in order.
   * @param readBodies Reads shared groups' bodies.
   * @returns Each group decoded, in order; undefined for a shared group
   * whose body is not stored.
   * @throws {SyntaxError} When parts are not a stored group's JSON.
   */
  async load(
    destination: string,
    groups: readonly GroupToDecode[],
    readBodies: BodyReader,
  ): Promise<(DecodedGroup | undefined)[]> {
    const toRead: { id: string; parts: number }[] = [];
    const waiting = new Map<
      string,
      (decoded: Promise<DecodedGroup | undefined>) => void
    >();
    const results = groups.map((ref) => {
      const taken = this.#take(destination, ref.id);
      if (taken !== undefined) return taken;
      let decoded: Promise<DecodedGroup | undefined>;
      if (ref.shared === undefined) {
        // Decoded now, so that bytes that are not JSON throw here.
        decoded = Promise.resolve(decode(ref.parts));
      } else {
        toRead.push({ id: ref.id, parts: ref.shared.parts });
        decoded = new Promise((resolve) => waiting.set(ref.id, resolve));
      }
      this.#keep(destination, ref.id, decoded);
      return decoded;
    });
    if (toRead.length > 0) {
      const bodies = readBodies(toRead);
      for (const [id, resolve] of waiting) {
        resolve(bodies.then((read) => {
          const parts = read.get(id);
          if (parts === undefined) {
            this.#entries.delete(id);
            return undefined;
          }
          return decode(parts);
        }));
      }
      // A failed read is not kept for the other destinations.
      bodies.catch(() => {
        for (const { id } of toRead) this.#entries.delete(id);
      });
    }
    return await Promise.all(results);
  }

  /**
   * Keeps a group this instance just stored, as it was accepted, for its
   * destinations to take without reading it back: while delivery keeps up,
   * no stored group is read. Not kept when the cache is full:
   * delivery is then behind, and the groups it needs next are the older
   * ones already kept.
   *
   * @param id The group's id.
   * @param takers How many destinations will take it: those this instance
   * delivers (holds the lease of); none, and it is not kept.
   * @param decode Makes the group and its events' JSON (called only when it
   * is kept).
   */
  seed(id: string, takers: number, decode: () => DecodedGroup): void {
    if (
      takers <= 0 || this.#entries.size >= this.#limit ||
      this.#entries.has(id)
    ) return;
    this.#entries.set(id, {
      decoded: Promise.resolve(decode()),
      takenBy: new Set(),
      takers,
    });
  }

  #take(
    destination: string,
    id: string,
  ): Promise<DecodedGroup | undefined> | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.takenBy.has(destination)) return;
    entry.takenBy.add(destination);
    if (entry.takenBy.size >= (entry.takers ?? this.#sharers())) {
      this.#entries.delete(id);
    }
    return entry.decoded;
  }

  #keep(
    destination: string,
    id: string,
    decoded: Promise<DecodedGroup | undefined>,
  ): void {
    if (this.#entries.has(id) || this.#sharers() <= 1) return;
    this.#entries.set(id, { decoded, takenBy: new Set([destination]) });
    if (this.#entries.size > this.#limit) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}

function decode(parts: readonly Uint8Array[]): DecodedGroup {
  const group = fromParts(parts);
  return {
    group,
    serialized: group.events.map((event) => {
      const { json, bytes } = acceptEvent(event);
      return { json, bytes };
    }),
  };
}
