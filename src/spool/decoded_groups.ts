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

interface Entry {
  decoded: DecodedGroup;
  takenBy: Set<string>;
}

/**
 * The spool stores each accepted group once per destination, under the
 * same id and with the same bytes; each destination loads its copy. The
 * first to load a group decodes it, and the others take the decoded events
 * (shared, as the in-memory integrator shares an event between its
 * destinations) instead of decoding the same JSON again: decoding was half
 * of the delivery's work with three destinations. Each event's JSON, which
 * a destination's buffer sends and counts, is written here once too. A destination that loads
 * a group again (after its lease came back) decodes it anew, so one
 * destination never holds two loads of the same event objects. At most
 * `limit` groups wait for the destinations that have not loaded them yet
 * (one that is down or disabled), the oldest dropped first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DecodedGroups } from "./decoded_groups.ts";
 * import { toParts } from "./blob.ts";
 *
 * const decoded = new DecodedGroups(() => 2);
 * const ref = { id: "g1", parts: toParts({ at: 0, events: [] }) };
 * const first = decoded.decode("splunk", ref);
 * assert.equal(decoded.decode("datadog", ref), first);
 * assert.notEqual(decoded.decode("datadog", ref), first);
 * assert.deepEqual(first.serialized, []);
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
   * @param limit The most groups kept for destinations yet to load them.
   */
  constructor(sharers: () => number, limit = 32) {
    this.#sharers = sharers;
    this.#limit = limit;
  }

  /** How many decoded groups wait for other destinations. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The group a destination loads: decoded by another destination already,
   * or decoded now.
   *
   * @param destination The destination's name.
   * @param ref The group's id and stored parts.
   * @returns The group and its events' JSON.
   * @throws {SyntaxError} When the parts are not a stored group's JSON.
   */
  decode(
    destination: string,
    ref: { id: string; parts: readonly Uint8Array[] },
  ): DecodedGroup {
    const entry = this.#entries.get(ref.id);
    if (entry !== undefined && !entry.takenBy.has(destination)) {
      entry.takenBy.add(destination);
      if (entry.takenBy.size >= this.#sharers()) this.#entries.delete(ref.id);
      return entry.decoded;
    }
    const group = fromParts(ref.parts);
    const decoded: DecodedGroup = {
      group,
      serialized: group.events.map((event) => {
        const { json, bytes } = acceptEvent(event);
        return { json, bytes };
      }),
    };
    if (entry === undefined && this.#sharers() > 1) {
      this.#entries.set(ref.id, { decoded, takenBy: new Set([destination]) });
      if (this.#entries.size > this.#limit) {
        this.#entries.delete(this.#entries.keys().next().value!);
      }
    }
    return decoded;
  }
}
