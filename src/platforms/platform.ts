/**
 * The SIEM platforms this module can deliver to.
 *
 * @module
 */

/**
 * The SIEM platforms a destination can be, as a const object so that both
 * `SIEMPlatform.Splunk` and the plain string `"splunk"` can be used.
 *
 * @example Naming a platform
 * ```ts
 * import assert from "node:assert/strict";
 * import { SIEMPlatform } from "@harombe/siem";
 *
 * const platform: SIEMPlatform = SIEMPlatform.Splunk;
 * assert.equal(platform, "splunk");
 * ```
 */
export const SIEMPlatform = {
  /** Splunk HTTP Event Collector (`/services/collector/event`). */
  Splunk: "splunk",
  /** Elasticsearch Bulk API (`/{index}/_bulk`). */
  Elasticsearch: "elasticsearch",
  /** Datadog Logs API v2 (`/api/v2/logs`). */
  Datadog: "datadog",
  /**
   * OpenSearch Bulk API (`/{index}/_bulk`): self-managed (Basic auth), Amazon
   * OpenSearch Service and Serverless (AWS SigV4).
   */
  OpenSearch: "opensearch",
  /**
   * Microsoft Sentinel through the Azure Monitor Logs Ingestion API
   * (`/dataCollectionRules/{id}/streams/{stream}`), with Entra tokens.
   */
  Sentinel: "sentinel",
  /**
   * A generic HTTP endpoint taking JSON arrays or NDJSON (webhooks, Cribl,
   * Logstash and Vector HTTP inputs, SOAR tools), with a Sumo Logic preset.
   */
  Http: "http",
  /**
   * Google Security Operations (Chronicle API `logs:import`), with a
   * service-account key.
   */
  GoogleSecOps: "google_secops",
} as const;

/** One of the SIEM platform names: `"splunk" | "elasticsearch" | "datadog" | "opensearch" | "sentinel" | "http" | "google_secops"`. */
export type SIEMPlatform = typeof SIEMPlatform[keyof typeof SIEMPlatform];

/** Every platform name, in a fixed order. */
export const SIEM_PLATFORMS: readonly SIEMPlatform[] = Object.freeze([
  SIEMPlatform.Splunk,
  SIEMPlatform.Elasticsearch,
  SIEMPlatform.Datadog,
  SIEMPlatform.OpenSearch,
  SIEMPlatform.Sentinel,
  SIEMPlatform.Http,
  SIEMPlatform.GoogleSecOps,
]);
