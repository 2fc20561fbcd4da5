/**
 * `--dry-run`: what an import would do, counted without writing anything.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { SIEMConfig } from "../../../platforms/siem_config.ts";
import type { Checkpoint } from "./checkpoint.ts";
import { mergedRows } from "./merge.ts";
import { TABLES } from "./tables.ts";

/** One table's counts. */
export interface TableCounts {
  /** Rows that would be imported. */
  events: number;
  /** Rows that would be refused (invalid). */
  refused: number;
  /** Rows older than `--since`. */
  skipped: number;
}

/** One destination's counts. */
export interface DestinationCounts {
  /** The destination's name. */
  name: string;
  /** Events that would be stored for it. */
  events: number;
  /** Of those, how many are older than it takes (`maxEventAgeMs`, e.g. Datadog's 18 h). */
  aged: number;
  /** Its `maxEventAgeMs`, if any. */
  maxEventAgeMs?: number | undefined;
  /** What it does with an aged event. */
  agedEvents: SIEMConfig["agedEvents"];
}

/** What a dry run counted. */
export interface DryRunReport {
  /** Per table. */
  tables: Record<string, TableCounts>;
  /** Per enabled destination. */
  destinations: DestinationCounts[];
}

/**
 * Counts what an import from the checkpoint would do, per table and per
 * destination, including the events a destination would age out (the age
 * counted from `now`, as if delivered at once).
 *
 * @example
 * ```ts ignore
 * const report = dryRun(db, checkpoint, configs, undefined, Date.now());
 * ```
 *
 * @param db The open database.
 * @param checkpoint Where the import would resume.
 * @param destinations The parsed destination configs.
 * @param sinceMicros `--since`, in epoch µs.
 * @param now The current time, in epoch ms.
 * @returns The counts.
 */
export function dryRun(
  db: DatabaseSync,
  checkpoint: Checkpoint,
  destinations: readonly SIEMConfig[],
  sinceMicros: number | undefined,
  now: number,
): DryRunReport {
  const tables: Record<string, TableCounts> = Object.fromEntries(
    TABLES.map((t) => [t.name, { events: 0, refused: 0, skipped: 0 }]),
  );
  const enabled = destinations.filter((d) => d.enabled);
  const counts: DestinationCounts[] = enabled.map((d) => ({
    name: d.name,
    events: 0,
    aged: 0,
    maxEventAgeMs: d.maxEventAgeMs,
    agedEvents: d.agedEvents,
  }));
  for (
    const row of mergedRows(db, {
      cursors: checkpoint.cursors,
      sinceMicros,
    })
  ) {
    const table = tables[row.table]!;
    if (row.skipped) table.skipped++;
    else if (!row.event) table.refused++;
    else {
      table.events++;
      const ageMs = now - row.micros! / 1000;
      for (const count of counts) {
        count.events++;
        if (count.maxEventAgeMs !== undefined && ageMs > count.maxEventAgeMs) {
          count.aged++;
        }
      }
    }
  }
  return { tables, destinations: counts };
}
