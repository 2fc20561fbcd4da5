/**
 * The exporters and their building blocks: one exporter per platform turns
 * a batch of {@linkcode SIEMEvent}s into the exact request body the platform
 * takes ({@linkcode Exporter.formatBatch}) and reads its answer
 * ({@linkcode Exporter.classify}). The `SIEMIntegrator` uses them; import
 * from `@harombe/siem/exporters` to see the bytes a destination sends, or to
 * send a batch without the integrator's buffering and retries.
 *
 * @example The body a Splunk destination sends
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAuditEvent, parseSIEMConfig } from "@harombe/siem";
 * import { SplunkExporter, toSIEMEvent } from "@harombe/siem/exporters";
 *
 * const exporter = new SplunkExporter(parseSIEMConfig({
 *   platform: "splunk",
 *   endpoint: "https://splunk.example.com:8088",
 *   token: "hec-token",
 * }));
 * const event = toSIEMEvent(parseAuditEvent({
 *   correlation_id: "req-1",
 *   event_type: "tool_call",
 *   actor: "agent-7",
 *   action: "read_file",
 *   status: "success",
 *   timestamp: "2026-01-31T12:00:00Z",
 * }));
 * const body = exporter.formatBatch([event]);
 * assert.match(body, /^\{"time":1769860800\b/);
 * ```
 *
 * @module
 */
export {
  Exporter,
  type PostOptions,
  type PostOutcome,
  type PreparedBatch,
  RequestAbortedError,
  type SignContext,
  type UnsignedRequest,
} from "./exporter.ts";
export type { EventFailure, ResponseVerdict } from "./verdict.ts";
export { SplunkExporter } from "./splunk.ts";
export { ElasticsearchExporter } from "./elasticsearch.ts";
export { OpenSearchExporter } from "./opensearch.ts";
export {
  DATADOG_MAX_EVENT_LEAD_MS,
  DATADOG_MAX_LOG_BYTES,
  DatadogExporter,
} from "./datadog.ts";
export {
  SENTINEL_API_VERSION,
  SENTINEL_COLUMNS,
  type SentinelColumn,
  type SentinelColumnType,
  SentinelExporter,
} from "./sentinel.ts";
export {
  DEFAULT_AUTHORITY_HOST,
  DEFAULT_SENTINEL_SCOPE,
  DEFAULT_SENTINEL_STREAM,
  SENTINEL_DEFAULT_MAX_BATCH_BYTES,
  SENTINEL_MAX_REQUEST_BYTES,
} from "./sentinel_config.ts";
export {
  EntraTokenCache,
  EntraTokenError,
  type TokenRequestOptions,
} from "./entra_token.ts";
export { HttpExporter } from "./http.ts";
export {
  HTTP_DEFAULT_MAX_BATCH_BYTES,
  SUMO_MAX_REQUEST_BYTES,
  WELL_KNOWN_SECRET_HEADERS,
} from "./http_config.ts";
export {
  GOOGLE_SECOPS_API_VERSION,
  GoogleSecOpsExporter,
  type GoogleSecOpsExporterOptions,
} from "./google_secops.ts";
export { createExporter } from "./create_exporter.ts";
export { schemasOf } from "../schemas/siem_schema.ts";
export {
  ECS_VERSION,
  type ECSDocument,
  type ECSEventType,
  toECS,
} from "../schemas/ecs.ts";
export { OCSF_VERSION, type OCSFApiActivity, toOCSF } from "../schemas/ocsf.ts";
export {
  type CIMChangeAction,
  type CIMChangeEvent,
  toCIM,
} from "../schemas/cim.ts";
export {
  type DatadogAttributes,
  toDatadogAttributes,
} from "../schemas/datadog_attributes.ts";
export { BodyWriter } from "./body_writer.ts";
export { configSecrets } from "./siem_config.ts";
export {
  severityOf,
  toSIEMEvent,
  type ToSIEMEventOptions,
} from "../events/siem_event.ts";
