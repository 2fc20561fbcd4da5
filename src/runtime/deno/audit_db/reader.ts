/**
 * Reads one table of an audit database in (timestamp, primary key) order
 * from a cursor, through the table's timestamp index.
 *
 * @module
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { TableSpec } from "./tables.ts";

/** A column's value as SQLite returns it. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/** Where a table's reading resumes: the last row done, by its sort key. */
export interface TableCursor {
  /** The row's `timestamp` as stored (text; null or a number only in odd files). */
  timestamp: string | number | null;
  /** The row's primary key as stored. */
  id: string | number | null;
}

/** What to read of a table. */
export interface ReadRange {
  /** Read the rows after this one; default: from the first. */
  after?: TableCursor | undefined;
  /** Read only rows whose stored timestamp text is at least this. */
  floor?: string | undefined;
}

// SQLite's ORDER BY puts NULL first, and `x > NULL` is NULL: a NULL cursor
// part needs its own form. The leading `timestamp >= ?` keeps the index
// usable; the rest is a filter on the rows of the cursor's own timestamp.
function where(
  spec: TableSpec,
  range: ReadRange,
): { sql: string; params: SQLInputValue[] } {
  const clauses: string[] = [];
  const params: SQLInputValue[] = [];
  const idAfter = (): string => {
    params.push(range.after!.id, range.after!.id);
    return `("${spec.id}" > ? OR (? IS NULL AND "${spec.id}" IS NOT NULL))`;
  };
  if (range.after) {
    const { timestamp } = range.after;
    if (timestamp === null) {
      clauses.push(`("timestamp" IS NOT NULL OR ${idAfter()})`);
    } else {
      params.push(timestamp, timestamp);
      clauses.push(`"timestamp" >= ? AND ("timestamp" > ? OR ${idAfter()})`);
    }
  }
  if (range.floor !== undefined) {
    clauses.push(`"timestamp" >= ?`);
    params.push(range.floor);
  }
  return {
    sql: clauses.length ? ` WHERE ${clauses.join(" AND ")}` : "",
    params,
  };
}

/** A row: its values in the order of the table's `columns`. */
export type Row = SqlValue[];

/** Rows read per query: short statements, so a live writer is not held up. */
const PAGE_ROWS = 1000;

/**
 * Reads a table's rows after a cursor, in stored (timestamp, primary key)
 * order: the order of the producer's own index, which is time order when
 * every timestamp has the same form (as the logger writes them). Rows come
 * in pages of short queries.
 *
 * @example
 * ```ts ignore
 * for (const row of readTable(db, TABLES[0]!, {})) console.log(row[0]);
 * ```
 *
 * @param db The open database.
 * @param spec The table.
 * @param range Where to start.
 * @returns The rows, read lazily.
 */
export function* readTable(
  db: DatabaseSync,
  spec: TableSpec,
  range: ReadRange,
): Generator<Row, void, undefined> {
  const columns = spec.columns.map((column) => `"${column}"`).join(", ");
  const timestampAt = spec.columns.indexOf("timestamp");
  const idAt = spec.columns.indexOf(spec.id);
  const statements = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
  let after = range.after;
  for (;;) {
    const { sql, params } = where(spec, { after, floor: range.floor });
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(
        `SELECT ${columns} FROM "${spec.name}"${sql} ORDER BY "timestamp", "${spec.id}" LIMIT ${PAGE_ROWS}`,
      );
      // Arrays, not objects per row: a third of the cost. Deno has the
      // method (Node 22.16) but its bundled node types do not declare it.
      (statement as unknown as { setReturnArrays(on: boolean): void })
        .setReturnArrays(true);
      statements.set(sql, statement);
    }
    const rows = statement.all(...params) as unknown as Row[];
    yield* rows;
    if (rows.length < PAGE_ROWS) return;
    const last = rows[rows.length - 1]!;
    after = {
      timestamp: cursorPart(last[timestampAt]),
      id: cursorPart(last[idAt]),
    };
  }
}

/**
 * A value as a cursor holds it (JSON): text and numbers as they are, a
 * bigint as a number, anything else (a blob) as null.
 *
 * @example
 * ```ts ignore
 * cursorPart("2026-11-30 12:00:00"); // "2026-11-30 12:00:00"
 * ```
 *
 * @param value The column's value.
 * @returns The cursor part.
 */
export function cursorPart(
  value: SqlValue | undefined,
): string | number | null {
  if (typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  return null;
}

/**
 * Counts a table's rows after a cursor (for the progress line's ETA).
 *
 * @example
 * ```ts ignore
 * const left = countTable(db, TABLES[0]!, { after: cursor });
 * ```
 *
 * @param db The open database.
 * @param spec The table.
 * @param range Where to start.
 * @returns How many rows there are.
 */
export function countTable(
  db: DatabaseSync,
  spec: TableSpec,
  range: ReadRange,
): number {
  const { sql, params } = where(spec, range);
  const row = db.prepare(`SELECT count(*) AS n FROM "${spec.name}"${sql}`)
    .get(...params);
  return Number(row?.n ?? 0);
}
