/**
 * The OCSF 1.8.0 API Activity event (class_uid 6003) of an audit event, for
 * any destination with `schema: "ocsf"`: what Amazon Security Lake, the
 * OCSF add-ons of Splunk and Datadog, and vendor-neutral pipelines read.
 * Security decisions carry the `security_control` profile.
 *
 * Schema: https://schema.ocsf.io/1.8.0/classes/api_activity, from
 * https://github.com/ocsf/ocsf-schema at tag 1.8.0
 * (`events/application/api_activity.json`, `events/base_event.json`,
 * `profiles/security_control.json`, `dictionary.json`); the tests check the
 * documents against that definition, reproduced in
 * `tests/fixtures/ocsf/api_activity_1.8.0.json`.
 *
 * @module
 */
import type { SIEMEvent } from "../events/siem_event.ts";
import { operationKindOf, outcomeOf, verdictOf } from "./outcome.ts";

/** The OCSF version the events conform to. */
export const OCSF_VERSION = "1.8.0";

/** An audit event as an OCSF 1.8.0 API Activity event. */
export interface OCSFApiActivity {
  /** 1 Create, 2 Read, 3 Update, 4 Delete (by the action's first word), 99 Other. */
  activity_id: 1 | 2 | 3 | 4 | 99;
  /** The caption of `activity_id`. */
  activity_name: string;
  /** 6, Application. */
  category_uid: 6;
  /** `"Application"`. */
  category_name: "Application";
  /** 6003, API Activity. */
  class_uid: 6003;
  /** `"API Activity"`. */
  class_name: "API Activity";
  /** `class_uid * 100 + activity_id`. */
  type_uid: number;
  /** `"API Activity: <activity_name>"`. */
  type_name: string;
  /** The event's time, ms since the epoch. */
  time: number;
  /** 1 Informational (info), 3 Medium (warning), 4 High (error). */
  severity_id: 1 | 3 | 4;
  /** The caption of `severity_id`. */
  severity: string;
  /** 1 Success, 2 Failure, 99 Other (the raw status in `status`). */
  status_id: 1 | 2 | 99;
  /** The caption of `status_id`, or the raw status word for 99. */
  status: string;
  /** The event's raw `status`. */
  status_code: string;
  /** The error message. */
  status_detail?: string;
  /** `"<actor> <action>[ <tool>]: <status>"`. */
  message: string;
  /** `duration_ms`. */
  duration?: number;
  /** The record's own facts. */
  metadata: {
    /** The event's `event_id`. */
    uid: string;
    /** The event's `correlation_id`. */
    correlation_uid: string;
    /** The OCSF version. */
    version: string;
    /** What reported the event: its `source`. */
    product: { name: string };
    /** `["security_control"]` for a security decision. */
    profiles?: string[];
    /** The original timestamp of an event sent as now. */
    original_time?: string;
  };
  /** Who acted. */
  actor: { user: { name: string }; session?: { uid: string } };
  /** The operation. */
  api: {
    /** The event's `action`. */
    operation: string;
    /** The tool, as the service called. */
    service?: { name: string };
    /** The request, identified by the event's id. */
    request: { uid: string };
    /** The error of a failed operation. */
    response?: { error_message: string };
  };
  /** Where the activity came from: the producer named by `source`. */
  src_endpoint: {
    name: string;
    /** The named producer the ingest stamped the event with. */
    svc_name?: string;
  };
  /** security_control: 0 Unknown, 1 Allowed, 2 Denied. */
  action_id?: 0 | 1 | 2;
  /** The caption of `action_id`. */
  action?: string;
  /** security_control: 0 Unknown, 1 Allowed, 2 Blocked. */
  disposition_id?: 0 | 1 | 2;
  /** The caption of `disposition_id`. */
  disposition?: string;
  /** What OCSF has no attribute for: the event type and metadata. */
  unmapped: { event_type: string; metadata: Record<string, unknown> };
}

const ACTIVITIES = {
  create: [1, "Create"],
  read: [2, "Read"],
  update: [3, "Update"],
  delete: [4, "Delete"],
  other: [99, "Other"],
} as const;

const SEVERITIES = {
  info: [1, "Informational"],
  warning: [3, "Medium"],
  error: [4, "High"],
} as const;

/**
 * The OCSF API Activity event of an audit event. `api.operation` is the
 * action (its first word sets `activity_id`), `api.service.name` the tool;
 * severity maps info/warning/error to 1/3/4 (OCSF prescribes no scale for a
 * source's levels; this one keeps errors above decisions above the rest);
 * status words map to `status_id` 1/2, others to 99 with the word kept. A
 * security decision adds the `security_control` profile: `action_id` and
 * `disposition_id` 1 Allowed or 2 Denied/Blocked, by its status. The event
 * type and metadata go in `unmapped`. A pure function: the same event always
 * gives the same document.
 *
 * @example A denied tool call
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAuditEvent } from "@harombe/siem";
 * import { toOCSF, toSIEMEvent } from "@harombe/siem/exporters";
 *
 * const ocsf = toOCSF(toSIEMEvent(parseAuditEvent({
 *   correlation_id: "req-1",
 *   event_type: "security_decision",
 *   actor: "agent-7",
 *   tool_name: "shell",
 *   action: "deny_tool",
 *   status: "denied",
 * })));
 * assert.equal(ocsf.class_uid, 6003);
 * assert.equal(ocsf.action_id, 2);
 * assert.deepEqual(ocsf.metadata.profiles, ["security_control"]);
 * ```
 *
 * @param event The SIEM event.
 * @returns Its OCSF document.
 */
export function toOCSF(event: SIEMEvent): OCSFApiActivity {
  const [activityId, activityName] = ACTIVITIES[operationKindOf(event.action)];
  const [severityId, severity] = SEVERITIES[event.severity];
  const outcome = outcomeOf(event);
  const tool = event.tool_name === undefined ? "" : ` ${event.tool_name}`;
  const doc: OCSFApiActivity = {
    activity_id: activityId,
    activity_name: activityName,
    category_uid: 6,
    category_name: "Application",
    class_uid: 6003,
    class_name: "API Activity",
    type_uid: 600300 + activityId,
    type_name: `API Activity: ${activityName}`,
    time: Date.parse(event.timestamp),
    severity_id: severityId,
    severity,
    status_id: outcome === "success" ? 1 : outcome === "failure" ? 2 : 99,
    status: outcome === "success"
      ? "Success"
      : outcome === "failure"
      ? "Failure"
      : event.status,
    status_code: event.status,
    message: `${event.actor} ${event.action}${tool}: ${event.status}`,
    metadata: {
      uid: event.event_id,
      correlation_uid: event.correlation_id,
      version: OCSF_VERSION,
      product: { name: event.source },
    },
    actor: { user: { name: event.actor } },
    api: { operation: event.action, request: { uid: event.event_id } },
    src_endpoint: { name: event.source },
    unmapped: { event_type: event.event_type, metadata: event.metadata },
  };
  // The authenticated service the event came from: `svc_name` of the
  // source endpoint (OCSF 1.8 network_endpoint). `metadata.loggers` would
  // describe the forwarders between source and destination, not the
  // source itself.
  if (event.producer !== undefined) doc.src_endpoint.svc_name = event.producer;
  if (event.error_message !== undefined) {
    doc.status_detail = event.error_message;
    doc.api.response = { error_message: event.error_message };
  }
  if (event.duration_ms !== undefined) doc.duration = event.duration_ms;
  if (event.original_timestamp !== undefined) {
    doc.metadata.original_time = event.original_timestamp;
  }
  if (event.session_id !== undefined) {
    doc.actor.session = { uid: event.session_id };
  }
  if (event.tool_name !== undefined) {
    doc.api.service = { name: event.tool_name };
  }
  const verdict = verdictOf(event);
  if (verdict !== undefined) {
    doc.metadata.profiles = ["security_control"];
    const [id, action, disposition] = verdict === "allowed"
      ? [1, "Allowed", "Allowed"] as const
      : verdict === "denied"
      ? [2, "Denied", "Blocked"] as const
      : [0, "Unknown", "Unknown"] as const;
    doc.action_id = id;
    doc.action = action;
    doc.disposition_id = id;
    doc.disposition = disposition;
  }
  return doc;
}
