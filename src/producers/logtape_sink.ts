/**
 * A LogTape sink that turns the records of an audit category into audit
 * events. Typed structurally: nothing here imports LogTape.
 *
 * @module
 */
import {
  AUDIT_EVENT_TYPES,
  type AuditEventInput,
  type AuditEventType,
} from "../events/audit_event.ts";
import type { AuditEventTarget } from "./audit_target.ts";
import { toJsonSafe } from "./json_safe.ts";

/**
 * The parts of LogTape's `LogRecord` the sink reads (LogTape 1.x and 2.x
 * records have them; see https://logtape.org/manual/struct).
 */
export interface LogTapeRecord {
  /** The logger's category, such as `["audit", "billing"]`. */
  readonly category: readonly string[];
  /** `"trace"`, `"debug"`, `"info"`, `"warning"`, `"error"` or `"fatal"`. */
  readonly level: string;
  /** The message: template parts at even indices, values at odd ones. */
  readonly message: readonly unknown[];
  /** The message template as written (a string, or a tagged template's parts). */
  readonly rawMessage: string | readonly string[];
  /** When it was logged, in epoch milliseconds. */
  readonly timestamp: number;
  /** The properties given with the message and the contexts around it. */
  readonly properties: Record<string, unknown>;
}

/** A LogTape sink: a function given every record the logger config routes to it. */
export type LogTapeSink = (record: LogTapeRecord) => void;

/** Options of {@linkcode auditSink}. */
export interface AuditSinkOptions {
  /** Where events go: a `SIEMIntegrator`, or anything with `exportEvent`. */
  integrator: AuditEventTarget;
  /**
   * The category prefix of the records that become events; other records
   * are ignored, so the sink may sit on the root logger.
   *
   * @default {["audit"]}
   */
  category?: readonly string[] | undefined;
  /**
   * The `event_type` of a record without a valid `event_type` property.
   * `"tool_call"` (an operation performed) has severity info; use
   * `"security_decision"` for allow/deny decisions (severity warning).
   *
   * @default {"tool_call"}
   */
  eventType?: AuditEventType | undefined;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);
const CORRELATION_KEYS = ["correlation_id", "correlationId", "requestId"];
// Properties that become the event's own fields (when of the right type)
// rather than metadata.
const STRING_FIELDS = [
  "session_id",
  "actor",
  "action",
  "status",
  "tool_name",
  "error_message",
] as const;
const LIFTED: ReadonlySet<string> = new Set([
  ...CORRELATION_KEYS,
  ...STRING_FIELDS,
  "event_type",
  "duration_ms",
]);

/**
 * Creates a LogTape sink that records the records of an audit category
 * (default `["audit"]` and below) as audit events, so that
 * `getLogger(["audit", "billing"]).info(...)` reaches the SIEMs.
 *
 * A record becomes an event this way:
 *
 * - `action`: the `action` property, else the message template as written
 *   (`"Refund {amount} granted"`, not the message with its values, so that
 *   a SIEM can count by action; a tagged template's parts are joined with
 *   `{}`).
 * - `metadata`: the other properties (copied as JSON data: dates as ISO
 *   strings, errors as `{ name, message }`), plus `message` (the rendered
 *   message), `level` and `category`, which win over properties of those
 *   names.
 * - `status`: the `status` property, else `"error"` for levels `error` and
 *   `fatal`, `"success"` otherwise.
 * - `correlation_id`: the `correlation_id`, `correlationId` or `requestId`
 *   property (set one per request with LogTape's `withContext`), else a
 *   random UUID.
 * - `actor`: the `actor` property, else the category below the prefix
 *   (`["audit", "billing"]` gives `"billing"`), else the category.
 * - `event_type`: the `event_type` property when it is one, else
 *   `eventType`; `session_id`, `tool_name`, `duration_ms` and
 *   `error_message` from properties of those names (`error_message` also from
 *   an `error` property holding an `Error`); `timestamp`: the record's.
 *
 * `exportEvent` only buffers, so logging never waits on a SIEM. What it
 * throws (a stopped integrator) is thrown to LogTape, which reports it on
 * its meta logger (`["logtape", "meta"]`).
 *
 * @example Audit records to the SIEMs, the rest to the console
 * ```ts
 * import assert from "node:assert/strict";
 * import type { AuditEventInput } from "@harombe/siem";
 * import { auditSink } from "@harombe/siem/logtape";
 *
 * const events: AuditEventInput[] = [];
 * const sink = auditSink({ integrator: { exportEvent: (e) => events.push(e) } });
 * // With LogTape: configure({ sinks: { siem: sink }, loggers: [...] }).
 * sink({
 *   category: ["audit", "billing"],
 *   level: "info",
 *   message: ["Refund ", 40, " granted"],
 *   rawMessage: "Refund {amount} granted",
 *   timestamp: Date.UTC(2026, 0, 31),
 *   properties: { amount: 40, actor: "alice" },
 * });
 * assert.equal(events[0]?.action, "Refund {amount} granted");
 * assert.equal(events[0]?.actor, "alice");
 * assert.deepEqual(events[0]?.metadata?.amount, 40);
 * ```
 *
 * @param options The event target and the category to record.
 * @returns The sink, for LogTape's `configure({ sinks })`.
 * @throws {TypeError} When `integrator` has no `exportEvent`, or
 * `eventType` is not an event type.
 */
export function auditSink(options: AuditSinkOptions): LogTapeSink {
  const { integrator } = options;
  if (typeof integrator?.exportEvent !== "function") {
    throw new TypeError(
      "Cannot create auditSink: 'integrator' must have an exportEvent method (a SIEMIntegrator)",
    );
  }
  const prefix = [...(options.category ?? ["audit"])];
  const eventType = options.eventType ?? "tool_call";
  if (!EVENT_TYPES.has(eventType)) {
    throw new TypeError(
      `Cannot create auditSink: 'eventType' must be one of ${
        AUDIT_EVENT_TYPES.join(", ")
      }: current value is ${JSON.stringify(eventType)}`,
    );
  }
  return function auditSink(record: LogTapeRecord): void {
    if (!hasPrefix(record.category, prefix)) return;
    integrator.exportEvent(toAuditEvent(record, prefix, eventType));
  };
}

function hasPrefix(
  category: readonly string[],
  prefix: readonly string[],
): boolean {
  if (category.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (category[i] !== prefix[i]) return false;
  }
  return true;
}

function toAuditEvent(
  record: LogTapeRecord,
  prefix: readonly string[],
  defaultType: AuditEventType,
): AuditEventInput {
  const properties = record.properties ?? {};
  const text = (key: string): string | undefined => {
    const value = properties[key];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const correlationKey = CORRELATION_KEYS.find((key) =>
    isLiftable(key, properties[key])
  );
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (key === correlationKey) continue;
    if (
      LIFTED.has(key) && !CORRELATION_KEYS.includes(key) &&
      isLiftable(key, value)
    ) continue;
    const copied = toJsonSafe(value);
    if (copied === undefined) continue;
    Object.defineProperty(metadata, key.toWellFormed(), {
      value: copied,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  metadata.message = renderMessage(record.message);
  metadata.level = record.level;
  metadata.category = [...record.category];

  const failed = record.level === "error" || record.level === "fatal";
  const below = record.category.slice(prefix.length).join(".");
  const type = properties.event_type;
  const duration = properties.duration_ms;
  const error = properties.error;
  const event: AuditEventInput = {
    correlation_id: correlationKey === undefined
      ? crypto.randomUUID()
      : properties[correlationKey] as string,
    timestamp: new Date(record.timestamp).toISOString(),
    event_type: typeof type === "string" && EVENT_TYPES.has(type)
      ? type as AuditEventType
      : defaultType,
    actor: text("actor") ?? (below || record.category.join(".") || "unknown"),
    action: text("action") ?? (templateOf(record.rawMessage) || "log"),
    metadata,
    status: text("status") ?? (failed ? "error" : "success"),
  };
  const session = text("session_id");
  if (session !== undefined && session.isWellFormed()) {
    event.session_id = session;
  }
  const tool = text("tool_name");
  if (tool !== undefined) event.tool_name = tool;
  if (Number.isSafeInteger(duration) && (duration as number) >= 0) {
    event.duration_ms = duration as number;
  }
  const message = text("error_message") ??
    (error instanceof Error ? error.message : undefined);
  if (message !== undefined) event.error_message = message;
  return event;
}

// Whether a property of a lifted name is taken as the event's own field;
// one of the wrong type stays in metadata, where nothing is lost.
function isLiftable(key: string, value: unknown): boolean {
  if (key === "duration_ms") {
    return Number.isSafeInteger(value) && (value as number) >= 0;
  }
  if (key === "event_type") {
    return typeof value === "string" && EVENT_TYPES.has(value);
  }
  return typeof value === "string" && value !== "" &&
    (key !== "session_id" && !CORRELATION_KEYS.includes(key) ||
      value.isWellFormed());
}

function templateOf(raw: string | readonly string[]): string {
  return typeof raw === "string" ? raw : raw.join("{}");
}

// As LogTape's own JSON Lines formatter renders a message: values as JSON
// (strings quoted), so that a value cannot pass for template text.
function renderMessage(parts: readonly unknown[]): string {
  let text = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i % 2 === 0) {
      text += String(part);
    } else {
      const copied = toJsonSafe(part);
      text += copied === undefined ? String(part) : JSON.stringify(copied);
    }
  }
  return text;
}
