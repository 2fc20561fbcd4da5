/**
 * The import loop: the merged rows of an audit database go into the spool
 * in batches, each committed in one transaction with the checkpoint that
 * covers it.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { AuditEvent } from "../../../events/audit_event.ts";
import { IngestError } from "../../../ingest/ingest_error.ts";
import type { KvLike } from "../../../spool/kv_like.ts";
import type { SpoolCommitExtras } from "../../../spool/kv_spool.ts";
import {
  advance,
  type Checkpoint,
  loadCheckpoint,
  type StoredCheckpoint,
} from "./checkpoint.ts";
import { type MergedRow, mergedRows } from "./merge.ts";
import { countTable } from "./reader.ts";
import { TABLES } from "./tables.ts";

/** Where the events go: `KvSpool` fits. */
export interface ImportSink {
  /** Stores events and the extra writes in one transaction, or nothing. */
  accept(
    events: readonly AuditEvent[],
    extras: SpoolCommitExtras,
  ): Promise<void>;
}

/** Progress of an import, after each batch. */
export interface ImportProgress {
  /** Rows done in this run (imported, refused or skipped). */
  done: number;
  /** Rows there were to do when the run began (grows in follow mode). */
  total: number;
  /** Events imported in this run. */
  imported: number;
}

/** Options of {@linkcode importAuditRows}. */
export interface ImportOptions {
  /** The open audit database. */
  db: DatabaseSync;
  /** The spool's store, which holds the checkpoint. */
  kv: KvLike;
  /** The spool. */
  sink: ImportSink;
  /** The database's resolved path: names its checkpoint. */
  path: string;
  /** How many destinations each event is stored for (named in a refusal). */
  destinations: number;
  /** Skip rows older than this (epoch µs); remembered in the checkpoint. */
  sinceMicros?: number | undefined;
  /** Keep polling for new rows until `signal` aborts. */
  follow?: boolean | undefined;
  /** Following: leave rows younger than this for a later pass, in ms; default 5000. */
  settleMs?: number | undefined;
  /** Following: the pause between passes, in ms; default 1000. */
  pollMs?: number | undefined;
  /** Stops the import after the batch in hand. */
  signal?: AbortSignal | undefined;
  /** The time; default `Date.now`. */
  now?: (() => number) | undefined;
  /** Told after each batch. */
  onProgress?: ((progress: ImportProgress) => void) | undefined;
  /** Told of each refused row, once its batch is committed. */
  onRefused?: ((row: MergedRow) => void) | undefined;
  /** Told when the spool is full and the import waits for delivery. */
  onWaiting?: ((reason: string) => void) | undefined;
}

/** What an import did. */
export interface ImportReport {
  /** Events imported in this run, per table. */
  imported: Record<string, number>;
  /** Rows refused in this run. */
  refused: number;
  /** Rows skipped as older than `--since` in this run. */
  skipped: number;
  /** True when `signal` stopped it. */
  interrupted: boolean;
  /** The checkpoint as it was left. */
  checkpoint: Checkpoint;
}

/**
 * The most bytes of events per transaction: under the spool's 700 KB (a
 * group is stored once for all destinations), with room for an estimate's
 * error and the destinations' references.
 */
const COMMIT_BUDGET = 560_000;
/** The most rows per transaction. */
const MAX_ROWS = 4000;

class Interrupted extends Error {}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Imports the rows after the checkpoint: each batch of events is stored in
 * the spool in the same transaction as the checkpoint that covers it, so a
 * crash at any point leaves every row either stored once with the
 * checkpoint past it, or not stored with the checkpoint before it.
 *
 * @example
 * ```ts ignore
 * const report = await importAuditRows({ db, kv, sink: spool, path, destinations: 1 });
 * ```
 *
 * @param options The database, spool and bounds.
 * @returns What was done.
 */
export async function importAuditRows(
  options: ImportOptions,
): Promise<ImportReport> {
  const { db, kv, sink, path, signal } = options;
  const now = options.now ?? Date.now;
  // The spool stores a group once for all its destinations: the budget is
  // that of one copy.
  const budget = COMMIT_BUDGET;
  let stored: StoredCheckpoint = await loadCheckpoint(kv, path);
  const sinceMicros = Math.max(
    stored.value.sinceMicros ?? -Infinity,
    options.sinceMicros ?? -Infinity,
  );
  const since = Number.isFinite(sinceMicros) ? sinceMicros : undefined;
  const report: ImportReport = {
    imported: Object.fromEntries(TABLES.map((t) => [t.name, 0])),
    refused: 0,
    skipped: 0,
    interrupted: false,
    checkpoint: stored.value,
  };
  const floor = since === undefined
    ? undefined
    : new Date(since / 1000 - 86_400_000).toISOString().slice(0, 10);
  const progress: ImportProgress = {
    done: 0,
    imported: 0,
    total: TABLES.reduce(
      (sum, spec) =>
        sum +
        countTable(db, spec, { after: stored.value.cursors[spec.name], floor }),
      0,
    ),
  };

  // Stores one batch and the checkpoint past it, in one transaction.
  const commit = async (rows: MergedRow[]): Promise<void> => {
    const previous = stored.value;
    const next: Checkpoint = {
      path,
      cursors: { ...previous.cursors },
      ...(since === undefined ? {} : { sinceMicros: since }),
      imported: { ...previous.imported },
      refused: previous.refused,
      updatedAt: new Date(now()).toISOString(),
    };
    const events: AuditEvent[] = [];
    for (const row of rows) {
      next.cursors[row.table] = row.cursor;
      if (row.event) {
        events.push(row.event);
        next.imported[row.table] = (next.imported[row.table] ?? 0) + 1;
      } else if (row.refused) next.refused++;
    }
    for (;;) {
      try {
        await sink.accept(events, advance(stored, next));
        break;
      } catch (error) {
        // Too large for one transaction (RangeError), or an event larger
        // than the spool stores at all (413): split, down to the one row.
        const tooLarge = error instanceof RangeError ||
          (error instanceof IngestError && error.status === 413);
        if (tooLarge) {
          if (rows.length > 1) {
            const half = Math.ceil(rows.length / 2);
            await commit(rows.slice(0, half));
            await commit(rows.slice(half));
            return;
          }
          rows[0]!.refused =
            `its event is too large to store at once for ${options.destinations} destination(s) (${
              (error as Error).message
            })`;
          rows[0]!.event = undefined;
          return commit(rows);
        }
        // Metadata an Elasticsearch destination without its template can
        // never index: those rows are refused, naming the field; the rest
        // are stored.
        const problems = error instanceof IngestError && error.status === 400
          ? error.details.events
          : undefined;
        if (problems !== undefined && problems.length > 0) {
          const withEvent = rows.filter((row) => row.event !== undefined);
          for (const { index, message } of problems) {
            const row = withEvent[index];
            if (row === undefined) continue;
            row.refused = message;
            row.event = undefined;
          }
          return commit(rows);
        }
        if (error instanceof IngestError && error.status === 503) {
          options.onWaiting?.(error.message);
          await sleep(1000, signal);
          if (signal?.aborted) throw new Interrupted();
          continue;
        }
        throw error;
      }
    }
    stored = await loadCheckpoint(kv, path);
    report.checkpoint = stored.value;
    for (const row of rows) {
      progress.done++;
      if (row.event) {
        report.imported[row.table]!++;
        progress.imported++;
      } else if (row.refused) {
        report.refused++;
        options.onRefused?.(row);
      } else report.skipped++;
    }
    options.onProgress?.({ ...progress });
  };

  try {
    for (;;) {
      const rows = mergedRows(db, {
        cursors: stored.value.cursors,
        sinceMicros: since,
        untilMicros: options.follow
          ? (now() - (options.settleMs ?? 5000)) * 1000
          : undefined,
      });
      let batch: MergedRow[] = [];
      let bytes = 0;
      let pending: Promise<void> | undefined;
      try {
        for (const row of rows) {
          batch.push(row);
          bytes += row.bytes;
          if (bytes >= budget || batch.length >= MAX_ROWS) {
            // The next batch is read while this one is written: one
            // commit at a time, since each checks the one before.
            await pending;
            if (signal?.aborted) break;
            pending = commit(batch);
            batch = [];
            bytes = 0;
          }
        }
      } finally {
        rows.return();
        await pending;
        pending = undefined;
      }
      if (batch.length > 0 && !signal?.aborted) await commit(batch);
      if (!options.follow || signal?.aborted) break;
      await sleep(options.pollMs ?? 1000, signal);
      if (signal?.aborted) break;
      if (options.follow) {
        progress.total = Math.max(progress.total, progress.done);
      }
    }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
  }
  report.interrupted = signal?.aborted ?? false;
  return report;
}
