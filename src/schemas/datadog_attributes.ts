/**
 * Datadog standard attributes of an event, for Datadog destinations with
 * `schema: "datadog"` (https://docs.datadoghq.com/standard-attributes/,
 * source: DataDog/documentation
 * `content/en/logs/log_configuration/attributes_naming_convention.md`):
 * `usr.id`, `evt.name`, `evt.outcome`, `duration` in nanoseconds and
 * `error.message` are what Datadog's facets, Cloud SIEM rules and the
 * default log views read. The reserved attributes (`status`, `service`,
 * `ddsource`, `timestamp`, `message`) stay in the log's envelope.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { outcomeOf } from "./outcome.ts";

const MAX_EXACT_NS_MS = 576_460_752_303;

/** An event's attributes in Datadog's standard names; the rest under `audit`. */
export interface DatadogAttributes {
  /** Who acted: `usr.id` is the event's `actor`. */
  usr: { id: string };
  /** `evt.name` is the action; `evt.outcome` success, failure or the raw status. */
  evt: { name: string; outcome: string };
  /** `duration_ms` in nanoseconds. */
  duration?: number;
  /** The error message. */
  error?: { message: string };
  /** What Datadog has no standard attribute for. */
  audit: {
    event_id: string;
    correlation_id: string;
    session_id?: string;
    event_type: string;
    tool_name?: string;
    status: string;
    original_timestamp?: string;
    duration_ms?: number;
    metadata: Record<string, unknown>;
  };
}

/**
 * The Datadog standard attributes of an event: `usr.id` (actor),
 * `evt.name` (action), `evt.outcome` (success/failure, else the raw
 * status), `duration` (ns), `error.message`; ids, type, tool, raw status and
 * metadata under `audit`. The event's time, severity and source travel in
 * the log's reserved `timestamp`, `status` and `ddsource`. A pure function.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAuditEvent } from "@harombe/siem";
 * import { toDatadogAttributes, toSIEMEvent } from "@harombe/siem/exporters";
 *
 * const attributes = toDatadogAttributes(toSIEMEvent(parseAuditEvent({
 *   correlation_id: "req-1",
 *   event_type: "tool_call",
 *   actor: "agent-7",
 *   action: "read_file",
 *   status: "success",
 *   duration_ms: 3,
 * })));
 * assert.equal(attributes.usr.id, "agent-7");
 * assert.equal(attributes.duration, 3_000_000);
 * ```
 *
 * @param event The SIEM event.
 * @returns Its attributes.
 */
export function toDatadogAttributes(event: SIEMEvent): DatadogAttributes {
  const outcome = outcomeOf(event);
  const attributes: DatadogAttributes = {
    usr: { id: event.actor },
    evt: {
      name: event.action,
      outcome: outcome === "unknown" ? event.status : outcome,
    },
    audit: {
      event_id: event.event_id,
      correlation_id: event.correlation_id,
      event_type: event.event_type,
      status: event.status,
      metadata: event.metadata,
    },
  };
  if (event.duration_ms !== undefined) {
    // Nanoseconds stay exact under 2^53 / 15625 ms (18 years); a longer
    // duration keeps its exact milliseconds under `audit`.
    if (event.duration_ms <= MAX_EXACT_NS_MS) {
      attributes.duration = event.duration_ms * 1_000_000;
    } else {
      attributes.audit.duration_ms = event.duration_ms;
    }
  }
  if (event.error_message !== undefined) {
    attributes.error = { message: event.error_message };
  }
  if (event.session_id !== undefined) {
    attributes.audit.session_id = event.session_id;
  }
  if (event.tool_name !== undefined) {
    attributes.audit.tool_name = event.tool_name;
  }
  if (event.original_timestamp !== undefined) {
    attributes.audit.original_timestamp = event.original_timestamp;
  }
  return attributes;
}
