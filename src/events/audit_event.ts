/**
 * The audit event: what callers hand to the integrator, validated by a zod
 * schema.
 *
 * @module
 */
import { z } from "zod";
import type { Schema, SchemaResult } from "./schema.ts";
import { findNonJsonValue } from "./json_data.ts";

/** The kinds of audit event. */
export const AUDIT_EVENT_TYPES = [
  "request",
  "response",
  "error",
  "security_decision",
  "tool_call",
] as const;

/** One of the kinds of audit event. */
export type AuditEventType = typeof AUDIT_EVENT_TYPES[number];

/** The longest `event_id` accepted: Elasticsearch's and OpenSearch's `_id` limit. */
export const MAX_EVENT_ID_BYTES = 512;

const ISO_NO_OFFSET = /^[^Z+]*T[^Z+-]*$/;

/**
 * Turns a validated timestamp into UTC ISO 8601 with millisecond precision
 * and a `Z`. A string without an offset is read as UTC (as Python's naive
 * `datetime.utcnow().isoformat()` means it), never as the host's local time.
 */
export function normalizeTimestamp(value: Date | string): string {
  if (typeof value === "string") {
    return new Date(ISO_NO_OFFSET.test(value) ? value + "Z" : value)
      .toISOString();
  }
  return value.toISOString();
}

// Every platform takes 1970-9999: before 1970 HEC's epoch seconds turn
// negative, and past 9999 there is no plain ISO 8601 form (toISOString gives
// "+010000-..."), which Elasticsearch's date parser refuses.
const MIN_TIME = Date.parse("1970-01-01T00:00:00.000Z");
const MAX_TIME = Date.parse("9999-12-31T23:59:59.999Z");

const nonEmpty = z.string().min(1, "must not be empty");

const TimestampSchema = z.union([
  z.date().refine(
    (d) => d.getTime() >= MIN_TIME && d.getTime() <= MAX_TIME,
    "must be between years 1970 and 9999",
  ),
  z.iso.datetime({
    offset: true,
    local: true,
    error: "must be an ISO 8601 date-time such as 2026-01-31T12:00:00.000Z",
  }),
]).transform(normalizeTimestamp).pipe(
  z.string().refine(
    (iso) => /^\d{4}-/.test(iso) && iso >= "1970-01-01T00:00:00.000Z",
    "must fall between years 1970 and 9999 in UTC",
  ),
);

const MetadataSchema = z.custom<Record<string, unknown>>(
  (value) =>
    typeof value === "object" && value !== null && !Array.isArray(value),
  "must be an object",
).superRefine((value, ctx) => {
  let found;
  try {
    found = findNonJsonValue(value);
  } catch {
    // A proxy or exotic object that throws when read.
    found = { path: [], reason: "must be plain JSON data (reading it threw)" };
  }
  if (found) {
    ctx.addIssue({
      code: "custom",
      message: found.reason,
      path: found.path,
    });
  }
});

/** The zod schema behind {@linkcode AuditEventSchema} (for its tests). */
export const ZodAuditEvent = z
  .strictObject({
    event_id: nonEmpty.refine(
      (id) => new TextEncoder().encode(id).length <= MAX_EVENT_ID_BYTES,
      `must be at most ${MAX_EVENT_ID_BYTES} bytes`,
    ).default(() => crypto.randomUUID()),
    correlation_id: nonEmpty,
    session_id: z.string().optional(),
    timestamp: TimestampSchema.default(() => new Date().toISOString()),
    event_type: z.enum(AUDIT_EVENT_TYPES),
    actor: nonEmpty,
    tool_name: z.string().optional(),
    action: nonEmpty,
    metadata: MetadataSchema.default(() => ({})),
    duration_ms: z.number().int().min(0).optional(),
    status: nonEmpty,
    error_message: z.string().optional(),
  });

/**
 * The schema of an audit event (zod underneath, with a hand-checked fast
 * path for the common case that gives the same results).
 * (`event_id`, `timestamp`, `metadata`) and normalizes `timestamp` to UTC ISO
 * 8601 with milliseconds and a `Z`. Unknown fields are refused rather than
 * dropped, so that no audit data is lost without an error: put extra data in
 * `metadata`. `metadata` must be plain JSON data and is kept as given (keys
 * such as `__proto__` stay data).
 *
 * @example Validating an event
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuditEventSchema } from "@harombe/siem";
 *
 * const event = AuditEventSchema.parse({
 *   correlation_id: "req-1",
 *   event_type: "tool_call",
 *   actor: "agent-7",
 *   action: "read_file",
 *   status: "success",
 * });
 * // Filled with the current time, e.g. "2026-11-29T10:00:00.000Z".
 * assert.match(event.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
 * ```
 */
export const AuditEventSchema: Schema<AuditEvent, AuditEventInput> = {
  parse(input: unknown): AuditEvent {
    return fastParse(input) ?? ZodAuditEvent.parse(input) as AuditEvent;
  },
  safeParse(input: unknown): SchemaResult<AuditEvent> {
    const fast = fastParse(input);
    return fast
      ? { success: true, data: fast }
      : ZodAuditEvent.safeParse(input) as SchemaResult<AuditEvent>;
  },
};

const KEYS = new Set([
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
]);
const EVENT_TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);
const UTC_TIMESTAMP =
  /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$/;
const utf8 = new TextEncoder();

// The common case, checked by hand: a plain object whose fields are all
// clearly valid, with a UTC (`Z`) timestamp or none. It gives the same
// result as the zod schema (a property test holds them to it); anything
// else, invalid or merely unusual, returns undefined and zod decides, with
// its detailed issues.
function fastParse(input: unknown): AuditEvent | undefined {
  if (
    typeof input !== "object" || input === null ||
    Object.getPrototypeOf(input) !== Object.prototype
  ) return undefined;
  const o = input as Record<string, unknown>;
  for (const key in o) if (!KEYS.has(key)) return undefined;
  const { correlation_id, event_type, actor, action, status } = o;
  if (
    typeof correlation_id !== "string" || correlation_id === "" ||
    typeof actor !== "string" || actor === "" ||
    typeof action !== "string" || action === "" ||
    typeof status !== "string" || status === "" ||
    typeof event_type !== "string" || !EVENT_TYPES.has(event_type)
  ) return undefined;
  for (const key of ["session_id", "tool_name", "error_message"]) {
    if (o[key] !== undefined && typeof o[key] !== "string") return undefined;
  }
  const duration = o.duration_ms;
  if (
    duration !== undefined &&
    !(Number.isSafeInteger(duration) && (duration as number) >= 0)
  ) return undefined;
  const id = o.event_id;
  if (
    id !== undefined && (typeof id !== "string" || id === "" ||
      (id.length * 3 > MAX_EVENT_ID_BYTES &&
        utf8.encode(id).length > MAX_EVENT_ID_BYTES))
  ) return undefined;
  const timestamp = o.timestamp === undefined
    ? new Date().toISOString()
    : typeof o.timestamp === "string"
    ? fastTimestamp(o.timestamp)
    : undefined;
  if (timestamp === undefined) return undefined;
  const metadata = o.metadata === undefined ? {} : o.metadata;
  if (
    typeof metadata !== "object" || metadata === null || Array.isArray(metadata)
  ) return undefined;
  try {
    if (findNonJsonValue(metadata) !== undefined) return undefined;
  } catch {
    return undefined;
  }
  const event: AuditEvent = {
    event_id: id === undefined ? crypto.randomUUID() : id as string,
    correlation_id,
    ...("session_id" in o ? { session_id: o.session_id as string } : {}),
    timestamp,
    event_type: event_type as AuditEventType,
    actor,
    ...("tool_name" in o ? { tool_name: o.tool_name as string } : {}),
    action,
    metadata: metadata as Record<string, unknown>,
    ...("duration_ms" in o ? { duration_ms: duration as number } : {}),
    status,
    ...("error_message" in o
      ? { error_message: o.error_message as string }
      : {}),
  };
  return event;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// A `Z` timestamp in range, normalized; undefined for any other form.
function fastTimestamp(text: string): string | undefined {
  const match = UTC_TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, se, fraction] = match as unknown as string[];
  const year = Number(y), month = Number(mo), day = Number(d);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (
    year < 1970 || month < 1 || month > 12 || day < 1 ||
    day > (month === 2 && !leap ? 28 : DAYS[month - 1]!) ||
    Number(h) > 23 || Number(mi) > 59 || Number(se) > 59
  ) return undefined;
  if (fraction?.length === 3) return text;
  const millis = ((fraction ?? "") + "000").slice(0, 3);
  return `${text.slice(0, 19)}.${millis}Z`;
}

/**
 * An audit event as the caller writes it: `event_id`, `timestamp` and
 * `metadata` may be left out, and `timestamp` may be a `Date` or an ISO 8601
 * string.
 */
export interface AuditEventInput {
  /** Unique id of the event; default: `crypto.randomUUID()`. */
  event_id?: string | undefined;
  /** Id that ties together the events of one request or operation. */
  correlation_id: string;
  /** Id of the user or agent session, when there is one. */
  session_id?: string | undefined;
  /** When it happened; default: now. A string without an offset is UTC. */
  timestamp?: Date | string | undefined;
  /** What kind of event this is. */
  event_type: AuditEventType;
  /** Who acted: a user, service or agent id. */
  actor: string;
  /** The tool involved, for tool calls and decisions about tools. */
  tool_name?: string | undefined;
  /** What was done or decided. */
  action: string;
  /** Free-form JSON data about the event; default `{}`. */
  metadata?: Record<string, unknown> | undefined;
  /** How long it took, in whole milliseconds. */
  duration_ms?: number | undefined;
  /** The outcome: "success", "error", "pending" or another word. */
  status: "success" | "error" | "pending" | (string & Record<never, never>);
  /** The error's message, for failed events. */
  error_message?: string | undefined;
}

/** A validated audit event, with defaults filled and `timestamp` normalized. */
export interface AuditEvent {
  /** Unique id of the event. */
  event_id: string;
  /** Id that ties together the events of one request or operation. */
  correlation_id: string;
  /** Id of the user or agent session, when there is one. */
  session_id?: string | undefined;
  /** When it happened, as UTC ISO 8601 with milliseconds and a `Z`. */
  timestamp: string;
  /** What kind of event this is. */
  event_type: AuditEventType;
  /** Who acted. */
  actor: string;
  /** The tool involved, if any. */
  tool_name?: string | undefined;
  /** What was done or decided. */
  action: string;
  /** Free-form JSON data about the event. */
  metadata: Record<string, unknown>;
  /** How long it took, in whole milliseconds. */
  duration_ms?: number | undefined;
  /** The outcome: "success", "error", "pending" or another word. */
  status: string;
  /** The error's message, for failed events. */
  error_message?: string | undefined;
}

/** One reason an audit event was refused: where, and why. */
export interface AuditEventIssue {
  /** Path of the offending field, such as `"metadata.user.id"` or `"actor"`. */
  path: string;
  /** Why it was refused. */
  message: string;
}

/**
 * Thrown when an audit event does not match {@linkcode AuditEventSchema}. Its
 * message names every offending field and rule; `issues` has them as data.
 */
export class InvalidAuditEventError extends TypeError {
  /** Each offending field and its rule. */
  readonly issues: readonly AuditEventIssue[];

  /**
   * Creates the error from the issues found.
   *
   * @param issues Each offending field and its rule.
   */
  constructor(issues: readonly AuditEventIssue[]) {
    super(
      `Cannot accept audit event: ${
        issues.map((i) => `${i.path || "(event)"} ${i.message}`).join("; ")
      }`,
    );
    this.name = "InvalidAuditEventError";
    this.issues = issues;
  }
}

/**
 * Turns zod issues into `{ path, message }` pairs with dotted paths.
 *
 * @param issues The issues of a failed zod parse.
 * @returns One pair per issue.
 */
export function toIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): AuditEventIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/**
 * Validates an audit event and fills its defaults.
 *
 * @example Parsing one event
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAuditEvent } from "@harombe/siem";
 *
 * const event = parseAuditEvent({
 *   correlation_id: "req-1",
 *   event_type: "security_decision",
 *   actor: "policy-engine",
 *   action: "deny_tool",
 *   status: "success",
 *   timestamp: "2026-01-31T12:00:00+01:00",
 * });
 * assert.equal(event.timestamp, "2026-01-31T11:00:00.000Z");
 * ```
 *
 * @param input The event as written by the caller.
 * @returns The validated event.
 * @throws {InvalidAuditEventError} When a field is missing or breaks a rule.
 */
export function parseAuditEvent(input: unknown): AuditEvent {
  const result = AuditEventSchema.safeParse(input);
  if (!result.success) {
    throw new InvalidAuditEventError(toIssues(result.error.issues));
  }
  return result.data;
}
