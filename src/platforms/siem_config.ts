/**
 * The configuration of one SIEM destination: validating it
 * ({@linkcode parseSIEMConfig}) and reading its credentials
 * ({@linkcode configSecrets}). Its shape, defaults, schema and error live in
 * the `config_*.ts` files beside this one and are re-exported here, so that
 * a destination's configuration is imported from one module.
 *
 * @module
 */
import { SIEMConfigSchema } from "./config_schema.ts";
import { SIEMConfigError } from "./config_error.ts";
import type { SIEMConfig, SIEMConfigInput } from "./config_types.ts";
import { httpSecrets } from "./http_config.ts";
import { pemBody } from "./google_secops_config.ts";

export {
  type AgedEventPolicy,
  type Compression,
  DATADOG_MAX_EVENT_AGE_MS,
  DATADOG_MAX_REQUEST_BYTES,
  DEFAULT_INDEX,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BUFFERED_BYTES,
  type OverflowPolicy,
  WORKER_MAX_BUFFERED_BYTES,
} from "./config_defaults.ts";
export type {
  AwsSigningConfig,
  SIEMConfig,
  SIEMConfigInput,
} from "./config_types.ts";
export type {
  GoogleSecOpsConfig,
  GoogleSecOpsConfigInput,
  GoogleServiceAccountCredentials,
  GoogleServiceAccountKey,
} from "./google_secops_config.ts";
export { SIEMConfigSchema } from "./config_schema.ts";
export { SIEMConfigError } from "./config_error.ts";

/**
 * The brand of a {@linkcode ParsedSIEMConfig}. It exists only in the types
 * (no value carries it), so no code can write a parsed config by hand.
 *
 * @ignore
 */
export declare const parsedBrand: unique symbol;

/**
 * A destination config that {@linkcode parseSIEMConfig} validated and
 * filled: what the integrator, the spools and the exporters work on inside.
 * The brand is the proof: an object literal, or a copy with a field
 * changed, is not one and must be parsed first.
 */
export type ParsedSIEMConfig = SIEMConfig & { readonly [parsedBrand]: true };

// The configs the parser returned, so that passing one inward again does
// not parse it again (a brand exists only in the types).
const parsedConfigs = new WeakSet<object>();

function brand(config: SIEMConfig): ParsedSIEMConfig {
  parsedConfigs.add(config);
  return config as ParsedSIEMConfig;
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
export function parseSIEMConfig(input: SIEMConfigInput): ParsedSIEMConfig {
  const result = SIEMConfigSchema.safeParse(input);
  if (result.success) return brand(result.data);
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
 * A config as the code inside works on it: the same object when
 * {@linkcode parseSIEMConfig} made it, else the config parsed. The public
 * constructors take what the caller wrote and parse only what is not parsed
 * yet, so a config parsed at the edge is parsed once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOnce, parseSIEMConfig } from "./siem_config.ts";
 *
 * const parsed = parseSIEMConfig({ platform: "splunk", endpoint: "https://hec:8088" });
 * assert.equal(parseOnce(parsed), parsed);
 * ```
 *
 * @param config A config, parsed or as written.
 * @returns The parsed config.
 * @throws {SIEMConfigError} When a config not yet parsed is invalid.
 */
export function parseOnce(
  config: ParsedSIEMConfig | SIEMConfigInput,
): ParsedSIEMConfig {
  return parsedConfigs.has(config)
    ? config as ParsedSIEMConfig
    : parseSIEMConfig(config);
}

/**
 * The config of a destination whose events a store holds (a spool): its
 * in-memory byte bound lifted to the schema's largest, so that the few
 * batches it loads are never dead-lettered for the bound. Every other field
 * is the parsed config's, so nothing needs validating again.
 *
 * @param config The parsed config.
 * @returns A parsed copy with `maxBufferedBytes` at 2^36.
 */
export function withStoredBuffer(config: ParsedSIEMConfig): ParsedSIEMConfig {
  return brand({ ...config, maxBufferedBytes: 2 ** 36 });
}

/**
 * Every credential a destination config holds: the token (or OpenSearch
 * password), the AWS secret access key and session token, the Sentinel
 * client secret, the http destination's secret headers and URL parts, and a
 * Google service account's private key (as PEM and as bare base64). Each is
 * redacted from the platform's answers, reasons and logs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSIEMConfig } from "@harombe/siem";
 * import { configSecrets } from "@harombe/siem/exporters";
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
    config.sentinel?.clientSecret ?? "",
    ...(config.http ? httpSecrets(config.endpoint, config.http) : []),
    config.googleSecOps?.credentials.private_key ?? "",
    pemBody(config.googleSecOps?.credentials.private_key ?? ""),
  ].filter((secret) => secret !== "");
}
