/**
 * The ingest app: a Hono app that takes audit events over HTTP (`POST
 * /events`) and hands them to the forwarder, with `/health`, `/stats`,
 * `/metrics` and the `/status` page. Import from `@harombe/siem/ingest`; runs on Deno, Bun, Node and
 * Cloudflare Workers.
 *
 * @module
 */
export {
  createIngestApp,
  type IngestAccepted,
  type IngestApp,
  type IngestAppOptions,
  type IngestExecutionContext,
} from "./app.ts";
export { type AcceptOptions, type IngestSink, integratorSink } from "./sink.ts";
export type { IngestRequestStats } from "./request_counts.ts";
export {
  type EventProblem,
  IngestError,
  type IngestErrorBody,
  type IngestErrorCode,
} from "./ingest_error.ts";
export {
  DEAD_LETTER_WINDOW_MS,
  type DestinationHealth,
  destinationHealth,
  type HealthOptions,
  type HealthReport,
  healthReport,
} from "./health.ts";
export { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.ts";
export {
  type ServerConfig,
  serverConfig,
  ServerConfigError,
  type ServerConfigFile,
} from "./server_config.ts";
export {
  type CheckedToken,
  checkProducerTokens,
  DEFAULT_PRODUCER,
  parseTokenList,
  type ProducerToken,
  ProducerTokens,
  type TokenMatch,
} from "./producer_tokens.ts";
export {
  checkQuotas,
  parseQuotas,
  type ProducerLimiter,
  producerLimiter,
  type ProducerQuota,
  type ProducerQuotas,
  type ProducerStats,
  renderProducerMetrics,
} from "./producer_quotas.ts";
export { reloadTokens } from "./token_reload.ts";
