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
// Ids are compared on the server after it stored them as UTF-8, where a lone
// surrogate becomes U+FFFD: ids that differ only in one would collide (a real
// Elasticsearch answered 409 for the second and third of "x-\uD800",
// "x-\uDBFF", "x-\uFFFD", and kept one document).
const WELL_FORMED =
  "must be well-formed Unicode: a lone surrogate is stored as U+FFFD and can make two ids equal";
const wellFormedId = nonEmpty.refine((s) => s.isWellFormed(), WELL_FORMED);

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

/** The severities a producer's normalized event may carry (see `SIEMEvent`). */
const SEVERITIES = ["info", "warning", "error"] as const;

// Optional fields: absent, undefined or null (as Pydantic writes `None`) all
// mean absent, and the parsed event does not carry the key, so no SIEM ever
// gets a null.
const OPTIONAL_FIELDS = [
  "session_id",
  "tool_name",
  "duration_ms",
  "error_message",
] as const;

// A producer that already normalizes (the Python component's `SIEMEvent`)
// sends `source` and `severity` too. They are checked, then left out: the
// forwarder writes its own (`toSIEMEvent()`), so that one event gets the same
// severity whichever way it came in (posted as an AuditEvent, as a SIEMEvent,
// or imported from the audit database, which has no severity at all).
const PRODUCER_FIELDS = ["source", "severity"] as const;

function dropAbsent<T extends Record<string, unknown>>(event: T): T {
  for (const key of OPTIONAL_FIELDS) {
    if (event[key] === undefined || event[key] === null) delete event[key];
  }
  for (const key of PRODUCER_FIELDS) delete event[key];
  return event;
}

/** The zod schema behind {@linkcode AuditEventSchema} (for its tests). */
export const ZodAuditEvent = z
  .strictObject({
    event_id: wellFormedId.refine(
      (id) => new TextEncoder().encode(id).length <= MAX_EVENT_ID_BYTES,
      `must be at most ${MAX_EVENT_ID_BYTES} bytes`,
    ).default(() => crypto.randomUUID()),
    correlation_id: wellFormedId,
    session_id: z.string().refine((s) => s.isWellFormed(), WELL_FORMED)
      .nullish(),
    timestamp: TimestampSchema.default(() => new Date().toISOString()),
    event_type: z.enum(AUDIT_EVENT_TYPES),
    actor: nonEmpty,
    tool_name: z.string().nullish(),
    action: nonEmpty,
    metadata: MetadataSchema.nullish().transform((metadata) => metadata ?? {}),
    duration_ms: z.number().int().min(0).nullish(),
    status: nonEmpty,
    error_message: z.string().nullish(),
    source: z.string().nullish(),
    severity: z.enum(SEVERITIES).nullish(),
  })
  .transform(dropAbsent);

/**
 * The schema of an audit event (zod underneath, with a hand-checked fast
 * path for the common case that gives the same results). Fills the defaults
 * (`event_id`, `timestamp`, `metadata`) and normalizes `timestamp` to UTC ISO
 * 8601 with milliseconds and a `Z` (a timestamp without offset is UTC;
 * digits past the millisecond are cut, not rounded). An optional field given
 * as `null` (as Pydantic writes `None`) is absent, and `metadata: null` is
 * `{}`. A normalized event's `source` and `severity` are accepted and left
 * out (the forwarder writes its own). Unknown fields are refused rather than
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
  ...PRODUCER_FIELDS,
]);
const SEVERITY_NAMES: ReadonlySet<unknown> = new Set(SEVERITIES);
const EVENT_TYPES: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);
const TIMESTAMP =
  /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)?$/;
const utf8 = new TextEncoder();

// The common case, checked by hand: a plain object whose fields are all
// clearly valid, with a timestamp in Z, offset or naive (UTC) form, or none. It gives the same
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
    !correlation_id.isWellFormed() ||
    typeof actor !== "string" || actor === "" ||
    typeof action !== "string" || action === "" ||
    typeof status !== "string" || status === "" ||
    typeof event_type !== "string" || !EVENT_TYPES.has(event_type)
  ) return undefined;
  for (const key of ["session_id", "tool_name", "error_message", "source"]) {
    if (o[key] != null && typeof o[key] !== "string") return undefined;
  }
  if (
    typeof o.session_id === "string" && !o.session_id.isWellFormed()
  ) return undefined;
  if (o.severity != null && !SEVERITY_NAMES.has(o.severity)) return undefined;
  const duration = o.duration_ms;
  if (
    duration != null &&
    !(Number.isSafeInteger(duration) && (duration as number) >= 0)
  ) return undefined;
  const id = o.event_id;
  if (
    id !== undefined && (typeof id !== "string" || id === "" ||
      !id.isWellFormed() ||
      (id.length * 3 > MAX_EVENT_ID_BYTES &&
        utf8.encode(id).length > MAX_EVENT_ID_BYTES))
  ) return undefined;
  const timestamp = o.timestamp === undefined
    ? new Date().toISOString()
    : typeof o.timestamp === "string"
    ? fastTimestamp(o.timestamp)
    : undefined;
  if (timestamp === undefined) return undefined;
  const metadata = o.metadata == null ? {} : o.metadata;
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
    ...(o.session_id != null ? { session_id: o.session_id as string } : {}),
    timestamp,
    event_type: event_type as AuditEventType,
    actor,
    ...(o.tool_name != null ? { tool_name: o.tool_name as string } : {}),
    action,
    metadata: metadata as Record<string, unknown>,
    ...(duration != null ? { duration_ms: duration as number } : {}),
    status,
    ...(o.error_message != null
      ? { error_message: o.error_message as string }
      : {}),
  };
  return event;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// A timestamp in range, normalized: `Z`, an offset `+hh:mm`/`-hh:mm`, or
// none (UTC, as Python's naive `datetime.utcnow()` means it). Digits past the
// millisecond are cut, not rounded: as `Date` parses them and as Python's
// own `isoformat(timespec="milliseconds")` writes them, and so that an
// instant never moves into the next second (or day, or year). Undefined for
// any other form, and zod decides.
function fastTimestamp(text: string): string | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, se, fraction, zone] = match as unknown as string[];
  const year = Number(y), month = Number(mo), day = Number(d);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (
    year < 1970 || month < 1 || month > 12 || day < 1 ||
    day > (month === 2 && !leap ? 28 : DAYS[month - 1]!) ||
    Number(h) > 23 || Number(mi) > 59 || Number(se) > 59
  ) return undefined;
  const millis = ((fraction ?? "") + "000").slice(0, 3);
  if (zone === "Z" || zone === undefined) {
    if (zone === "Z" && fraction?.length === 3) return text;
    return `${text.slice(0, 19)}.${millis}Z`;
  }
  const offsetHours = Number(zone.slice(1, 3));
  const offsetMinutes = Number(zone.slice(4, 6));
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const sign = zone[0] === "-" ? -1 : 1;
  const time = Date.UTC(
    year,
    month - 1,
    day,
    Number(h),
    Number(mi),
    Number(se),
    Number(millis),
  ) - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  if (time < MIN_TIME || time > MAX_TIME) return undefined;
  return new Date(time).toISOString();
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
