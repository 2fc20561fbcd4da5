/**
 * How a row of each table becomes an audit event.
 *
 * - `audit_events`: field for field; `metadata` (JSON text, NULL when the
 *   logger had none) is parsed, NULL optional columns are left out.
 * - `tool_calls`: `event_type` "tool_call", `event_id` = `call_id`,
 *   `action` = `method` (or `tool_name` when empty), `actor` "system" (the
 *   table has no actor: the gateway ran the call, and the requesting agent
 *   is the actor of the request event with the same `correlation_id`, as
 *   the logger's own response events say), `status` "error" when `error` is
 *   set (its text in `error_message`) else "success"; `metadata` holds
 *   `parameters` and `result` (parsed) and `container_id`.
 * - `security_decisions`: `event_type` "security_decision", `event_id` =
 *   `decision_id`, `action` = `decision_type` (authorization, egress, ...),
 *   `status` = `decision` (allow, deny, require_confirmation, redacted);
 *   `metadata` holds `reason` and `context` (parsed).
 *
 * A row that does not make a valid event is refused with the reason.
 *
 * @module
 */
import {
  type AuditEvent,
  AuditEventSchema,
  toIssues,
} from "../../../events/audit_event.ts";
import type { Row, SqlValue } from "./reader.ts";
import { type TableName, TABLES } from "./tables.ts";
import type { StoredInstant } from "./timestamp.ts";

/** A row mapped: the event, or why the row cannot be one. */
export type Mapped = { event: AuditEvent } | { refused: string };

class Refusal extends Error {}

/** A row's columns by name. */
type Columns = Record<string, SqlValue>;

// Each table's column positions, to read a row by name.
const POSITIONS = new Map(
  TABLES.map((
    spec,
  ) => [spec.name, spec.columns.map((c, i) => [c, i] as const)]),
);

// Text columns keep text; SQLite's loose typing may hand a number.
function text(row: Columns, column: string): unknown {
  const value = row[column];
  return typeof value === "number" || typeof value === "bigint"
    ? String(value)
    : value;
}

function json(row: Columns, column: string): unknown {
  const value = row[column];
  if (typeof value !== "string") {
    throw new Refusal(`column ${column} is not JSON text`);
  }
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new Refusal(
      `column ${column} is not JSON: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
}

function number(value: SqlValue | undefined): unknown {
  return typeof value === "bigint" ? Number(value) : value;
}

// Leaves out NULL columns: an absent optional field, never a JSON null.
function optional(
  target: Record<string, unknown>,
  field: string,
  value: unknown,
): void {
  if (value !== null && value !== undefined) target[field] = value;
}

function fields(table: TableName, row: Columns): Record<string, unknown> {
  const common: Record<string, unknown> = {
    correlation_id: text(row, "correlation_id"),
  };
  optional(common, "session_id", text(row, "session_id"));
  if (table === "audit_events") {
    const metadata = row.metadata === null ? {} : json(row, "metadata");
    if (
      typeof metadata !== "object" || metadata === null ||
      Array.isArray(metadata)
    ) throw new Refusal("column metadata is not a JSON object");
    const event: Record<string, unknown> = {
      event_id: text(row, "event_id"),
      ...common,
      event_type: row.event_type,
      actor: text(row, "actor"),
      action: text(row, "action"),
      metadata,
      status: text(row, "status"),
    };
    optional(event, "tool_name", text(row, "tool_name"));
    optional(event, "duration_ms", number(row.duration_ms));
    optional(event, "error_message", text(row, "error_message"));
    return event;
  }
  if (table === "tool_calls") {
    const metadata: Record<string, unknown> = {
      parameters: json(row, "parameters"),
    };
    if (row.result !== null) metadata.result = json(row, "result");
    optional(metadata, "container_id", text(row, "container_id"));
    const error = text(row, "error");
    const event: Record<string, unknown> = {
      event_id: text(row, "call_id"),
      ...common,
      event_type: "tool_call",
      actor: "system",
      tool_name: text(row, "tool_name"),
      action: text(row, "method") || text(row, "tool_name"),
      metadata,
      status: error === null || error === undefined ? "success" : "error",
    };
    optional(event, "duration_ms", number(row.duration_ms));
    optional(event, "error_message", error);
    return event;
  }
  const metadata: Record<string, unknown> = { reason: text(row, "reason") };
  if (row.context !== null) metadata.context = json(row, "context");
  const event: Record<string, unknown> = {
    event_id: text(row, "decision_id"),
    ...common,
    event_type: "security_decision",
    actor: text(row, "actor"),
    action: text(row, "decision_type"),
    metadata,
    status: text(row, "decision"),
  };
  optional(event, "tool_name", text(row, "tool_name"));
  return event;
}

/**
 * Maps a row to an audit event (see the module's doc for each table).
 *
 * @example
 * ```ts ignore
 * const mapped = mapRow("tool_calls", row, readStoredTimestamp(row.timestamp));
 * ```
 *
 * @param table The row's table.
 * @param values The row's values, in the order of the table's `columns`.
 * @param instant Its timestamp, read; undefined when unreadable.
 * @returns The event, or the reason it was refused.
 */
export function mapRow(
  table: TableName,
  values: Row,
  instant: StoredInstant | undefined,
): Mapped {
  const row: Columns = {};
  for (const [column, at] of POSITIONS.get(table)!) row[column] = values[at]!;
  if (!instant) {
    return {
      refused: `timestamp ${
        JSON.stringify(row.timestamp)
      } is not an ISO 8601 date-time between years 1970 and 9999`,
    };
  }
  let input: Record<string, unknown>;
  try {
    input = fields(table, row);
  } catch (error) {
    if (error instanceof Refusal) return { refused: error.message };
    throw error;
  }
  if (input.event_id === null || input.event_id === undefined) {
    return { refused: "its primary key is NULL" };
  }
  input.timestamp = instant.iso;
  const result = AuditEventSchema.safeParse(input);
  if (!result.success) {
    return {
      refused: toIssues(result.error.issues).map((i) =>
        `${i.path || "(event)"} ${i.message}`
      ).join("; "),
    };
  }
  return { event: result.data };
}
