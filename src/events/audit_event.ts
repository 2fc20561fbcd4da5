/**
 * The audit event: what callers hand to the integrator, validated by a zod
 * schema (with a hand-checked fast path for the common case). Its fields
 * and error live in the `audit_event_*.ts` files beside this one and are
 * re-exported here, so that the event is imported from one module.
 *
 * @module
 */
import { z } from "zod";
import type { Schema, SchemaResult } from "./schema.ts";
import { findNonJsonValue } from "./json_data.ts";
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  type AuditEventInput,
  MAX_EVENT_ID_BYTES,
  MAX_TIME,
  MIN_TIME,
  OPTIONAL_FIELDS,
  PRODUCER_FIELDS,
  SEVERITIES,
} from "./audit_event_fields.ts";
import { fastParse } from "./audit_event_fast_parse.ts";
import { InvalidAuditEventError, toIssues } from "./audit_event_error.ts";

export {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  type AuditEventInput,
  type AuditEventType,
  MAX_EVENT_ID_BYTES,
} from "./audit_event_fields.ts";
export {
  type AuditEventIssue,
  InvalidAuditEventError,
  toIssues,
} from "./audit_event_error.ts";

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
