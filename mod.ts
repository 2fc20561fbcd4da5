/**
 * Forwards security audit events to SIEM platforms: Splunk (HTTP Event
 * Collector), Elasticsearch (Bulk API) and Datadog (Logs API v2).
 *
 * Events are validated, normalized, buffered per destination and sent in
 * batches, with retries and exponential backoff, so that a SIEM that is
 * down, slow or refusing a token loses nothing. Web standards only
 * (`fetch`, `AbortSignal.timeout`, `CompressionStream`): it runs on Deno,
 * Bun, Node and Cloudflare Workers.
 *
 * @example Forwarding audit events
 * ```ts ignore
 * import { SIEMIntegrator } from "@harombe/siem";
 *
 * await using integrator = new SIEMIntegrator([
 *   { platform: "elasticsearch", endpoint: "https://es.example.com:9200", token: "api-key" },
 * ]);
 * integrator.exportEvent({
 *   correlation_id: "req-1",
 *   event_type: "tool_call",
 *   actor: "agent-7",
 *   action: "read_file",
 *   status: "success",
 * });
 * ```
 *
 * @module
 */
export {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  type AuditEventInput,
  type AuditEventIssue,
  AuditEventSchema,
  type AuditEventType,
  InvalidAuditEventError,
  MAX_EVENT_ID_BYTES,
  parseAuditEvent,
} from "./src/events/audit_event.ts";
export {
  DEFAULT_SOURCE,
  type Severity,
  severityOf,
  type SIEMEvent,
  toSIEMEvent,
  type ToSIEMEventOptions,
} from "./src/events/siem_event.ts";
export type { Schema, SchemaIssue, SchemaResult } from "./src/events/schema.ts";
export { SIEM_PLATFORMS, SIEMPlatform } from "./src/platforms/platform.ts";
export {
  type AgedEventPolicy,
  type AwsSigningConfig,
  type Compression,
  configSecrets,
  DATADOG_MAX_EVENT_AGE_MS,
  DATADOG_MAX_REQUEST_BYTES,
  DEFAULT_INDEX,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BUFFERED_BYTES,
  type OverflowPolicy,
  parseSIEMConfig,
  type SIEMConfig,
  SIEMConfigError,
  type SIEMConfigInput,
  SIEMConfigSchema,
  WORKER_MAX_BUFFERED_BYTES,
} from "./src/platforms/siem_config.ts";
export {
  Exporter,
  type PostOptions,
  type PostOutcome,
  type PreparedBatch,
  RequestAbortedError,
  type UnsignedRequest,
} from "./src/platforms/exporter.ts";
export type { EventFailure, ResponseVerdict } from "./src/platforms/verdict.ts";
export { SplunkExporter } from "./src/platforms/splunk.ts";
export { ElasticsearchExporter } from "./src/platforms/elasticsearch.ts";
export { OpenSearchExporter } from "./src/platforms/opensearch.ts";
export {
  DATADOG_MAX_EVENT_LEAD_MS,
  DATADOG_MAX_LOG_BYTES,
  DatadogExporter,
} from "./src/platforms/datadog.ts";
export { HttpExporter } from "./src/platforms/http.ts";
export {
  checkHttpConfig,
  HTTP_DEFAULT_MAX_BATCH_BYTES,
  type HttpConfigView,
  type HttpFraming,
  type HttpOptions,
  type HttpOptionsInput,
  type HttpPreset,
  httpSecrets,
  type ParsedHttpOptions,
  resolveHttpOptions,
  shownEndpoint,
  SUMO_MAX_REQUEST_BYTES,
  WELL_KNOWN_SECRET_HEADERS,
} from "./src/platforms/http_config.ts";
export { createExporter } from "./src/platforms/create_exporter.ts";
export { BodyWriter } from "./src/platforms/body_writer.ts";
export { type Clock, systemClock } from "./src/delivery/clock.ts";
export {
  backoffDelayMs,
  type BackoffSettings,
} from "./src/delivery/backoff.ts";
export { consoleLogger } from "./src/delivery/console_logger.ts";
export {
  type DeadLetter,
  type DestinationReport,
  type ExportResult,
  type Logger,
  type StopReport,
} from "./src/delivery/export_result.ts";
export type {
  DeliveryCounters,
  DestinationState,
  DestinationStats,
  IntegratorStats,
  RecentDeadLetter,
} from "./src/delivery/stats.ts";
export {
  type EnqueueReceipt,
  IntegratorStoppedError,
  SIEMIntegrator,
  type SIEMIntegratorOptions,
  type StopOptions,
} from "./src/delivery/integrator.ts";
