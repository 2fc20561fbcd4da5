/**
 * The SIEM event: an audit event normalized for SIEMs, and the conversion to
 * it.
 *
 * @module
 */
import { type AuditEvent, normalizeTimestamp } from "./audit_event.ts";

/** How serious an event is, in the level names all three SIEMs know. */
export type Severity = "info" | "warning" | "error";

/** The default `source` of SIEM events. */
export const DEFAULT_SOURCE = "harombe";

/**
 * An audit event normalized for SIEMs: the audit event's fields (snake_case,
 * as on the wire), its timestamp as UTC ISO 8601 with milliseconds and a `Z`,
 * plus `source` and `severity`. {@linkcode toSIEMEvent} always writes the
 * properties in one order, so its JSON is stable.
 */
export interface SIEMEvent extends AuditEvent {
  /** What produced the event; default `"harombe"`. */
  source: string;
  /** How serious the event is. */
  severity: Severity;
  /**
   * The named producer whose ingest token the event came with: written by
   * the ingest, never taken from the event as sent (an event that has its
   * own `producer` key is refused as unknown; a claim inside `metadata`
   * stays content). Absent for events of the implicit producer `default`
   * (bare tokens, no tokens) and for events exported directly.
   */
  producer?: string | undefined;
  /**
   * The original `timestamp`, when the event was sent with the current time
   * because it was older than its platform takes (`agedEvents:
   * "send_as_now"`).
   */
  original_timestamp?: string | undefined;
}

/** Options of {@linkcode toSIEMEvent}. */
export interface ToSIEMEventOptions {
  /**
   * The `source` written on the event.
   *
   * @default {"harombe"}
   */
  source?: string | undefined;
  /**
   * The named producer the ingest authenticated the event's token as,
   * written as `producer`; absent when not given.
   */
  producer?: string | undefined;
}

/**
 * The severity of an audit event: `"error"` when its type or its status is
 * error, `"warning"` for a security decision, else `"info"`. This rule always
 * decides: a producer that sends its own `severity` (the Python component's
 * `SIEMEvent`) has it checked and replaced, so that one event gets the same
 * severity however it arrives.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { severityOf } from "@harombe/siem/exporters";
 *
 * assert.equal(
 *   severityOf({ event_type: "security_decision", status: "success" }),
 *   "warning",
 * );
 * ```
 *
 * @param event The event's type and status.
 * @returns Its severity.
 */
export function severityOf(
  event: Pick<AuditEvent, "event_type" | "status">,
): Severity {
  if (event.event_type === "error" || event.status === "error") return "error";
  if (event.event_type === "security_decision") return "warning";
  return "info";
}

const CANONICAL_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Normalizes a validated audit event for SIEMs. The result keeps the event's
 * fields and adds `source` and `severity`; `metadata` is shared, not copied.
 *
 * @example Converting an event
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAuditEvent } from "@harombe/siem";
 * import { toSIEMEvent } from "@harombe/siem/exporters";
 *
 * const siemEvent = toSIEMEvent(parseAuditEvent({
 *   correlation_id: "req-1",
 *   event_type: "error",
 *   actor: "agent-7",
 *   action: "run_shell",
 *   status: "error",
 *   error_message: "exit code 1",
 * }));
 * assert.equal(siemEvent.severity, "error");
 * ```
 *
 * @param event A validated audit event (see {@linkcode parseAuditEvent}).
 * @param options The `source` to write.
 * @returns The SIEM event.
 */
export function toSIEMEvent(
  event: AuditEvent,
  options?: ToSIEMEventOptions,
): SIEMEvent {
  const timestamp = CANONICAL_TIMESTAMP.test(event.timestamp)
    ? event.timestamp
    : normalizeTimestamp(event.timestamp);
  const siemEvent: SIEMEvent = {
    event_id: event.event_id,
    correlation_id: event.correlation_id,
    session_id: event.session_id,
    timestamp,
    event_type: event.event_type,
    actor: event.actor,
    tool_name: event.tool_name,
    action: event.action,
    metadata: event.metadata,
    duration_ms: event.duration_ms,
    status: event.status,
    error_message: event.error_message,
    source: options?.source ?? DEFAULT_SOURCE,
    severity: severityOf(event),
  };
  // Only when stamped: an unstamped event's JSON stays as it always was.
  if (options?.producer !== undefined) siemEvent.producer = options.producer;
  return siemEvent;
}
