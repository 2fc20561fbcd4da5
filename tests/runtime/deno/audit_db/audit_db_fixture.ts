/**
 * Builds SQLite files as the Python audit logger (harombe.security.audit_db)
 * writes them: its three tables and timestamp indexes, WAL mode, timestamps
 * as Python's sqlite3 adapter stores a naive `datetime.utcnow()`, JSON text
 * columns NULL when the logger had nothing to write.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

/** The logger's schema (audit_db.py `_initialize_schema`). */
export const PYTHON_SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_events (
  event_id TEXT PRIMARY KEY, correlation_id TEXT NOT NULL, session_id TEXT,
  timestamp TIMESTAMP NOT NULL, event_type TEXT NOT NULL, actor TEXT NOT NULL,
  tool_name TEXT, action TEXT NOT NULL, metadata TEXT, duration_ms INTEGER,
  status TEXT NOT NULL, error_message TEXT);
CREATE TABLE IF NOT EXISTS tool_calls (
  call_id TEXT PRIMARY KEY, correlation_id TEXT NOT NULL, session_id TEXT,
  timestamp TIMESTAMP NOT NULL, tool_name TEXT NOT NULL, method TEXT NOT NULL,
  parameters TEXT NOT NULL, result TEXT, error TEXT, duration_ms INTEGER,
  container_id TEXT);
CREATE TABLE IF NOT EXISTS security_decisions (
  decision_id TEXT PRIMARY KEY, correlation_id TEXT NOT NULL, session_id TEXT,
  timestamp TIMESTAMP NOT NULL, decision_type TEXT NOT NULL,
  decision TEXT NOT NULL, reason TEXT NOT NULL, context TEXT, tool_name TEXT,
  actor TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_events_timestamp ON audit_events(timestamp);
CREATE INDEX IF NOT EXISTS idx_tools_timestamp ON tool_calls(timestamp);
CREATE INDEX IF NOT EXISTS idx_decisions_timestamp ON security_decisions(timestamp);
`;

/** A row of audit_events (null: SQL NULL). */
export interface EventRow {
  event_id: string;
  correlation_id: string;
  session_id: string | null;
  timestamp: string;
  event_type: string;
  actor: string;
  tool_name: string | null;
  action: string;
  metadata: string | null;
  duration_ms: number | null;
  status: string;
  error_message: string | null;
}

/** A row of tool_calls. */
export interface ToolCallRow {
  call_id: string;
  correlation_id: string;
  session_id: string | null;
  timestamp: string;
  tool_name: string;
  method: string;
  parameters: string;
  result: string | null;
  error: string | null;
  duration_ms: number | null;
  container_id: string | null;
}

/** A row of security_decisions. */
export interface DecisionRow {
  decision_id: string;
  correlation_id: string;
  session_id: string | null;
  timestamp: string;
  decision_type: string;
  decision: string;
  reason: string;
  context: string | null;
  tool_name: string | null;
  actor: string;
}

/** Python's `str(datetime)` of a naive UTC instant: `2026-11-30 12:00:00.123456`. */
export function pythonTimestamp(ms: number, micros = 0): string {
  const iso = new Date(ms).toISOString();
  const fraction = `${iso.slice(20, 23)}${String(micros).padStart(3, "0")}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${
    fraction === "000000" ? "" : "." + fraction
  }`;
}

/** An audit database being written, as the logger would. */
export class AuditDbFile {
  readonly db: DatabaseSync;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
    this.db.exec(PYTHON_SCHEMA);
  }

  event(row: EventRow): void {
    this.#insert("audit_events", row);
  }

  toolCall(row: ToolCallRow): void {
    this.#insert("tool_calls", row);
  }

  decision(row: DecisionRow): void {
    this.#insert("security_decisions", row);
  }

  /** Runs `write` in one transaction (fast bulk inserts). */
  transaction(write: () => void): void {
    this.db.exec("BEGIN");
    try {
      write();
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  close(): void {
    this.db.close();
  }

  #statements = new Map<string, ReturnType<DatabaseSync["prepare"]>>();

  #insert(table: string, row: object): void {
    const columns = Object.keys(row);
    const key = `${table}:${columns.join(",")}`;
    let statement = this.#statements.get(key);
    if (!statement) {
      statement = this.db.prepare(
        `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${
          columns.map(() => "?").join(", ")
        })`,
      );
      this.#statements.set(key, statement);
    }
    statement.run(...(Object.values(row) as (string | number | null)[]));
  }
}

/** Rows of all three tables, interleaved in time, `count` in all. */
export function fillMixed(
  file: AuditDbFile,
  count: number,
  startMs: number,
  stepMs = 1,
): void {
  file.transaction(() => {
    for (let i = 0; i < count; i++) {
      const timestamp = pythonTimestamp(startMs + i * stepMs, i % 1000);
      const kind = i % 3;
      const id = `${String(i).padStart(8, "0")}`;
      if (kind === 0) {
        file.event({
          event_id: `ev-${id}`,
          correlation_id: `corr-${Math.floor(i / 3)}`,
          session_id: i % 2 ? "session-1" : null,
          timestamp,
          event_type: "request",
          actor: "agent-7",
          tool_name: i % 2 ? "filesystem" : null,
          action: "read_file",
          metadata: i % 4 ? JSON.stringify({ path: `/tmp/f${i}` }) : null,
          duration_ms: i % 5 ? i % 997 : null,
          status: "pending",
          error_message: null,
        });
      } else if (kind === 1) {
        file.toolCall({
          call_id: `call-${id}`,
          correlation_id: `corr-${Math.floor(i / 3)}`,
          session_id: "session-1",
          timestamp,
          tool_name: "filesystem",
          method: "read_file",
          parameters: JSON.stringify({ path: `/tmp/f${i}` }),
          result: i % 7 ? JSON.stringify({ bytes: i }) : null,
          error: i % 7 ? null : "ENOENT",
          duration_ms: 12,
          container_id: "c0ffee",
        });
      } else {
        file.decision({
          decision_id: `dec-${id}`,
          correlation_id: `corr-${Math.floor(i / 3)}`,
          session_id: null,
          timestamp,
          decision_type: "authorization",
          decision: i % 5 ? "allow" : "deny",
          reason: "policy p-1",
          context: JSON.stringify({ rule: "r1" }),
          tool_name: "filesystem",
          actor: "agent-7",
        });
      }
    }
  });
}
