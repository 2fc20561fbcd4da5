/**
 * The fields of an audit event: its shape as the caller writes it and once
 * validated, and the rules both the zod schema and the fast path share.
 *
 * @module
 */

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

// Every platform takes 1970-9999: before 1970 HEC's epoch seconds turn
// negative, and past 9999 there is no plain ISO 8601 form (toISOString gives
// "+010000-..."), which Elasticsearch's date parser refuses.
export const MIN_TIME = Date.parse("1970-01-01T00:00:00.000Z");
export const MAX_TIME = Date.parse("9999-12-31T23:59:59.999Z");

/** The severities a producer's normalized event may carry (see `SIEMEvent`). */
export const SEVERITIES = ["info", "warning", "error"] as const;

// Optional fields: absent, undefined or null (as Pydantic writes `None`) all
// mean absent, and the parsed event does not carry the key, so no SIEM ever
// gets a null.
export const OPTIONAL_FIELDS = [
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
export const PRODUCER_FIELDS = ["source", "severity"] as const;

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
