/**
 * The part of a key-value store the durable spool needs, written as plain
 * interfaces: `Deno.Kv` fits them as it is, and no public type of this
 * module mentions Deno's.
 *
 * @module
 */

/** One part of a key. */
export type KvKeyPart =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | symbol;

/** A key: parts ordered from the most to the least significant. */
export type KvKey = readonly KvKeyPart[];

/** A stored entry. */
export interface KvEntryLike<T> {
  /** Its key. */
  readonly key: KvKey;
  /** Its value. */
  readonly value: T;
  /** Changes with every write of the entry. */
  readonly versionstamp: string;
}

/** The result of a read: the entry, or nulls when there is none. */
export interface KvMaybeEntryLike<T> {
  /** The key read. */
  readonly key: KvKey;
  /** The value, or null. */
  readonly value: T | null;
  /** The versionstamp, or null. */
  readonly versionstamp: string | null;
}

/** A transaction: checks, then writes that all apply or none. */
export interface KvAtomicLike {
  /** Fails the commit unless each key still has the given versionstamp (null: absent). */
  check(...checks: { key: KvKey; versionstamp: string | null }[]): this;
  /** Writes a value. */
  set(key: KvKey, value: unknown): this;
  /** Deletes a key. */
  delete(key: KvKey): this;
  /** Adds to an unsigned 64-bit counter (wrapping, so adding 2^64 - n subtracts n). */
  sum(key: KvKey, n: bigint): this;
  /**
   * Applies the transaction; `ok` is false when a check failed. On success,
   * `versionstamp` (where the store gives it, as Deno KV does) is that of
   * every key the transaction wrote.
   */
  commit(): Promise<{ ok: boolean; versionstamp?: string | undefined }>;
}

/** A key-value store with ordered listing and transactions, such as `Deno.Kv`. */
export interface KvLike {
  /** Reads one key. */
  get<T = unknown>(key: KvKey): Promise<KvMaybeEntryLike<T>>;
  /**
   * Reads several keys at once (Deno KV: at most 10), in order. Optional:
   * without it the spool reads them one by one.
   */
  getMany?(
    keys: readonly KvKey[],
  ): Promise<readonly KvMaybeEntryLike<unknown>[]>;
  /** Lists the entries under a prefix, in key order. */
  list<T = unknown>(
    selector: { prefix: KvKey; start?: KvKey },
    options?: { limit?: number; batchSize?: number },
  ): AsyncIterable<KvEntryLike<T>>;
  /** Starts a transaction. */
  atomic(): KvAtomicLike;
}

/** 2^64, to subtract from a wrapping 64-bit counter. */
export const U64 = 1n << 64n;

/** The value of a 64-bit counter as read back (Deno returns a `KvU64`). */
export function counterValue(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "bigint") return Number(value);
  const inner = (value as { value?: unknown }).value;
  return typeof inner === "bigint" ? Number(inner) : 0;
}
