/**
 * The zod schema that validates a destination configuration and fills its
 * defaults.
 *
 * @module
 */
import { z } from "zod";
import type { Schema } from "../events/schema.ts";
import { readEndpoint } from "./endpoint.ts";
import { SIEM_PLATFORMS } from "./platform.ts";
import {
  DATADOG_MAX_EVENT_AGE_MS,
  DATADOG_MAX_REQUEST_BYTES,
  DEFAULT_INDEX,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BUFFERED_BYTES,
} from "./config_defaults.ts";
import type { SIEMConfig, SIEMConfigInput } from "./config_types.ts";
import {
  normalizeSentinel,
  refineSentinel,
  SentinelConfigSchema,
} from "./sentinel_config.ts";
import { schemasOf, SIEM_SCHEMAS } from "../schemas/siem_schema.ts";
import {
  checkHttpConfig,
  HttpOptionsSchema,
  resolveHttpOptions,
} from "./http_config.ts";
import {
  GOOGLE_SECOPS_MAX_REQUEST_BYTES,
  GoogleSecOpsSchema,
} from "./google_secops_config.ts";

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
    sentinel: SentinelConfigSchema.optional(),
    googleSecOps: GoogleSecOpsSchema.optional(),
    index: headerSafe.default(DEFAULT_INDEX),
    enabled: z.boolean().default(true),
    batchSize: int(1, 1000).default(50),
    maxConcurrentRequests: int(1, 16).default(1),
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
    schema: z.enum(SIEM_SCHEMAS, {
      error: `must be one of ${SIEM_SCHEMAS.join(", ")}`,
    }).default("native"),
    http: HttpOptionsSchema.optional(),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: "custom", path: [path], message });
    if (c.maxRetryDelayMs < c.retryDelayMs) {
      issue("maxRetryDelayMs", "must be at least retryDelayMs");
    }
    const schemas = schemasOf(c.platform);
    if (!schemas.includes(c.schema)) {
      issue(
        "schema",
        `${
          JSON.stringify(c.schema)
        } cannot be sent to ${c.platform}: use one of ${schemas.join(", ")}`,
      );
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
    if (c.platform === "google_secops") {
      if (c.googleSecOps === undefined) {
        issue(
          "googleSecOps",
          "must be set for google_secops (credentials, project, location, instance, logType)",
        );
      }
      if (c.token !== "") {
        issue(
          "token",
          "is not used by google_secops: the service-account key in googleSecOps.credentials signs in",
        );
      }
      if (
        c.maxBatchBytes !== undefined &&
        c.maxBatchBytes > GOOGLE_SECOPS_MAX_REQUEST_BYTES
      ) {
        issue(
          "maxBatchBytes",
          `must be at most ${GOOGLE_SECOPS_MAX_REQUEST_BYTES} for Google SecOps`,
        );
      }
    } else if (c.googleSecOps !== undefined) {
      issue("googleSecOps", "is for google_secops destinations only");
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
    refineSentinel(c, issue);
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
      (c.token !== "" || c.aws !== undefined || c.sentinel !== undefined ||
        c.googleSecOps !== undefined) &&
      !c.allowInsecureHttp &&
      !isLoopback(url.hostname)
    ) {
      issue(
        "endpoint",
        `must use https when ${
          c.aws
            ? "AWS credentials are"
            : c.sentinel
            ? "an Entra token is"
            : c.googleSecOps
            ? "a service-account key is"
            : "a token is"
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
    ...(c.sentinel ? { sentinel: normalizeSentinel(c.sentinel) } : {}),
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
