/**
 * The three tables of the Python audit logger's SQLite database, and the
 * check that a file is such a database.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

/** The name of one of the three tables. */
export type TableName = "audit_events" | "tool_calls" | "security_decisions";

/** What the importer reads of a table. */
export interface TableSpec {
  /** The table. */
  name: TableName;
  /** Its primary key: the event's `event_id`. */
  id: "event_id" | "call_id" | "decision_id";
  /** The columns read (all must exist). */
  columns: readonly string[];
}

/**
 * The tables, in the order that breaks ties between rows of the same
 * instant. Columns as `harombe.security.audit_db` creates them.
 */
export const TABLES: readonly TableSpec[] = [
  {
    name: "audit_events",
    id: "event_id",
    columns: [
      "event_id",
      "correlation_id",
      "session_id",
      "timestamp",
      "event_type",
      "actor",
      "tool_name",
      "action",
      "metadata",
      "duration_ms",
      "status",
      "error_message",
    ],
  },
  {
    name: "tool_calls",
    id: "call_id",
    columns: [
      "call_id",
      "correlation_id",
      "session_id",
      "timestamp",
      "tool_name",
      "method",
      "parameters",
      "result",
      "error",
      "duration_ms",
      "container_id",
    ],
  },
  {
    name: "security_decisions",
    id: "decision_id",
    columns: [
      "decision_id",
      "correlation_id",
      "session_id",
      "timestamp",
      "decision_type",
      "decision",
      "reason",
      "context",
      "tool_name",
      "actor",
    ],
  },
];

/** Thrown when a file is not an audit database; the message says why. */
export class NotAnAuditDatabaseError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is missing or wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "NotAnAuditDatabaseError";
  }
}

/**
 * Opens an audit database read-only and checks that it has the three tables
 * with every column the importer reads.
 *
 * @example
 * ```ts ignore
 * const db = openAuditDatabase("/home/me/.harombe/audit.db");
 * ```
 *
 * @param path The SQLite file.
 * @returns The open database.
 * @throws {NotAnAuditDatabaseError} When the file is missing, is not SQLite,
 * or lacks a table or column (named in the message).
 */
export function openAuditDatabase(path: string): DatabaseSync {
  let stat: Deno.FileInfo;
  try {
    stat = Deno.statSync(path);
  } catch (error) {
    throw new NotAnAuditDatabaseError(
      `cannot read ${path}: ${error instanceof Error ? error.message : error}`,
    );
  }
  if (!stat.isFile) {
    throw new NotAnAuditDatabaseError(`${path} is not a file`);
  }
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch (error) {
    throw new NotAnAuditDatabaseError(
      `cannot open ${path} as SQLite: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
  try {
    checkTables(db, path);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function checkTables(db: DatabaseSync, path: string): void {
  let tables: string[];
  try {
    tables = db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    ).all().map((row) => String(row.name));
  } catch (error) {
    throw new NotAnAuditDatabaseError(
      `${path} is not an SQLite database (${
        error instanceof Error ? error.message : error
      })`,
    );
  }
  for (const spec of TABLES) {
    if (!tables.includes(spec.name)) {
      throw new NotAnAuditDatabaseError(
        `${path} is not a Python audit database: it has no table ${spec.name} (tables: ${
          tables.join(", ") || "none"
        })`,
      );
    }
  }
  for (const spec of TABLES) {
    const columns = new Set(
      db.prepare(`SELECT name FROM pragma_table_info('${spec.name}')`).all()
        .map((row) => String(row.name)),
    );
    const missing = spec.columns.filter((column) => !columns.has(column));
    if (missing.length > 0) {
      throw new NotAnAuditDatabaseError(
        `${path} is not a Python audit database: table ${spec.name} has no column${
          missing.length > 1 ? "s" : ""
        } ${missing.join(", ")}`,
      );
    }
  }
}
