/**
 * The configuration of one SIEM destination, validated by a zod schema.
 *
 * @module
 */
import { z } from "zod";
import type { Schema } from "../events/schema.ts";
import { readEndpoint } from "./endpoint.ts";
import {
  checkHttpConfig,
  HTTP_DEFAULT_MAX_BATCH_BYTES,
  type HttpOptions,
  type HttpOptionsInput,
  HttpOptionsSchema,
  httpSecrets,
  resolveHttpOptions,
} from "./http_config.ts";
import { SIEM_PLATFORMS, type SIEMPlatform } from "./platform.ts";

/** What happens to a new event when a destination's buffer is full. */
export type OverflowPolicy = "reject" | "drop_oldest";

/**
 * What happens to an event older than a platform takes: `"dead_letter"` it
 * with the reason, or `"send_as_now"`: send it with the current time as its
 * timestamp and the original in `original_timestamp`.
 */
export type AgedEventPolicy = "dead_letter" | "send_as_now";

/**
 * Datadog drops logs more than 18 hours old without an error
 * (https://docs.datadoghq.com/api/latest/logs/#send-logs); five minutes of
 * margin cover clock skew and the request's own time.
 */
export const DATADOG_MAX_EVENT_AGE_MS = 18 * 3_600_000 - 5 * 60_000;

/** How request bodies are encoded. */
export type Compression = "none" | "gzip";

/** The default index of every platform. */
export const DEFAULT_INDEX = "harombe-security";

/**
 * The default `maxBatchBytes` per platform: Splunk 1 MB (as Vector batches
 * HEC), Elasticsearch 5 MB (the elasticsearch-js bulk helper's `flushBytes`),
 * Datadog 4.25 MB (under the intake's 5 MB uncompressed limit, as Vector does).
 */
export const DEFAULT_MAX_BATCH_BYTES: Readonly<Record<SIEMPlatform, number>> =
  Object.freeze({
    splunk: 1_000_000,
    elasticsearch: 5_000_000,
    datadog: 4_250_000,
    // Under the 10 MiB request limit of the smallest Amazon OpenSearch
    // Service instances (next-destinations §3.4).
    opensearch: 5_000_000,
    http: HTTP_DEFAULT_MAX_BATCH_BYTES,
  });

/**
 * Datadog refuses requests over 5 MB uncompressed
 * (https://docs.datadoghq.com/api/latest/logs/#send-logs).
 */
export const DATADOG_MAX_REQUEST_BYTES = 5_000_000;

/**
 * The default `maxBufferedBytes`: 64 MiB of event JSON per destination. An
 * event buffered costs about 1 KB of heap beyond its JSON, so a server
 * holding a full buffer for each of three destinations needs a few hundred
 * MB at most.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * The `maxBufferedBytes` the Cloudflare Worker without a queue uses unless a
 * destination sets its own: 8 MiB, so that three full buffers stay well
 * inside a Worker isolate's 128 MB.
 */
export const WORKER_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

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
  /** Splunk index or Elasticsearch/OpenSearch index or data stream; default `"harombe-security"`. */
  index?: string | undefined;
  /** Whether events are sent to it; default true. */
  enabled?: boolean | undefined;
  /** Events per request, 1 to 1000; default 50. */
  batchSize?: number | undefined;
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
  /** Splunk index or Elasticsearch/OpenSearch index or data stream. */
  index: string;
  /** Whether events are sent to it. */
  enabled: boolean;
  /** Events per request. */
  batchSize: number;
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
}

const int = (min: number, max: number) =>
  z.number({ error: "must be a number" }).int("must be a whole number")
    .min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

// Values that end up in URLs or headers: no control characters (CR/LF would
// split a header), and short enough for any intake.
const WELL_FORMED = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
const headerSafe = z.string().min(1, "must not be empty").max(
  256,
  "must be at most 256 characters",
).regex(/^\P{Cc}+$/u, "must not contain control characters").regex(
  WELL_FORMED,
  "must be well-formed Unicode (no lone surrogate)",
);

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

// https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-indices-create
// (path parameter `index`): lowercase; none of \ / * ? " < > | space , #;
// not starting with - _ +; not . or ..; at most 255 bytes.
// Stricter than Elasticsearch in one way: `%` is refused too, so that no
// proxy that decodes twice can see a path segment in an index name.
const ES_INDEX = /^(?![-_+])(?:(?![\\/*?"<>| ,#:%])\P{Cc}){1,255}$/u;
// Splunk index names: lowercase letters, digits, underscores and hyphens,
// not starting with an underscore or hyphen.
const SPLUNK_INDEX = /^[a-z0-9][a-z0-9_-]{0,79}$/;
// Basic auth: "a user-id containing a colon character is invalid"
// (RFC 7617 §2); visible ASCII so that it encodes as is.
const BASIC_USER = /^[\x21-\x39\x3B-\x7E]{1,256}$/;
// "Named AWS Regions", e.g. us-east-1, us-gov-west-1, ap-southeast-5.
const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const VISIBLE_ASCII = /^[\x21-\x7E]+$/;
const DATADOG_TAG = /^(?:(?![\s,"\\])\P{Cc}){1,200}$/u;

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * The zod schema of a destination configuration: it fills the defaults and
 * enforces the bounds of every field. Prefer {@linkcode parseSIEMConfig},
 * which throws a {@linkcode SIEMConfigError} naming the field and the rule.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SIEMConfigSchema } from "@harombe/siem";
 *
 * const config = SIEMConfigSchema.parse({
 *   platform: "datadog",
 *   endpoint: "https://http-intake.logs.datadoghq.eu",
 *   token: "dd-api-key",
 * });
 * assert.equal(config.batchSize, 50);
 * ```
 */
export const SIEMConfigSchema: Schema<SIEMConfig, SIEMConfigInput> = z
  .strictObject({
    platform: z.enum(SIEM_PLATFORMS, {
      error: `must be one of ${SIEM_PLATFORMS.join(", ")}`,
    }),
    // Read against the platform below (readEndpoint).
    endpoint: z.url({
      protocol: /^https?$/,
      error: "must be an http or https URL",
    }),
    name: z.string().regex(
      NAME,
      "must be 1-64 letters, digits, or _ . : - starting with a letter or digit",
    ).optional(),
    // Credentials travel in HTTP headers, which carry visible ASCII only.
    token: z.string().regex(
      /^[\x21-\x7E]*$/,
      "must be visible ASCII characters without spaces (as an HTTP header value)",
    ).default(""),
    username: z.string().regex(
      BASIC_USER,
      "must be 1-256 visible ASCII characters without a colon (HTTP Basic auth)",
    ).optional(),
    aws: z.strictObject({
      region: z.string().regex(
        AWS_REGION,
        "must be an AWS region, e.g. eu-west-1",
      ),
      service: z.enum(["es", "aoss"], {
        error: "must be es (OpenSearch Service) or aoss (Serverless)",
      }),
      accessKeyId: z.string().regex(
        /^[A-Z0-9]{16,128}$/,
        "must be an AWS access key id (16-128 capital letters and digits)",
      ),
      // Sent in headers (the session token) or used as a key: never quoted.
      secretAccessKey: z.string().min(1, "must not be empty").max(
        256,
        "must be at most 256 characters",
      ).regex(VISIBLE_ASCII, "must be visible ASCII characters without spaces"),
      sessionToken: z.string().max(8192, "must be at most 8192 characters")
        .regex(
          VISIBLE_ASCII,
          "must be visible ASCII characters without spaces",
        ).optional(),
    }).optional(),
    index: headerSafe.default(DEFAULT_INDEX),
    enabled: z.boolean().default(true),
    batchSize: int(1, 1000).default(50),
    flushIntervalMs: int(100, 300_000).default(5000),
    maxRetries: int(0, 10).default(3),
    retryDelayMs: int(10, 60_000).default(1000),
    maxRetryDelayMs: int(10, 3_600_000).default(60_000),
    timeoutMs: int(1000, 120_000).default(10_000),
    maxBatchBytes: int(1024, 100_000_000).optional(),
    compression: z.enum(["none", "gzip"]).default("none"),
    maxBufferedEvents: int(1, 10_000_000).default(100_000),
    maxBufferedBytes: int(1024, 2 ** 36).default(DEFAULT_MAX_BUFFERED_BYTES),
    overflow: z.enum(["reject", "drop_oldest"]).default("reject"),
    host: headerSafe.optional(),
    sourcetype: headerSafe.default("harombe:security"),
    service: headerSafe.default("harombe"),
    tags: z.array(
      z.string().regex(
        DATADOG_TAG,
        "must be a tag without spaces, commas, quotes, backslashes or control characters",
      ),
    ).max(100, "must have at most 100 tags").default([]),
    allowInsecureHttp: z.boolean().default(false),
    maxEventAgeMs: int(60_000, 10 * 365 * 86_400_000).optional(),
    agedEvents: z.enum(["dead_letter", "send_as_now"]).default("dead_letter"),
    indexTemplate: z.boolean().default(false),
    http: HttpOptionsSchema.optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    if (c.maxRetryDelayMs < c.retryDelayMs) {
      issue("maxRetryDelayMs", "must be at least retryDelayMs");
    }
    if (c.maxBufferedEvents < c.batchSize) {
      issue("maxBufferedEvents", "must be at least batchSize");
    }
    if (
      c.platform === "datadog" && c.maxBatchBytes !== undefined &&
      c.maxBatchBytes > DATADOG_MAX_REQUEST_BYTES
    ) {
      issue(
        "maxBatchBytes",
        `must be at most ${DATADOG_MAX_REQUEST_BYTES} for Datadog`,
      );
    }
    if (
      (c.platform === "elasticsearch" || c.platform === "opensearch") &&
      !isEsIndex(c.index)
    ) {
      issue(
        "index",
        `must be an ${
          c.platform === "opensearch" ? "OpenSearch" : "Elasticsearch"
        } index name: lowercase, none of \\ / * ? " < > | , # : or space, not starting with - _ +, not . or ..`,
      );
    }
    if (c.platform !== "opensearch") {
      if (c.username !== undefined) {
        issue("username", "is for OpenSearch destinations only");
      }
      if (c.aws !== undefined) {
        issue("aws", "is for OpenSearch destinations only");
      }
    } else if (c.aws !== undefined) {
      if (c.token !== "" || c.username !== undefined) {
        issue(
          "aws",
          "signs the requests itself: set no token or username with it",
        );
      }
    } else if (c.username === undefined && c.token !== "") {
      issue(
        "username",
        "must be set with token (the password) for OpenSearch Basic auth",
      );
    } else if (c.username !== undefined && c.token === "") {
      issue(
        "token",
        "must be set (the password) with username for OpenSearch Basic auth",
      );
    }
    if (c.platform === "http") checkHttpConfig(c, issue);
    else if (c.http !== undefined) {
      issue("http", "is for http destinations only");
    }
    if (c.platform === "splunk" && !SPLUNK_INDEX.test(c.index)) {
      issue(
        "index",
        "must be a Splunk index name: lowercase letters, digits, _ and -, starting with a letter or digit",
      );
    }
    const url = URL.canParse(c.endpoint) ? new URL(c.endpoint) : undefined;
    // zod runs this even when the URL check failed: say nothing twice.
    const endpoint = url && /^https?:$/.test(url.protocol)
      ? readEndpoint(c.platform, c.endpoint, c.index)
      : undefined;
    if (endpoint && "problem" in endpoint) issue("endpoint", endpoint.problem);
    if (
      url && url.protocol === "http:" && c.platform !== "http" &&
      (c.token !== "" || c.aws !== undefined) &&
      !c.allowInsecureHttp &&
      !isLoopback(url.hostname)
    ) {
      issue(
        "endpoint",
        `must use https when ${
          c.aws ? "AWS credentials are" : "a token is"
        } set (set allowInsecureHttp to send it over plain http)`,
      );
    }
  })
  .transform(({ http, ...c }): SIEMConfig => ({
    ...c,
    name: c.name ?? c.platform,
    maxBatchBytes: c.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES[c.platform],
    ...(c.maxEventAgeMs === undefined && c.platform === "datadog"
      ? { maxEventAgeMs: DATADOG_MAX_EVENT_AGE_MS }
      : {}),
    ...(c.platform === "http"
      ? {
        http: resolveHttpOptions(http),
        // Sumo Logic asks for compressed data (its HTTP Source page).
        ...(http?.preset === "sumo_logic" ? { compression: "gzip" } : {}),
      }
      : {}),
  }))
  .transform((c): SIEMConfig => {
    const endpoint = readEndpoint(c.platform, c.endpoint, c.index);
    return "base" in endpoint ? { ...c, endpoint: endpoint.base } : c;
  });

function isEsIndex(index: string): boolean {
  return ES_INDEX.test(index) && index === index.toLowerCase() &&
    index !== "." && index !== ".." &&
    new TextEncoder().encode(index).length <= 255;
}

/** Thrown when a destination configuration is invalid; the message names each field and rule. */
export class SIEMConfigError extends TypeError {
  /** Each offending field and its rule. */
  readonly issues: readonly { path: string; message: string }[];

  /**
   * Creates the error.
   *
   * @param destination The destination's name or platform, for the message.
   * @param issues Each offending field and its rule.
   */
  constructor(
    destination: string,
    issues: readonly { path: string; message: string }[],
  ) {
    super(
      `Cannot use SIEM config ${destination}: ${
        issues.map((i) => `${i.path || "(config)"} ${i.message}`).join("; ")
      }`,
    );
    this.name = "SIEMConfigError";
    this.issues = issues;
  }
}

/**
 * Validates a destination configuration and fills its defaults.
 *
 * @example A config error names the field and the rule
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSIEMConfig } from "@harombe/siem";
 *
 * assert.throws(
 *   () => parseSIEMConfig({ platform: "splunk", endpoint: "https://hec:8088", batchSize: 5000 }),
 *   {
 *     name: "SIEMConfigError",
 *     message: 'Cannot use SIEM config "splunk": batchSize must be at most 1000',
 *   },
 * );
 * ```
 *
 * @param input The configuration as written by the caller.
 * @returns The validated configuration.
 * @throws {SIEMConfigError} When a field is missing, unknown or breaks a rule.
 */
export function parseSIEMConfig(input: SIEMConfigInput): SIEMConfig {
  const result = SIEMConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const raw = input as unknown as Record<string, unknown> | null;
  const label = typeof raw?.name === "string"
    ? raw.name
    : typeof raw?.platform === "string"
    ? raw.platform
    : "(unnamed)";
  throw new SIEMConfigError(
    JSON.stringify(label),
    result.error.issues.map((issue) => ({
      path: issue.path.map(String).join("."),
      message: issue.message,
    })),
  );
}

/**
 * Every credential a destination config holds: the token (or OpenSearch
 * password), and the AWS secret access key and session token. Each is
 * redacted from the platform's answers, reasons and logs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { configSecrets, parseSIEMConfig } from "@harombe/siem";
 *
 * const config = parseSIEMConfig({
 *   platform: "opensearch",
 *   endpoint: "https://search-audit.eu-west-1.es.amazonaws.com",
 *   aws: {
 *     region: "eu-west-1",
 *     service: "es",
 *     accessKeyId: "AKIAIOSFODNN7EXAMPLE",
 *     secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
 *   },
 * });
 * assert.deepEqual(configSecrets(config), [
 *   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
 * ]);
 * ```
 *
 * @param config A validated config.
 * @returns The non-empty credentials.
 */
export function configSecrets(config: SIEMConfig): string[] {
  return [
    config.token,
    config.aws?.secretAccessKey ?? "",
    config.aws?.sessionToken ?? "",
    ...(config.http ? httpSecrets(config.endpoint, config.http) : []),
  ].filter((secret) => secret !== "");
}
