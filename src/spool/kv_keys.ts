/**
 * The durable spool's key layout: every key it stores, named, with the
 * encoding of a stored group's part keys and its decoding when read back.
 *
 * ```text
 * [prefix, "outbox" | "dead", destination, at, id, index, total]  a group's part
 * [prefix, "count" | "deadcount", destination]                   event counters
 * [prefix, "progress", destination, id]                          a group's settled positions
 * [prefix, "lease", destination]                                 who delivers it
 * ```
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
