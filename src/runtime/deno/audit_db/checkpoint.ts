/**
 * The importer's checkpoint: where each table's import has reached, stored
 * in the spool's own key-value store and written in the same transaction as
 * the events it covers.
 *
 * @module
 */
import type { KvKey, KvLike } from "../../../spool/kv_like.ts";
import type { SpoolCommitExtras } from "../../../spool/kv_spool.ts";
import type { Cursors } from "./merge.ts";
import type { TableName } from "./tables.ts";

/** What the checkpoint holds. */
export interface Checkpoint {
  /** The database file, as resolved when the import began. */
  path: string;
  /** Each table's last row done (imported, refused or skipped). */
  cursors: Cursors;
  /** The `--since` in force (µs since the epoch): it stays for later runs. */
  sinceMicros?: number | undefined;
  /** Rows imported, per table, over every run. */
  imported: Partial<Record<TableName, number>>;
  /** Rows refused, over every run. */
  refused: number;
  /** When it was last written (ISO 8601). */
  updatedAt: string;
}

/** A checkpoint as read, with the versionstamp a write must still find. */
export interface StoredCheckpoint {
  /** Its value; a fresh one when none is stored. */
  value: Checkpoint;
  /** The stored versionstamp; null when none is stored. */
  versionstamp: string | null;
}

/**
 * The key of a database's checkpoint: one per resolved file path.
 *
 * @example
 * ```ts ignore
 * checkpointKey("/home/me/.harombe/audit.db");
 * ```
 *
 * @param path The database's resolved path.
 * @returns The key.
 */
export function checkpointKey(path: string): KvKey {
  return ["harombe-siem-import", "checkpoint", path];
}

/**
 * Reads a database's checkpoint.
 *
 * @example
 * ```ts ignore
 * const { value } = await loadCheckpoint(kv, "/data/audit.db");
 * ```
 *
 * @param kv The spool's store.
 * @param path The database's resolved path.
 * @returns The checkpoint (fresh when none is stored).
 */
export async function loadCheckpoint(
  kv: KvLike,
  path: string,
): Promise<StoredCheckpoint> {
  const entry = await kv.get<Checkpoint>(checkpointKey(path));
  return entry.value
    ? { value: entry.value, versionstamp: entry.versionstamp }
    : {
      value: { path, cursors: {}, imported: {}, refused: 0, updatedAt: "" },
      versionstamp: null,
    };
}

/**
 * The writes that move a checkpoint on with the events of a batch: they
 * apply only if the stored checkpoint is still the one read (another
 * importer of the same file makes the commit fail instead of storing rows
 * twice).
 *
 * @example
 * ```ts ignore
 * await spool.accept(events, advance(stored, next));
 * ```
 *
 * @param stored The checkpoint as last read or written.
 * @param next Its new value.
 * @returns The checks and writes for `KvSpool.accept`.
 */
export function advance(
  stored: StoredCheckpoint,
  next: Checkpoint,
): SpoolCommitExtras {
  const key = checkpointKey(next.path);
  return {
    checks: [{ key, versionstamp: stored.versionstamp }],
    sets: [{ key, value: next }],
  };
}
