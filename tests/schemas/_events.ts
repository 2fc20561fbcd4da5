/**
 * The table the schema tests share: one SIEM event per event type and
 * status, every optional field set.
 *
 * @module
 */
import { AUDIT_EVENT_TYPES } from "../../src/events/audit_event_fields.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";

/** The statuses the table covers: success, failure, decision words and one the mappings do not know. */
export const STATUSES = [
  "success",
  "error",
  "allowed",
  "denied",
  "pending",
] as const;

/** One case of the table. */
export interface EventCase {
  /** `<event_type>/<status>`. */
  name: string;
  /** The event. */
  event: SIEMEvent;
}

/**
 * Every event type with every status.
 *
 * @returns The cases.
 */
export function eventTable(): EventCase[] {
  return AUDIT_EVENT_TYPES.flatMap((eventType) =>
    STATUSES.map((status) => ({
      name: `${eventType}/${status}`,
      event: toSIEMEvent(parseAuditEvent({
        event_id: `evt-${eventType}-${status}`,
        correlation_id: "4bf92f3577b34da6a3ce929d0e0e4736",
        session_id: "sess-7",
        timestamp: "2026-01-31T12:00:00.123Z",
        event_type: eventType,
        actor: "agent-7",
        tool_name: "shell",
        action: "delete_file",
        metadata: { rule: "no-rm", depth: { n: 1 } },
        duration_ms: 12,
        status,
        error_message: status === "error" ? "exit code 1" : undefined,
      })),
    }))
  );
}
