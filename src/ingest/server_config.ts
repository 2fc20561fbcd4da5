/**
 * The configuration of an ingest server, from environment variables and an
 * optional JSON file; shared by the Deno, Bun and Workers entry points.
 *
 * @module
 */
import type {
  AwsSigningConfig,
  SIEMConfigInput,
} from "../platforms/siem_config.ts";
import {
  hasSentinelEnv,
  sentinelFromEnv,
} from "../platforms/sentinel_config.ts";
import type { SIEMSchema } from "../schemas/siem_schema.ts";
import { httpOptionsFromEnv } from "./http_env.ts";
import { googleSecOpsFromEnv } from "./google_secops_env.ts";
import { ServerConfigError } from "./server_config_error.ts";

export { ServerConfigError } from "./server_config_error.ts";
import { parseTokenList, type ProducerToken } from "./producer_tokens.ts";
import { parseQuotas, type ProducerQuotas } from "./producer_quotas.ts";

/** What an ingest server needs to start. */
export interface ServerConfig {
  /** The SIEM destinations; empty means the local NDJSON file. */
  destinations: SIEMConfigInput[];
  /** Accepted ingest tokens: bare, or named producers' (see `ProducerToken`). */
  tokens: (string | ProducerToken)[];
  /** Serve without tokens (only behind other authentication). */
  allowUnauthenticated: boolean;
  /** Per-producer quotas (`"*"`: every producer not listed). */
  quotas?: ProducerQuotas | undefined;
  /** How often the Deno and Bun servers re-read the tokens, in ms, if set. */
  tokenReloadMs?: number | undefined;
  /** Port to listen on. */
  port: number;
  /** Address to listen on. */
  hostname: string;
  /** Largest request body in bytes, if set. */
  maxBodyBytes?: number | undefined;
  /** Most events per request, if set. */
  maxEventsPerRequest?: number | undefined;
  /** Where the local NDJSON file goes when no SIEM is configured. */
  dataDir: string;
  /** How long a graceful stop may go on delivering, in ms, if set. */
  stopTimeoutMs?: number | undefined;
  /** Where accepted events wait: a durable key-value spool, or memory. */
  spool: "kv" | "memory";
  /** The spool's store: a path, or `"default"` for the runtime's own (Deno Deploy's KV). */
  spoolPath?: string | undefined;
  /** Most events the spool holds per destination, if set. */
  maxSpooledEvents?: number | undefined;
  /** The spool's lease time, in ms, if set. */
  spoolLeaseMs?: number | undefined;
}

/** The JSON config file's shape (every field optional). */
export interface ServerConfigFile {
  /** SIEM destinations, as in `SIEMConfigInput`. */
  destinations?: SIEMConfigInput[];
  /** Accepted ingest tokens: bare, or `{name, token|sha256, notBefore?, expiresAt?}`. */
  ingestTokens?: (string | ProducerToken)[];
  /** Per-producer quotas by name (`"*"`: the others). */
  quotas?: ProducerQuotas;
  /** How often to re-read the tokens, in ms. */
  tokenReloadMs?: number;
  /** Serve without tokens. */
  allowUnauthenticated?: boolean;
  /** Port to listen on. */
  port?: number;
  /** Address to listen on. */
  hostname?: string;
  /** Largest request body in bytes. */
  maxBodyBytes?: number;
  /** Most events per request. */
  maxEventsPerRequest?: number;
  /** Directory of the local NDJSON file. */
  dataDir?: string;
  /** How long a graceful stop may go on delivering, in ms. */
  stopTimeoutMs?: number;
  /** `"kv"` (default) or `"memory"`. */
  spool?: "kv" | "memory";
  /** The spool's store path, or `"default"`. */
  spoolPath?: string;
  /** Most events the spool holds per destination. */
  maxSpooledEvents?: number;
  /** The spool's lease time, in ms. */
  spoolLeaseMs?: number;
}

// Each platform's variables: its prefix, and the name of the one that
// holds its credential (OpenSearch: the Basic password).
const PLATFORM_VARIABLES = [
  ["splunk", "SIEM_SPLUNK", "TOKEN"],
  ["elasticsearch", "SIEM_ELASTICSEARCH", "TOKEN"],
  ["datadog", "SIEM_DATADOG", "TOKEN"],
  ["opensearch", "SIEM_OPENSEARCH", "PASSWORD"],
  ["http", "SIEM_HTTP", "TOKEN"],
] as const;

/**
 * Builds the server configuration. Environment variables win over the file:
 *
 * | variable | meaning |
 * | --- | --- |
 * | `INGEST_TOKENS` | comma-separated ingest tokens, `name:token` or bare (producer `default`) |
 * | `INGEST_TOKENS_RELOAD_MS` | how often the Deno and Bun servers re-read the tokens from `SIEM_CONFIG_FILE` (also on SIGHUP) |
 * | `INGEST_QUOTAS` | a JSON object of per-producer quotas by name (wins over the file's `quotas`) |
 * | `INGEST_ALLOW_UNAUTHENTICATED` | `true` to serve without tokens |
 * | `PORT`, `HOSTNAME` | where to listen (default 8080, 127.0.0.1) |
 * | `SIEM_DESTINATIONS` | a JSON array of destination configs (wins over the file's `destinations`) |
 * | `SIEM_SPLUNK_URL`, `SIEM_SPLUNK_TOKEN`, `SIEM_SPLUNK_INDEX` | one Splunk HEC destination; completes and overrides a JSON destination named `splunk` |
 * | `SIEM_ELASTICSEARCH_URL`, `SIEM_ELASTICSEARCH_TOKEN`, `SIEM_ELASTICSEARCH_INDEX` | one Elasticsearch destination |
 * | `SIEM_ELASTICSEARCH_INDEX_TEMPLATE` | `true` once `deno task setup-index` installed the template (its `indexTemplate`) |
 * | `SIEM_DATADOG_URL`, `SIEM_DATADOG_TOKEN` | one Datadog destination |
 * | `SIEM_SPLUNK_SCHEMA`, `SIEM_ELASTICSEARCH_SCHEMA`, `SIEM_DATADOG_SCHEMA`, `SIEM_OPENSEARCH_SCHEMA` | the destination's `schema` (`native`, `ecs`, `ocsf`, `cim`, `datadog`; the platform must carry it) |
 * | `SIEM_OPENSEARCH_URL`, `SIEM_OPENSEARCH_USERNAME`, `SIEM_OPENSEARCH_PASSWORD`, `SIEM_OPENSEARCH_INDEX` | one OpenSearch destination (Basic auth) |
 * | `SIEM_OPENSEARCH_AWS_SERVICE` (`es` or `aoss`) with `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | sign the OpenSearch destination's requests with SigV4 (Amazon OpenSearch Service, Serverless) |
 * | `SIEM_SENTINEL_URL`, `SIEM_SENTINEL_TENANT_ID`, `SIEM_SENTINEL_CLIENT_ID`, `SIEM_SENTINEL_CLIENT_SECRET`, `SIEM_SENTINEL_DCR_ID` | one Microsoft Sentinel destination: the DCE (or DCR logs ingestion endpoint), the app registration and the DCR's immutable ID |
 * | `SIEM_SENTINEL_STREAM`, `SIEM_SENTINEL_AUTHORITY_HOST`, `SIEM_SENTINEL_SCOPE` | its stream (default `Custom-HarombeSecurity`), Entra login host and token scope (national clouds) |
 * | `SIEM_HTTP_URL`, `SIEM_HTTP_TOKEN` (sent as `Authorization: Bearer`) | one generic HTTP destination (webhook, Vector/Logstash HTTP input, Sumo Logic HTTP Source) |
 * | `SIEM_HTTP_HEADERS` (JSON object), `SIEM_HTTP_SECRET_HEADERS`, `SIEM_HTTP_FRAMING`, `SIEM_HTTP_PRESET`, `SIEM_HTTP_SUMO_CATEGORY`, `SIEM_HTTP_SUMO_NAME`, `SIEM_HTTP_SUMO_HOST` | its `http` options |
 * | `SIEM_GOOGLE_SECOPS_CREDENTIALS` (the service-account key file's JSON), `SIEM_GOOGLE_SECOPS_PROJECT`, `SIEM_GOOGLE_SECOPS_LOCATION`, `SIEM_GOOGLE_SECOPS_INSTANCE`, `SIEM_GOOGLE_SECOPS_LOG_TYPE`, `SIEM_GOOGLE_SECOPS_NAMESPACE`, `SIEM_GOOGLE_SECOPS_LABELS` (`key=value,…`), `SIEM_GOOGLE_SECOPS_URL` (default `https://chronicle.<location>.rep.googleapis.com`) | one Google SecOps destination; `SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE` names the key file instead (Deno and Bun servers) |
 * | `MAX_BODY_BYTES`, `MAX_EVENTS_PER_REQUEST` | request limits |
 * | `DATA_DIR` | directory of the local NDJSON file (default `./data`) |
 * | `STOP_TIMEOUT_MS` | how long a graceful stop may deliver (default 30000) |
 * | `SPOOL` | `kv` (durable, default) or `memory` |
 * | `SPOOL_PATH` | the KV store's path (default `<DATA_DIR>/spool.sqlite`; `default`: the runtime's own) |
 * | `MAX_SPOOLED_EVENTS`, `SPOOL_LEASE_MS` | spool bound per destination, lease time |
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverConfig } from "@harombe/siem/ingest";
 *
 * const config = serverConfig({
 *   INGEST_TOKENS: "token-0123456789abcdef",
 *   SIEM_SPLUNK_URL: "https://splunk.example.com:8088",
 *   SIEM_SPLUNK_TOKEN: "hec-token",
 * });
 * assert.equal(config.destinations[0]?.platform, "splunk");
 * ```
 *
 * @param env The environment variables.
 * @param file The parsed JSON config file, if any.
 * @returns The configuration.
 * @throws {ServerConfigError} When a value cannot be read.
 */
export function serverConfig(
  env: Record<string, string | undefined>,
  file: ServerConfigFile = {},
): ServerConfig {
  if (typeof file !== "object" || file === null || Array.isArray(file)) {
    throw new ServerConfigError("the config file must hold a JSON object");
  }
  const destinations: SIEMConfigInput[] = env.SIEM_DESTINATIONS
    ? parseDestinations(env.SIEM_DESTINATIONS)
    : [...(file.destinations ?? [])];
  for (const [platform, prefix, secret] of PLATFORM_VARIABLES) {
    const endpoint = env[`${prefix}_URL`];
    const token = env[`${prefix}_${secret}`];
    const index = env[`${prefix}_INDEX`];
    const template = env[`${prefix}_INDEX_TEMPLATE`];
    // Checked against the platform by the destination's own validation.
    const schema = env[`${prefix}_SCHEMA`];
    if (template !== undefined && template !== "true" && template !== "false") {
      throw new ServerConfigError(
        `${prefix}_INDEX_TEMPLATE must be true or false: current value is ${
          JSON.stringify(template)
        }`,
      );
    }
    const username = platform === "opensearch"
      ? env[`${prefix}_USERNAME`]
      : undefined;
    const awsService = platform === "opensearch"
      ? env[`${prefix}_AWS_SERVICE`]
      : undefined;
    let http;
    try {
      http = platform === "http" ? httpOptionsFromEnv(env) : undefined;
    } catch (error) {
      throw new ServerConfigError((error as Error).message);
    }
    if (
      !endpoint && !token && !index && !username && !awsService &&
      template === undefined && !schema && http === undefined
    ) continue;
    // The variables complete (and override) the JSON destination that has the
    // platform's default name, so that per-destination options can live in
    // SIEM_DESTINATIONS or the file while the URL and the secret come from
    // the environment.
    const at = destinations.findIndex((d) =>
      d.platform === platform && (d.name ?? d.platform) === platform
    );
    if (at === -1 && !endpoint) {
      throw new ServerConfigError(
        `${
          platform === "opensearch"
            ? `${prefix}_USERNAME, ${prefix}_PASSWORD, ${prefix}_INDEX, ${prefix}_INDEX_TEMPLATE, ${prefix}_SCHEMA or ${prefix}_AWS_SERVICE`
            : platform === "http"
            ? `${prefix}_TOKEN or another ${prefix}_ variable`
            : `${prefix}_TOKEN, ${prefix}_INDEX, ${prefix}_INDEX_TEMPLATE or ${prefix}_SCHEMA`
        } is set but there is no ${platform} destination: set ${prefix}_URL too, or add one named "${platform}" to SIEM_DESTINATIONS`,
      );
    }
    const config: SIEMConfigInput = at === -1
      ? { platform, endpoint: endpoint! }
      : { ...destinations[at]! };
    if (endpoint) config.endpoint = endpoint;
    if (token) config.token = token;
    if (index) config.index = index;
    if (template !== undefined) config.indexTemplate = template === "true";
    if (schema) config.schema = schema as SIEMSchema;
    if (username) config.username = username;
    if (awsService) config.aws = awsFromEnv(env, awsService, config.aws);
    if (http) {
      config.http = {
        ...config.http,
        ...http,
        headers: { ...config.http?.headers, ...http.headers },
      };
    }
    if (at === -1) destinations.push(config);
    else destinations[at] = config;
  }
  sentinelDestination(env, destinations);
  googleSecOpsFromEnv(env, destinations);
  const tokens = env.INGEST_TOKENS !== undefined
    ? parseTokenList(env.INGEST_TOKENS)
    : [...(file.ingestTokens ?? [])];
  return {
    destinations,
    tokens,
    quotas: env.INGEST_QUOTAS ? quotasFromEnv(env.INGEST_QUOTAS) : file.quotas,
    tokenReloadMs: integer(
      "INGEST_TOKENS_RELOAD_MS",
      env.INGEST_TOKENS_RELOAD_MS,
      file.tokenReloadMs,
    ),
    allowUnauthenticated: env.INGEST_ALLOW_UNAUTHENTICATED !== undefined
      ? env.INGEST_ALLOW_UNAUTHENTICATED === "true"
      : file.allowUnauthenticated === true,
    port: integer("PORT", env.PORT, file.port) ?? 8080,
    hostname: env.HOSTNAME ?? file.hostname ?? "127.0.0.1",
    maxBodyBytes: integer(
      "MAX_BODY_BYTES",
      env.MAX_BODY_BYTES,
      file.maxBodyBytes,
    ),
    maxEventsPerRequest: integer(
      "MAX_EVENTS_PER_REQUEST",
      env.MAX_EVENTS_PER_REQUEST,
      file.maxEventsPerRequest,
    ),
    dataDir: env.DATA_DIR ?? file.dataDir ?? "./data",
    stopTimeoutMs: integer(
      "STOP_TIMEOUT_MS",
      env.STOP_TIMEOUT_MS,
      file.stopTimeoutMs,
    ),
    spool: spoolKind(env.SPOOL ?? file.spool ?? "kv"),
    spoolPath: env.SPOOL_PATH || file.spoolPath,
    maxSpooledEvents: integer(
      "MAX_SPOOLED_EVENTS",
      env.MAX_SPOOLED_EVENTS,
      file.maxSpooledEvents,
    ),
    spoolLeaseMs: integer(
      "SPOOL_LEASE_MS",
      env.SPOOL_LEASE_MS,
      file.spoolLeaseMs,
    ),
  };
}

// The Sentinel destination of the SIEM_SENTINEL_* variables: like the
// other platforms', it completes (and overrides) a JSON destination named
// "sentinel", or is added when SIEM_SENTINEL_URL is set.
function sentinelDestination(
  env: Record<string, string | undefined>,
  destinations: SIEMConfigInput[],
): void {
  const endpoint = env.SIEM_SENTINEL_URL;
  if (!endpoint && !hasSentinelEnv(env)) return;
  const at = destinations.findIndex((d) =>
    d.platform === "sentinel" && (d.name ?? d.platform) === "sentinel"
  );
  if (at === -1 && !endpoint) {
    throw new ServerConfigError(
      'SIEM_SENTINEL_TENANT_ID, SIEM_SENTINEL_CLIENT_ID, SIEM_SENTINEL_CLIENT_SECRET, SIEM_SENTINEL_DCR_ID, SIEM_SENTINEL_STREAM, SIEM_SENTINEL_AUTHORITY_HOST or SIEM_SENTINEL_SCOPE is set but there is no sentinel destination: set SIEM_SENTINEL_URL too, or add one named "sentinel" to SIEM_DESTINATIONS',
    );
  }
  const config: SIEMConfigInput = at === -1
    ? { platform: "sentinel", endpoint: endpoint! }
    : { ...destinations[at]! };
  if (endpoint) config.endpoint = endpoint;
  const sentinel = sentinelFromEnv(env, config.sentinel);
  if (sentinel !== undefined) config.sentinel = sentinel;
  if (at === -1) destinations.push(config);
  else destinations[at] = config;
}

// SigV4 credentials from the variables the AWS SDKs read, over what the
// JSON destination has; left to the config's validation to name what is
// missing or wrong (never quoting a secret).
function awsFromEnv(
  env: Record<string, string | undefined>,
  service: string,
  from: AwsSigningConfig | undefined,
): AwsSigningConfig {
  const aws: AwsSigningConfig = {
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || from?.region || "",
    service: service as AwsSigningConfig["service"],
    accessKeyId: env.AWS_ACCESS_KEY_ID || from?.accessKeyId || "",
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY || from?.secretAccessKey || "",
  };
  const sessionToken = env.AWS_SESSION_TOKEN || from?.sessionToken;
  if (sessionToken) aws.sessionToken = sessionToken;
  return aws;
}

function quotasFromEnv(text: string): ProducerQuotas {
  try {
    return parseQuotas(text);
  } catch (error) {
    throw new ServerConfigError((error as Error).message);
  }
}

function spoolKind(value: string): "kv" | "memory" {
  if (value === "kv" || value === "memory") return value;
  throw new ServerConfigError(
    `SPOOL must be kv or memory: current value is ${
      JSON.stringify(value.slice(0, 20))
    }`,
  );
}

function parseDestinations(text: string): SIEMConfigInput[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ServerConfigError("SIEM_DESTINATIONS must be a JSON array");
  }
  if (!Array.isArray(value)) {
    throw new ServerConfigError("SIEM_DESTINATIONS must be a JSON array");
  }
  return value as SIEMConfigInput[];
}

function integer(
  name: string,
  fromEnv: string | undefined,
  fromFile: number | undefined,
): number | undefined {
  // An empty variable (`PORT=` in a compose file) means "not set".
  if (fromEnv === undefined || fromEnv.trim() === "") return fromFile;
  const value = /^\s*\d+\s*$/.test(fromEnv) ? Number(fromEnv) : NaN;
  if (!Number.isSafeInteger(value) || (name === "PORT" && value > 65535)) {
    throw new ServerConfigError(
      `${name} must be a whole number: current value is ${
        JSON.stringify(fromEnv.slice(0, 20))
      }`,
    );
  }
  return value;
}
