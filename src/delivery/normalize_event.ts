/**
 * How an audit event handed to the integrator becomes the SIEM event every
 * destination buffers: validated, its metadata copied and checked against
 * what the enabled destinations can index, then normalized.
 *
 * @module
 */
import {
  type AuditEvent,
  type AuditEventInput,
  AuditEventSchema,
  InvalidAuditEventError,
  toIssues,
} from "../events/audit_event.ts";
import { copyJsonData } from "../events/json_data.ts";
import { type SIEMEvent, toSIEMEvent } from "../events/siem_event.ts";
import { metadataRefusal } from "../platforms/elasticsearch_mapping.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";

/**
 * Validates and normalizes one audit event.
 *
 * @param event The audit event.
 * @param enabledConfigs The configs of the enabled destinations.
 * @param source The `source` stamped on the event, if any.
 * @returns The SIEM event.
 * @throws {InvalidAuditEventError} When the event is invalid, or its
 * metadata is what an enabled destination can never index.
 */
export function normalizeEvent(
  event: AuditEventInput | AuditEvent,
  enabledConfigs: readonly SIEMConfig[],
  source: string | undefined,
): SIEMEvent {
  const result = AuditEventSchema.safeParse(event);
  if (!result.success) {
    throw new InvalidAuditEventError(toIssues(result.error.issues));
  }
  // Refused here, naming the field, rather than dead-lettered by an
  // Elasticsearch index after the caller has moved on.
  const refusal = metadataRefusal(enabledConfigs, result.data.metadata);
  if (refusal !== undefined) throw new InvalidAuditEventError([refusal]);
  return toSIEMEvent(
    { ...result.data, metadata: copyJsonData(result.data.metadata) },
    source === undefined ? undefined : { source },
  );
}

/**
 * Validates and normalizes a list of audit events, all or none: the issues
 * of the first invalid one carry its index in their paths.
 *
 * @param events The audit events.
 * @param enabledConfigs The configs of the enabled destinations.
 * @param source The `source` stamped on the events, if any.
 * @returns The SIEM events, in order.
 * @throws {InvalidAuditEventError} When an event is invalid.
 */
export function normalizeEvents(
  events: readonly (AuditEventInput | AuditEvent)[],
  enabledConfigs: readonly SIEMConfig[],
  source: string | undefined,
): SIEMEvent[] {
  return events.map((event, index) => {
    try {
      return normalizeEvent(event, enabledConfigs, source);
    } catch (error) {
      if (error instanceof InvalidAuditEventError) {
        throw new InvalidAuditEventError(
          error.issues.map((issue) => ({
            path: issue.path ? `${index}.${issue.path}` : String(index),
            message: issue.message,
          })),
        );
      }
      throw error;
    }
  });
}
