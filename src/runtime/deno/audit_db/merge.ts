/**
 * The rows of the three tables as one stream in time order: a merge of the
 * tables' own ordered readings, each row mapped to an event or refused.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import type { AuditEvent } from "../../../events/audit_event.ts";
import { mapRow } from "./map_row.ts";
import { cursorPart, readTable, type Row, type TableCursor } from "./reader.ts";
import { type TableName, TABLES } from "./tables.ts";
import { readStoredTimestamp } from "./timestamp.ts";

/** Each table's cursor; a table without one is read from its first row. */
export type Cursors = Partial<Record<TableName, TableCursor>>;

/** One row of the stream. */
export interface MergedRow {
  /** Its table. */
  table: TableName;
  /** The cursor that marks it done. */
  cursor: TableCursor;
  /** Its instant in µs since the epoch, when readable. */
  micros?: number | undefined;
  /** Its event; absent when refused or skipped. */
  event?: AuditEvent | undefined;
  /** Why it cannot be an event. */
  refused?: string | undefined;
  /** About the size of its event as stored, in bytes (to size batches). */
  bytes: number;
  /** True when it is older than `sinceMicros`: skipped, not imported. */
  skipped?: boolean | undefined;
}

/** What {@linkcode mergedRows} reads. */
export interface MergeOptions {
  /** Where each table resumes. */
  cursors: Cursors;
  /** Skip rows older than this instant (µs). */
  sinceMicros?: number | undefined;
  /**
   * Stop reading a table at its first row newer than this instant (µs): for
   * following a live file, rows this young are left for a later pass.
   */
  untilMicros?: number | undefined;
}

// Stored timestamp text of a day before `micros`: no row of that instant
// or later, whatever its offset (at most ±14 h), sorts before it.
function floorText(micros: number): string {
  return new Date(micros / 1000 - 86_400_000).toISOString().slice(0, 10);
}

interface Head {
  index: number;
  rows: Generator<Row, void, undefined>;
  timestampAt: number;
  idAt: number;
  row: MergedRow;
}

/**
 * Streams the rows after the cursors, merged by instant (ties: audit_events,
 * tool_calls, security_decisions). Each table is read in its stored
 * (timestamp, primary key) order; a row with an unreadable timestamp comes
 * as soon as its table reaches it, refused.
 *
 * @example
 * ```ts ignore
 * for (const row of mergedRows(db, { cursors: {} })) console.log(row.table);
 * ```
 *
 * @param db The open database.
 * @param options Cursors and time bounds.
 * @returns The rows, lazily (return() closes the readings).
 */
export function* mergedRows(
  db: DatabaseSync,
  options: MergeOptions,
): Generator<MergedRow, void, undefined> {
  const floor = options.sinceMicros === undefined
    ? undefined
    : floorText(options.sinceMicros);
  const heads: Head[] = [];
  const advance = (head: Head): boolean => {
    const next = head.rows.next();
    if (next.done) return false;
    const spec = TABLES[head.index]!;
    const values = next.value;
    const instant = readStoredTimestamp(values[head.timestampAt]);
    const cursor: TableCursor = {
      timestamp: cursorPart(values[head.timestampAt]),
      id: cursorPart(values[head.idAt]),
    };
    if (
      instant && options.untilMicros !== undefined &&
      instant.micros > options.untilMicros
    ) return false;
    // The values' text plus the field names and fixed fields around them.
    let bytes = 220;
    for (const value of values) {
      bytes += typeof value === "string" ? value.length : 8;
    }
    const row: MergedRow = {
      table: spec.name,
      cursor,
      micros: instant?.micros,
      bytes,
    };
    if (
      instant && options.sinceMicros !== undefined &&
      instant.micros < options.sinceMicros
    ) {
      row.skipped = true;
    } else {
      const mapped = mapRow(spec.name, values, instant);
      if ("event" in mapped) row.event = mapped.event;
      else row.refused = mapped.refused;
    }
    head.row = row;
    return true;
  };
  try {
    TABLES.forEach((spec, index) => {
      const head: Head = {
        index,
        rows: readTable(db, spec, {
          after: options.cursors[spec.name],
          floor,
        }),
        timestampAt: spec.columns.indexOf("timestamp"),
        idAt: spec.columns.indexOf(spec.id),
        row: undefined as unknown as MergedRow,
      };
      heads.push(head);
      if (!advance(head)) {
        head.rows.return?.();
        heads.pop();
      }
    });
    while (heads.length > 0) {
      let best = 0;
      for (let i = 1; i < heads.length; i++) {
        const a = heads[i]!.row.micros ?? -Infinity;
        const b = heads[best]!.row.micros ?? -Infinity;
        if (a < b) best = i;
      }
      const head = heads[best]!;
      yield head.row;
      if (!advance(head)) {
        head.rows.return?.();
        heads.splice(best, 1);
      }
    }
  } finally {
    for (const head of heads) head.rows.return?.();
  }
}
