/**
 * The fast path of audit event validation: the common event checked by
 * hand, without zod.
 *
 * @module
 */
import { findNonJsonValue } from "./json_data.ts";
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  type AuditEventType,
  MAX_EVENT_ID_BYTES,
  MAX_TIME,
  MIN_TIME,
  PRODUCER_FIELDS,
  SEVERITIES,
} from "./audit_event_fields.ts";

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
/** The event, validated and normalized, or `undefined` when zod must decide. */
export function fastParse(input: unknown): AuditEvent | undefined {
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
