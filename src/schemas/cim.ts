/**
 * The Splunk CIM field names of an event, for Splunk destinations with
 * `schema: "cim"`: the HEC `event` carries the Change data model's fields
 * (https://docs.splunk.com/Documentation/CIM/latest/User/Change), so that
 * Splunk Enterprise Security's searches over `Change` find the events once
 * a sourcetype tags them `change`. Splunk's own OCSF-CIM add-on maps OCSF
 * API Activity (6003) to Change with `change_type=api`
 * (https://splunk.github.io/ocsf_cim_addon_for_splunk/mappings/6003).
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { operationKindOf, outcomeOf, verdictOf } from "./outcome.ts";

/** The Change data model's prescribed `action` values an event maps to. */
export type CIMChangeAction = "created" | "read" | "modified" | "deleted";

/** An event with CIM Change field names (and its own fields CIM has no name for). */
export interface CIMChangeEvent {
  /** The normalised action: created, read, modified or deleted. */
  action: CIMChangeAction;
  /** Always `"api"`, as Splunk's OCSF add-on writes for API activity. */
  change_type: "api";
  /** The event's raw `action`. */
  command: string;
  /** The event's `actor`. */
  user: string;
  /** The tool acted on. */
  object?: string;
  /** `"tool"` when `object` is set. */
  object_category?: "tool";
  /** success or failure (absent when the status says neither). */
  status?: "success" | "failure";
  /** The error message, else a decision's `allowed`/`denied`. */
  result?: string;
  /** The event's raw `status`. */
  result_id: string;
  /** The event's `source`. */
  vendor_product: string;
  /** The event's own id (not a CIM field). */
  event_id: string;
  /** Not a CIM field. */
  correlation_id: string;
  /** Not a CIM field. */
  session_id?: string;
  /** The module's event type (not a CIM field). */
  event_type: string;
  /** The event's time (HEC's `time` carries it too). */
  timestamp: string;
  /** The original timestamp of an event sent as now. */
  original_timestamp?: string;
  /** Not a CIM field for Change. */
  severity: string;
  /** Not a CIM field for Change. */
  duration_ms?: number;
  /** The event's metadata, as JSON Splunk extracts at search time. */
  metadata: Record<string, unknown>;
  /**
   * The named producer the ingest stamped the event with (not a CIM field;
   * HEC's envelope carries it as the indexed field `producer` too).
   */
  producer?: string;
}

const ACTIONS: Record<string, CIMChangeAction> = {
  create: "created",
  read: "read",
  update: "modified",
  delete: "deleted",
  // A plain tool invocation reads: Change prescribes no "invoked".
  other: "read",
};

/**
 * The CIM Change fields of an event: `action` normalised from the action's
 * first word (created/read/modified/deleted; `read` for any other
 * invocation), `command` the raw action, `object` the tool, `status`
 * success/failure, `result` the error message or a decision's
 * allowed/denied, `result_id` the raw status, `vendor_product` the source.
 * Ids, type, severity, duration and metadata keep their own names. A pure
 * function.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAuditEvent } from "@harombe/siem";
 * import { toCIM, toSIEMEvent } from "@harombe/siem/exporters";
 *
 * const cim = toCIM(toSIEMEvent(parseAuditEvent({
 *   correlation_id: "req-1",
 *   event_type: "tool_call",
 *   actor: "agent-7",
 *   tool_name: "filesystem",
 *   action: "delete_file",
 *   status: "success",
 * })));
 * assert.equal(cim.action, "deleted");
 * assert.equal(cim.object, "filesystem");
 * ```
 *
 * @param event The SIEM event.
 * @returns Its CIM fields.
 */
export function toCIM(event: SIEMEvent): CIMChangeEvent {
  const outcome = outcomeOf(event);
  const doc: CIMChangeEvent = {
    action: ACTIONS[operationKindOf(event.action)] ?? "read",
    change_type: "api",
    command: event.action,
    user: event.actor,
    result_id: event.status,
    vendor_product: event.source,
    event_id: event.event_id,
    correlation_id: event.correlation_id,
    event_type: event.event_type,
    timestamp: event.timestamp,
    severity: event.severity,
    metadata: event.metadata,
  };
  if (event.tool_name !== undefined) {
    doc.object = event.tool_name;
    doc.object_category = "tool";
  }
  if (outcome !== "unknown") doc.status = outcome;
  const verdict = verdictOf(event);
  if (event.error_message !== undefined) doc.result = event.error_message;
  else if (verdict !== undefined && verdict !== "unknown") {
    doc.result = verdict;
  }
  if (event.session_id !== undefined) doc.session_id = event.session_id;
  if (event.duration_ms !== undefined) doc.duration_ms = event.duration_ms;
  if (event.original_timestamp !== undefined) {
    doc.original_timestamp = event.original_timestamp;
  }
  if (event.producer !== undefined) doc.producer = event.producer;
  return doc;
}
