/**
 * The durable spool's key layout: every key it stores, named, with the
 * encoding of a stored group's part keys and its decoding when read back.
 *
 * ```text
 * [prefix, "outbox" | "dead", destination, at, id, index, total]  a group's part
 * [prefix, "outbox", destination, at, id, parts]                 a reference to a shared group
 * [prefix, "body", id, index, total]                             a shared group's part
 * [prefix, "refs", id]                                           references left to a shared group
 * [prefix, "count" | "deadcount", destination]                   event counters
 * [prefix, "progress", destination, id]                          a group's settled positions
 * [prefix, "lease", destination]                                 who delivers it
 * ```
 *
 * A group accepted for several destinations is stored once, as a shared
 * body, and each destination's outbox holds a reference to it (its value is
 * the group's event count); the body goes when the last reference does.
 * A group for one destination, a dead letter and a group stored by an
 * older version are whole in the list (parts keyed by index and total).
 *
 * @module
 */
import type { KvKey } from "./kv_like.ts";

/** The two lists of stored groups: events to deliver, and dead letters. */
export type GroupList = "outbox" | "dead";

/** Where one part of a stored group lives in its list. */
export interface GroupPartKey {
  /** When the group was accepted (or dead-lettered), in epoch ms: keys sort by it. */
  at: number;
  /** The group's id (a sequence number, then a UUID). */
  id: string;
  /** The part's index in the group. */
  index: number;
  /** How many parts the group has. */
  total: number;
}

/** Where a destination's reference to a shared group lives in its outbox. */
export interface SharedGroupKey {
  /** When the group was accepted, in epoch ms: keys sort by it. */
  at: number;
  /** The group's id. */
  id: string;
  /** How many parts its body has. */
  parts: number;
}

/** The keys of one spool (one prefix). */
export class SpoolKeys {
  /** The first part of every key. */
  readonly prefix: string;

  /**
   * Names the keys under a prefix.
   *
   * @param prefix The first part of every key.
   */
  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /**
   * The prefix of a destination's list.
   *
   * @param list Outbox or dead letters.
   * @param destination The destination's name.
   * @returns The key prefix.
   */
  list(list: GroupList, destination: string): KvKey {
    return [this.prefix, list, destination];
  }

  /**
   * The key of one part of a stored group.
   *
   * @param list Outbox or dead letters.
   * @param destination The destination's name.
   * @param part Where the part lives.
   * @returns The key.
   */
  part(list: GroupList, destination: string, part: GroupPartKey): KvKey {
    return [
      this.prefix,
      list,
      destination,
      part.at,
      part.id,
      part.index,
      part.total,
    ];
  }

  /**
   * The key of a destination's reference to a shared group.
   *
   * @param destination The destination's name.
   * @param group Where the group sorts, its id and its body's part count.
   * @returns The key.
   */
  reference(destination: string, group: SharedGroupKey): KvKey {
    return [
      this.prefix,
      "outbox",
      destination,
      group.at,
      group.id,
      group.parts,
    ];
  }

  /**
   * The key of one part of a shared group's body.
   *
   * @param id The group's id.
   * @param index The part's index.
   * @param total How many parts the body has.
   * @returns The key.
   */
  body(id: string, index: number, total: number): KvKey {
    return [...this.bodyOf(id), index, total];
  }

  /**
   * The prefix of a shared group's body parts.
   *
   * @param id The group's id.
   * @returns The prefix.
   */
  bodyOf(id: string): KvKey {
    return [this.prefix, "body", id];
  }

  /**
   * The counter of the references left to a shared group.
   *
   * @param id The group's id.
   * @returns The key.
   */
  refs(id: string): KvKey {
    return [this.prefix, "refs", id];
  }

  /**
   * The prefix of every shared group's reference counter.
   *
   * @returns The prefix.
   */
  allRefs(): KvKey {
    return [this.prefix, "refs"];
  }

  /**
   * The counter of a list's events.
   *
   * @param list Outbox (`count`) or dead letters (`deadcount`).
   * @param destination The destination's name.
   * @returns The key.
   */
  count(list: GroupList, destination: string): KvKey {
    return [
      this.prefix,
      list === "outbox" ? "count" : "deadcount",
      destination,
    ];
  }

  /**
   * The positions of a group's events settled so far.
   *
   * @param destination The destination's name.
   * @param id The group's id.
   * @returns The key.
   */
  progress(destination: string, id: string): KvKey {
    return [...this.progressOf(destination), id];
  }

  /**
   * The prefix of a destination's progress keys.
   *
   * @param destination The destination's name.
   * @returns The prefix.
   */
  progressOf(destination: string): KvKey {
    return [this.prefix, "progress", destination];
  }

  /**
   * The lease of a destination's delivery.
   *
   * @param destination The destination's name.
   * @returns The key.
   */
  lease(destination: string): KvKey {
    return [this.prefix, "lease", destination];
  }
}

/**
 * Reads where a part lives from its key, as {@linkcode SpoolKeys.part}
 * wrote it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePartKey, SpoolKeys } from "./kv_keys.ts";
 *
 * const part = { at: 1, id: "000000000000-x", index: 0, total: 2 };
 * const key = new SpoolKeys("p").part("outbox", "splunk", part);
 * assert.deepEqual(decodePartKey(key), part);
 * assert.equal(decodePartKey(["p", "outbox", "splunk"]), undefined);
 * ```
 *
 * @param key A key of an outbox or dead-letter list.
 * @returns Where the part lives, or undefined for a key of another shape.
 */
export function decodePartKey(key: KvKey): GroupPartKey | undefined {
  if (key.length !== 7) return undefined;
  const [, , , at, id, index, total] = key;
  if (
    typeof at !== "number" || typeof id !== "string" ||
    typeof index !== "number" || typeof total !== "number"
  ) return undefined;
  return { at, id, index, total };
}

/**
 * Reads a reference to a shared group from its key, as
 * {@linkcode SpoolKeys.reference} wrote it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeReferenceKey, SpoolKeys } from "./kv_keys.ts";
 *
 * const group = { at: 1, id: "000000000000-x", parts: 1 };
 * const key = new SpoolKeys("p").reference("splunk", group);
 * assert.deepEqual(decodeReferenceKey(key), group);
 * assert.equal(decodeReferenceKey(["p", "outbox", "splunk", 1, "x", 0, 1]), undefined);
 * ```
 *
 * @param key A key of an outbox.
 * @returns The reference, or undefined for a key of another shape.
 */
export function decodeReferenceKey(key: KvKey): SharedGroupKey | undefined {
  if (key.length !== 6) return undefined;
  const [, , , at, id, parts] = key;
  if (
    typeof at !== "number" || typeof id !== "string" ||
    typeof parts !== "number"
  ) return undefined;
  return { at, id, parts };
}
