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
 * Exporters and their building blocks are at `@harombe/siem/exporters`; the
 * ingest app, the spools and the runtime entries at their own subpaths (see
 * `deno.json`).
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
  type SIEMEvent,
} from "./src/events/siem_event.ts";
export type { Schema, SchemaIssue, SchemaResult } from "./src/events/schema.ts";
export { SIEM_PLATFORMS, SIEMPlatform } from "./src/platforms/platform.ts";
export { SIEM_SCHEMAS, type SIEMSchema } from "./src/schemas/siem_schema.ts";
export {
  type AgedEventPolicy,
  type AwsSigningConfig,
  type Compression,
  DATADOG_MAX_EVENT_AGE_MS,
  DATADOG_MAX_REQUEST_BYTES,
  DEFAULT_INDEX,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BUFFERED_BYTES,
  type GoogleSecOpsConfig,
  type GoogleSecOpsConfigInput,
  type GoogleServiceAccountCredentials,
  type GoogleServiceAccountKey,
  type OverflowPolicy,
  type parsedBrand,
  type ParsedSIEMConfig,
  parseSIEMConfig,
  type SIEMConfig,
  SIEMConfigError,
  type SIEMConfigInput,
  SIEMConfigSchema,
} from "./src/platforms/siem_config.ts";
export type {
  SentinelConfig,
  SentinelConfigInput,
} from "./src/platforms/sentinel_config.ts";
export type {
  HttpFraming,
  HttpOptions,
  HttpOptionsInput,
  HttpPreset,
} from "./src/platforms/http_config.ts";
export type { Clock } from "./src/delivery/clock.ts";
export type { Logger } from "./src/delivery/logger.ts";
export type {
  DeadLetter,
  DestinationReport,
  ExportResult,
  StopReport,
} from "./src/delivery/export_result.ts";
export type {
  DeliveryCounters,
  DeliveryStats,
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
export type { AuditEventTarget } from "./src/producers/audit_target.ts";
