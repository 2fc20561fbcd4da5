/**
 * The schemas a destination can send events in, and which platform carries
 * which.
 *
 * @module
 */

/**
 * The schemas an event can be sent in: `"native"` is the module's own shape
 * ({@linkcode SIEMEvent}); the others are the standards the SIEMs' own
 * detection content reads.
 */
export const SIEM_SCHEMAS = [
  "native",
  "ecs",
  "ocsf",
  "cim",
  "datadog",
] as const;

/**
 * The schema a destination sends events in: `"native"` (the module's own
 * shape, the default), `"ecs"` (Elastic Common Schema 9.x: Elasticsearch,
 * OpenSearch), `"ocsf"` (OCSF 1.8 API Activity: every platform), `"cim"`
 * (Splunk CIM Change field names: Splunk) or `"datadog"` (Datadog standard
 * attributes: Datadog).
 */
export type SIEMSchema = typeof SIEM_SCHEMAS[number];

/**
 * The schemas a platform can carry. A platform carries a schema only where
 * its exporter maps it: Sentinel's rows must match the columns its data
 * collection rule declares, so it carries the native shape only; Google
 * SecOps' log type parser reads the native shape; and so does a platform not
 * listed here until its exporter maps another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { schemasOf } from "@harombe/siem/exporters";
 *
 * assert.deepEqual(schemasOf("splunk"), ["native", "ocsf", "cim"]);
 * ```
 *
 * @param platform The destination's platform.
 * @returns The schemas it can carry, `"native"` first.
 */
export function schemasOf(platform: string): readonly SIEMSchema[] {
  switch (platform) {
    case "elasticsearch":
    case "opensearch":
      return ["native", "ecs", "ocsf"];
    case "splunk":
      return ["native", "ocsf", "cim"];
    case "datadog":
      return ["native", "ocsf", "datadog"];
    case "http":
      // A generic receiver: a Logstash or Vector input feeding
      // Elasticsearch, a Security Lake or Cribl pipeline reading OCSF.
      return ["native", "ecs", "ocsf"];
    default:
      return ["native"];
  }
}
