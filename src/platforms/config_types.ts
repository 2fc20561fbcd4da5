/**
 * The shape of one SIEM destination's configuration: as the caller writes
 * it ({@linkcode SIEMConfigInput}) and once validated ({@linkcode SIEMConfig}).
 *
 * @module
 */
import type { SIEMPlatform } from "./platform.ts";
import type { HttpOptions, HttpOptionsInput } from "./http_config.ts";
import type { SentinelConfig, SentinelConfigInput } from "./sentinel_config.ts";
import type { SIEMSchema } from "../schemas/siem_schema.ts";
import type {
  AgedEventPolicy,
  Compression,
  OverflowPolicy,
} from "./config_defaults.ts";
import type {
  GoogleSecOpsConfig,
  GoogleSecOpsConfigInput,
} from "./google_secops_config.ts";

/**
 * AWS Signature Version 4 for Amazon OpenSearch Service (`es`) and
 * OpenSearch Serverless (`aoss`). The secret access key and the session
 * token are credentials: they are redacted from every reason and log like
 * `token`.
 */
export interface AwsSigningConfig {
  /** The AWS region, e.g. `eu-west-1`. */
  region: string;
  /**
   * `"es"` for an Amazon OpenSearch Service domain, `"aoss"` for an
   * OpenSearch Serverless collection (events are sent without `_id` there:
   * a resent batch can be indexed twice).
   */
  service: "es" | "aoss";
  /** The access key id (`AKIA…`, or `ASIA…` for temporary credentials). */
  accessKeyId: string;
  /** The secret access key. */
  secretAccessKey: string;
  /** The session token of temporary (STS) credentials. */
  sessionToken?: string | undefined;
}

/** A destination's configuration as written by the caller: all but `platform` and `endpoint` have defaults. */
export interface SIEMConfigInput {
  /** Which SIEM this is. */
  platform: SIEMPlatform;
  /**
   * Base URL (http or https), e.g. `https://splunk.example.com:8088`, with
   * no query, fragment or credentials. The platform's full intake URL is
   * taken too and cut back to its base: Splunk
   * `/services/collector[/event[/1.0]]`, Datadog `/api/v2/logs`,
   * Elasticsearch and OpenSearch `/_bulk` or `/{index}/_bulk` for the configured index.
   * For `platform: "http"`, the receiver's full URL, query included.
   */
  endpoint: string;
  /** Unique name of the destination; default: the platform. */
  name?: string | undefined;
  /**
   * Splunk HEC token, Elasticsearch API key (the `encoded` value), Datadog
   * API key, OpenSearch password (with `username`, for Basic auth), or the
   * http destination's bearer token (`Authorization: Bearer <token>`).
   */
  token?: string | undefined;
  /** OpenSearch user for Basic auth, `token` being the password. */
  username?: string | undefined;
  /** OpenSearch on AWS: sign requests with SigV4 (no `token` or `username` then). */
  aws?: AwsSigningConfig | undefined;
  /** Sentinel: the Entra app registration, DCR and stream (no `token` then). */
  sentinel?: SentinelConfigInput | undefined;
  /** Google SecOps: the service-account key and where the logs go (required for `google_secops`, refused otherwise). */
  googleSecOps?: GoogleSecOpsConfigInput | undefined;
  /** Splunk index or Elasticsearch/OpenSearch index or data stream; default `"harombe-security"`. */
  index?: string | undefined;
  /** Whether events are sent to it; default true. */
  enabled?: boolean | undefined;
  /** Events per request, 1 to 1000; default 50. */
  batchSize?: number | undefined;
  /**
   * Requests in flight at once to this destination, 1 to 16; default 1.
   * Above 1, batches are sent while earlier ones wait for their answer,
   * which hides the round trip (a spool that is behind catches up faster),
   * and events may reach the SIEM in another order than they were accepted.
   */
  maxConcurrentRequests?: number | undefined;
  /** Longest wait of a buffered event before it is sent, 100 to 300000 ms; default 5000. */
  flushIntervalMs?: number | undefined;
  /** Retries of a failing request before the destination backs off, 0 to 10; default 3. */
  maxRetries?: number | undefined;
  /** Base of the exponential backoff, 10 to 60000 ms; default 1000. */
  retryDelayMs?: number | undefined;
  /** Cap of any backoff delay, from retryDelayMs to 3600000 ms; default 60000. */
  maxRetryDelayMs?: number | undefined;
  /** Time limit of one request, 1000 to 120000 ms; default 10000. */
  timeoutMs?: number | undefined;
  /** Largest uncompressed request body; default per platform (see {@linkcode DEFAULT_MAX_BATCH_BYTES}). */
  maxBatchBytes?: number | undefined;
  /** Request body encoding; default `"none"`. */
  compression?: Compression | undefined;
  /** Most events buffered for this destination, at least batchSize; default 100000. */
  maxBufferedEvents?: number | undefined;
  /**
   * Most bytes of event JSON buffered for this destination (counted on each
   * event's serialized size, a batch in flight included); the overflow
   * policy applies past it as past `maxBufferedEvents`. 1024..2^36; default
   * {@linkcode DEFAULT_MAX_BUFFERED_BYTES} (64 MiB) for servers; the
   * Cloudflare Worker without a queue defaults to
   * {@linkcode WORKER_MAX_BUFFERED_BYTES} (8 MiB).
   */
  maxBufferedBytes?: number | undefined;
  /** What a full buffer does with a new event; default `"reject"`. */
  overflow?: OverflowPolicy | undefined;
  /** Splunk `host` and Datadog `hostname`; default: none sent. */
  host?: string | undefined;
  /** Splunk `sourcetype`; default `"harombe:security"`. */
  sourcetype?: string | undefined;
  /** Datadog `service`; default `"harombe"`. */
  service?: string | undefined;
  /** Datadog tags (`key:value`), sent in `ddtags`; default none. */
  tags?: string[] | undefined;
  /** Allow sending a token over plain http to a host that is not loopback; default false. */
  allowInsecureHttp?: boolean | undefined;
  /**
   * Oldest event the platform takes, in ms; default: Datadog 18 h less 5 min
   * (it drops older logs silently), none for the others.
   */
  maxEventAgeMs?: number | undefined;
  /** What happens to an older event; default `"dead_letter"`. */
  agedEvents?: AgedEventPolicy | undefined;
  /**
   * Elasticsearch (and OpenSearch): whether the index uses the module's
   * index template (installed by `deno task setup-index`), whose `metadata`
   * is one `flattened` field that takes any metadata. Default false: the
   * index maps metadata dynamically, so an event whose metadata such a
   * mapping always refuses (nested deeper than 20 levels, an empty or
   * dotted-empty key, a number out of the long or float range, over 1000
   * fields) is refused when it is accepted, naming the field. Ignored by
   * other platforms.
   */
  indexTemplate?: boolean | undefined;
  /** `platform: "http"`: headers, framing, the Sumo Logic preset (see {@linkcode HttpOptionsInput}). */
  http?: HttpOptionsInput | undefined;
  /**
   * The schema events are sent in; default `"native"` (the module's own
   * shape). `"ecs"` for Elasticsearch and OpenSearch, `"cim"` for Splunk,
   * `"datadog"` for Datadog, `"ocsf"` for every platform (see
   * `schemasOf()`); a schema the platform cannot carry is refused.
   */
  schema?: SIEMSchema | undefined;
}

/** A validated destination configuration, every default filled. */
export interface SIEMConfig {
  /** Which SIEM this is. */
  platform: SIEMPlatform;
  /** Base URL as `URL` writes it, without the intake path or a trailing slash. */
  endpoint: string;
  /** Unique name of the destination. */
  name: string;
  /** The platform's credential (OpenSearch: the Basic password); `""` sends none. */
  token: string;
  /** OpenSearch user for Basic auth, if any. */
  username?: string | undefined;
  /** OpenSearch on AWS: the SigV4 signing parameters and credentials. */
  aws?: AwsSigningConfig | undefined;
  /** Sentinel: the Entra app registration, DCR and stream. */
  sentinel?: SentinelConfig | undefined;
  /** Google SecOps: the service-account key and where the logs go. */
  googleSecOps?: GoogleSecOpsConfig | undefined;
  /** Splunk index or Elasticsearch/OpenSearch index or data stream. */
  index: string;
  /** Whether events are sent to it. */
  enabled: boolean;
  /** Events per request. */
  batchSize: number;
  /** Requests in flight at once to this destination. */
  maxConcurrentRequests: number;
  /** Longest wait of a buffered event before it is sent, in ms. */
  flushIntervalMs: number;
  /** Retries of a failing request before the destination backs off. */
  maxRetries: number;
  /** Base of the exponential backoff, in ms. */
  retryDelayMs: number;
  /** Cap of any backoff delay, in ms. */
  maxRetryDelayMs: number;
  /** Time limit of one request, in ms. */
  timeoutMs: number;
  /** Largest uncompressed request body, in bytes. */
  maxBatchBytes: number;
  /** Request body encoding. */
  compression: Compression;
  /** Most events buffered for this destination. */
  maxBufferedEvents: number;
  /** Most bytes of event JSON buffered for this destination. */
  maxBufferedBytes: number;
  /** What a full buffer does with a new event. */
  overflow: OverflowPolicy;
  /** Splunk `host` and Datadog `hostname`, if any. */
  host?: string | undefined;
  /** Splunk `sourcetype`. */
  sourcetype: string;
  /** Datadog `service`. */
  service: string;
  /** Datadog tags. */
  tags: string[];
  /** Whether a token may go over plain http to a host that is not loopback. */
  allowInsecureHttp: boolean;
  /** Oldest event the platform takes, in ms, if it has a limit. */
  maxEventAgeMs?: number | undefined;
  /** What happens to an older event. */
  agedEvents: AgedEventPolicy;
  /** Whether the index uses the module's index template (Elasticsearch and OpenSearch). */
  indexTemplate: boolean;
  /** `platform: "http"`: its options, every default filled. */
  http?: HttpOptions | undefined;
  /** The schema events are sent in. */
  schema: SIEMSchema;
}
