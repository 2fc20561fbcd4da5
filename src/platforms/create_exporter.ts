/**
 * The exporter for a destination's platform.
 *
 * @module
 */
import { DatadogExporter } from "./datadog.ts";
import { ElasticsearchExporter } from "./elasticsearch.ts";
import { HttpExporter } from "./http.ts";
import type { Exporter } from "./exporter.ts";
import { GoogleSecOpsExporter } from "./google_secops.ts";
import { OpenSearchExporter } from "./opensearch.ts";
import { SentinelExporter } from "./sentinel.ts";
import { SplunkExporter } from "./splunk.ts";
import {
  type ParsedSIEMConfig,
  parseOnce,
  type SIEMConfigInput,
} from "./siem_config.ts";

/**
 * Creates the exporter for a destination's platform. The config is
 * validated first, unless {@linkcode parseSIEMConfig} made it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createExporter } from "@harombe/siem/exporters";
 *
 * const exporter = createExporter({
 *   platform: "elasticsearch",
 *   endpoint: "http://127.0.0.1:9200",
 * });
 * assert.equal(exporter.platform, "elasticsearch");
 * ```
 *
 * @param config The destination's configuration.
 * @returns Its exporter.
 * @throws {SIEMConfigError} When the config is invalid.
 */
export function createExporter(
  config: ParsedSIEMConfig | SIEMConfigInput,
): Exporter {
  const valid = parseOnce(config);
  switch (valid.platform) {
    case "splunk":
      return new SplunkExporter(valid);
    case "elasticsearch":
      return new ElasticsearchExporter(valid);
    case "datadog":
      return new DatadogExporter(valid);
    case "opensearch":
      return new OpenSearchExporter(valid);
    case "sentinel":
      return new SentinelExporter(valid);
    case "http":
      return new HttpExporter(valid);
    case "google_secops":
      return new GoogleSecOpsExporter(valid);
  }
}
