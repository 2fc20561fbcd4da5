/**
 * Opening the spool's SQLite file while another process may be creating it.
 *
 * @module
 */
import { systemClock } from "../../delivery/clock.ts";
import { retryWhileBusy } from "../../spool/kv_retry.ts";

/**
 * Opens a Deno KV store, and again while SQLite answers "database is
 * locked": two servers started at once on one DATA_DIR both create the
 * file's tables, and the second to try failed at startup (seen in the
 * two-server kill test, about one start in twenty). Each try can block the
 * event loop for SQLite's busy timeout (5 s in Deno KV): this is for startup.
 *
 * @example
 * ```ts ignore
 * const kv = await openKvWhenFree(`${dataDir}/spool.sqlite`);
 * ```
 *
 * @param path The file, or undefined for the runtime's own store.
 * @returns The open store.
 * @throws What opening threw when it is not "locked" or "busy", or still is
 * after the retries of {@linkcode retryWhileBusy} (some seconds).
 */
export function openKvWhenFree(path: string | undefined): Promise<Deno.Kv> {
  return retryWhileBusy(() => Deno.openKv(path), systemClock, Math.random);
}
