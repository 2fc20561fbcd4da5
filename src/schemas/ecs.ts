/**
 * The Elastic Common Schema (ECS 9.x) document of an event, for
 * Elasticsearch and OpenSearch destinations with `schema: "ecs"`: what
 * Elastic Security's rules, the SIEM app and the ECS dashboards read.
 *
 * Field definitions: https://www.elastic.co/docs/reference/ecs/ecs-field-reference
 * (`event.*` allowed values:
 * https://www.elastic.co/docs/reference/ecs/ecs-allowed-values-event-category),
 * checked in the tests against the `@elastic/ecs` package's flat field list.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { outcomeOf, verdictOf } from "./outcome.ts";

/** The ECS version the documents conform to. */
export const ECS_VERSION = "9.4.0";

/** An event as an ECS document (nested objects, as Elasticsearch stores them). */
export interface ECSDocument {
  /** The event's time. */
  "@timestamp": string;
  /** The ECS version. */
  ecs: { version: string };
  /** What happened. */
  event: {
    /** Always `"event"`: these are records, not detections. */
    kind: "event";
    /** Always `["api"]`. */
    category: ["api"];
    /** The event type within `api` (see {@linkcode toECS}). */
    type: [ECSEventType];
    /** The module's `event_type`. */
    code: string;
    /** The event's `action`. */
    action: string;
    /** success, failure or unknown. */
    outcome: "success" | "failure" | "unknown";
    /** The event's `event_id`. */
    id: string;
    /** The event's `source`. */
    provider: string;
    /** `duration_ms` in nanoseconds. */
    duration?: number;
  };
  /** The event's severity. */
  log: { level: string };
  /** Who acted. */
  user: { name: string };
  /** The tool involved. */
  gen_ai?: { tool: { name: string } };
  /** The error. */
  error?: { message: string };
  /** The correlation id, when it is a W3C trace id (32 hex digits). */
  trace?: { id: string };
  /** Ids and the raw status, which ECS has no field for (keywords). */
  labels: {
    correlation_id: string;
    session_id?: string;
    status: string;
    /** The named producer the ingest stamped the event with. */
    producer?: string;
  };
  /**
   * What ECS has no field for, under a field set of the producer's own
   * name: ECS reserves no vendor names, and this one never meets a future
   * ECS field.
   */
  harombe: {
    /** The event's metadata (one `flattened` field in the ECS template). */
    metadata: Record<string, unknown>;
    /** The original timestamp of an event sent as now. */
    original_timestamp?: string;
    /** A duration too long for `event.duration`'s nanoseconds, in ms. */
    duration_ms?: number;
  };
}

/** The `event.type` values an event maps to, all expected with category `api`. */
export type ECSEventType =
  | "start"
  | "end"
  | "access"
  | "allowed"
  | "denied"
  | "info";

// The longest duration in ms whose nanoseconds (ms × 2^6 × 15625) are an
// exact integer in a double: under 2^53 / 15625. A longer one (18 years)
// keeps its exact milliseconds in the custom namespace instead.
const MAX_EXACT_NS_MS = 576_460_752_303;
const W3C_TRACE_ID = /^[0-9a-f]{32}$/;

function eventTypeOf(event: SIEMEvent): ECSEventType {
  switch (event.event_type) {
    case "request":
      return "start";
    case "response":
      return "end";
    case "tool_call":
      return "access";
    case "security_decision": {
      const verdict = verdictOf(event);
      return verdict === "unknown" ? "info" : verdict ?? "info";
    }
    default:
      return "info";
  }
}

/**
 * The ECS document of an event. `event.category` is `api`, with
 * `event.type` `start` (request), `end` (response), `access` (tool call),
 * `allowed`/`denied` (security decision, by its status; `info` when the
 * status says neither) or `info` (error, with `event.outcome: failure`).
 * Fields ECS has no place for go to `labels` (ids, the raw status) and
 * `harombe.*` (metadata, an original timestamp). A pure function: the same
 * event always gives the same document.
 *
 * @example A denied tool call
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAuditEvent } from "@harombe/siem";
 * import { toECS, toSIEMEvent } from "@harombe/siem/exporters";
 *
 * const doc = toECS(toSIEMEvent(parseAuditEvent({
 *   correlation_id: "req-1",
 *   event_type: "security_decision",
 *   actor: "agent-7",
 *   tool_name: "shell",
 *   action: "deny_tool",
 *   status: "denied",
 * })));
 * assert.deepEqual(doc.event.type, ["denied"]);
 * assert.equal(doc.event.outcome, "failure");
 * assert.equal(doc.gen_ai?.tool.name, "shell");
 * ```
 *
 * @param event The SIEM event.
 * @returns Its ECS document.
 */
export function toECS(event: SIEMEvent): ECSDocument {
  const doc: ECSDocument = {
    "@timestamp": event.timestamp,
    ecs: { version: ECS_VERSION },
    event: {
      kind: "event",
      category: ["api"],
      type: [eventTypeOf(event)],
      code: event.event_type,
      action: event.action,
      outcome: outcomeOf(event),
      id: event.event_id,
      provider: event.source,
    },
    log: { level: event.severity },
    user: { name: event.actor },
    labels: { correlation_id: event.correlation_id, status: event.status },
    harombe: { metadata: event.metadata },
  };
  if (event.duration_ms !== undefined) {
    // ECS durations are nanoseconds.
    if (event.duration_ms <= MAX_EXACT_NS_MS) {
      doc.event.duration = event.duration_ms * 1_000_000;
    } else {
      doc.harombe.duration_ms = event.duration_ms;
    }
  }
  // A label, not `agent.name`: ECS's agent is the shipper (this forwarder),
  // and the producer is the authenticated sender, a keyword like the
  // other labels.
  if (event.producer !== undefined) doc.labels.producer = event.producer;
  if (event.tool_name !== undefined) {
    doc.gen_ai = { tool: { name: event.tool_name } };
  }
  if (event.error_message !== undefined) {
    doc.error = { message: event.error_message };
  }
  if (W3C_TRACE_ID.test(event.correlation_id)) {
    doc.trace = { id: event.correlation_id };
  }
  if (event.session_id !== undefined) {
    doc.labels.session_id = event.session_id;
  }
  if (event.original_timestamp !== undefined) {
    doc.harombe.original_timestamp = event.original_timestamp;
  }
  return doc;
}
