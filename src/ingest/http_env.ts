/**
 * The `SIEM_HTTP_*` variables beyond the URL and the token: the http
 * destination's headers, framing and preset.
 *
 * @module
 */
import type { HttpOptionsInput } from "../platforms/http_config.ts";

/**
 * Reads `SIEM_HTTP_HEADERS` (a JSON object of header names to values; the
 * secret ones are redacted like tokens), `SIEM_HTTP_SECRET_HEADERS`
 * (comma-separated names of more secret headers), `SIEM_HTTP_FRAMING`
 * (`json_array` or `ndjson`), `SIEM_HTTP_PRESET` (`sumo_logic`) and
 * `SIEM_HTTP_SUMO_CATEGORY`, `SIEM_HTTP_SUMO_NAME`, `SIEM_HTTP_SUMO_HOST`.
 * The values are checked with the destination's config; an error here
 * never quotes a header value, which may be a credential.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { httpOptionsFromEnv } from "./http_env.ts";
 *
 * assert.deepEqual(
 *   httpOptionsFromEnv({ SIEM_HTTP_PRESET: "sumo_logic", SIEM_HTTP_SUMO_CATEGORY: "sec/audit" }),
 *   { preset: "sumo_logic", sumoCategory: "sec/audit" },
 * );
 * ```
 *
 * @param env The environment variables.
 * @returns The options set, or `undefined` when none is.
 * @throws {TypeError} When `SIEM_HTTP_HEADERS` is not a JSON object of strings.
 */
export function httpOptionsFromEnv(
  env: Record<string, string | undefined>,
): HttpOptionsInput | undefined {
  const options: HttpOptionsInput = {};
  const headers = env.SIEM_HTTP_HEADERS;
  if (headers) options.headers = parseHeaders(headers);
  const secret = env.SIEM_HTTP_SECRET_HEADERS;
  if (secret) {
    options.secretHeaders = secret.split(",").map((name) => name.trim())
      .filter(Boolean);
  }
  if (env.SIEM_HTTP_FRAMING) {
    options.framing = env.SIEM_HTTP_FRAMING as HttpOptionsInput["framing"];
  }
  if (env.SIEM_HTTP_PRESET) {
    options.preset = env.SIEM_HTTP_PRESET as HttpOptionsInput["preset"];
  }
  if (env.SIEM_HTTP_SUMO_CATEGORY) {
    options.sumoCategory = env.SIEM_HTTP_SUMO_CATEGORY;
  }
  if (env.SIEM_HTTP_SUMO_NAME) options.sumoName = env.SIEM_HTTP_SUMO_NAME;
  if (env.SIEM_HTTP_SUMO_HOST) options.sumoHost = env.SIEM_HTTP_SUMO_HOST;
  return Object.keys(options).length > 0 ? options : undefined;
}

function parseHeaders(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (
    typeof value !== "object" || value === null || Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== "string")
  ) {
    throw new TypeError(
      'SIEM_HTTP_HEADERS must be a JSON object of header names to string values, e.g. {"X-API-Key":"..."}',
    );
  }
  return value as Record<string, string>;
}
