/**
 * Reading a destination's `endpoint`: a base URL, or a platform's full
 * intake URL, which is cut back to its base so that the path is not doubled.
 *
 * @module
 */
import type { SIEMPlatform } from "./platform.ts";

/** A base URL, or why the endpoint cannot be used and which base URL to give. */
export type EndpointReading = { base: string } | { problem: string };

// The paths each exporter appends to the base URL (see each exporter's `url`),
// and the other forms of the same intake a user may copy from the docs.
// https://docs.splunk.com/Documentation/Splunk/latest/Data/UsetheHTTPEventCollector
const SPLUNK_PATHS = [
  "/services/collector/event/1.0",
  "/services/collector/event",
  "/services/collector",
];
// https://docs.datadoghq.com/api/latest/logs/#send-logs
const DATADOG_PATHS = ["/api/v2/logs"];

/**
 * Reads an endpoint as `URL` does and returns its base URL (origin and path
 * prefix, no trailing slash). A full intake URL is accepted and cut back to
 * its base: Splunk `/services/collector[/event[/1.0]]`, Datadog
 * `/api/v2/logs`, Elasticsearch and OpenSearch `/_bulk` or `/{index}/_bulk`
 * (for the configured `index`). A query, a fragment (even an empty `?` or `#`),
 * credentials, or a path that names another intake (HEC `raw`, Datadog
 * `/v1/input`, another index's `_bulk`) is refused with the base URL to give instead.
 *
 * @param platform The destination's platform.
 * @param endpoint The endpoint as written by the caller (an http(s) URL).
 * @param index The destination's index (Elasticsearch and OpenSearch `/{index}/_bulk`).
 * @returns The base URL, or the problem.
 */
export function readEndpoint(
  platform: SIEMPlatform,
  endpoint: string,
  index: string,
): EndpointReading {
  if (!URL.canParse(endpoint)) {
    return { problem: "must be an http or https URL" };
  }
  const url = new URL(endpoint);
  // A generic HTTP receiver's URL is used whole, query included (checked
  // by checkHttpConfig).
  if (platform === "http") return { base: url.href };
  const path = url.pathname.replace(/\/+$/, "");
  const intake = intakePath(platform, path, index);
  const prefix = intake
    ? path.slice(0, path.length - intake.path.length)
    : path;
  const base = `${url.origin}${prefix.replace(/\/+$/, "")}`;
  // `URL` reads "https://h/?" and "https://h/#" as an empty query and
  // fragment: look at the text too, where any ? or # is a delimiter.
  if (
    url.search !== "" || url.hash !== "" || /[?#]/.test(endpoint) ||
    /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(endpoint)
  ) {
    return {
      problem:
        `must have no query, fragment or credentials: give the base URL, e.g. "${base}"`,
    };
  }
  if (intake?.problem) {
    return { problem: `${intake.problem}: give the base URL, e.g. "${base}"` };
  }
  return { base };
}

/** The intake path an endpoint ends with, and why it cannot be used, if so. */
interface IntakePath {
  path: string;
  problem?: string | undefined;
}

// The intake path the endpoint ends with: one the exporter appends itself
// (cut off), one of another intake (a problem), or none.
function intakePath(
  platform: SIEMPlatform,
  path: string,
  index: string,
): IntakePath | undefined {
  const lower = path.toLowerCase();
  switch (platform) {
    case "splunk": {
      const found = SPLUNK_PATHS.find((p) => lower.endsWith(p));
      if (found) return { path: path.slice(path.length - found.length) };
      const at = lower.indexOf("/services/collector/");
      if (at < 0) return undefined;
      return {
        path: path.slice(at),
        problem: `must not name another HEC endpoint (${
          path.slice(at)
        }); events go to /services/collector/event`,
      };
    }
    case "datadog": {
      const found = DATADOG_PATHS.find((p) => lower.endsWith(p));
      if (found) return { path: path.slice(path.length - found.length) };
      // The v1 intake takes the API key in the path, and another body.
      const at = lower.indexOf("/v1/input");
      if (at < 0) return undefined;
      return {
        path: path.slice(at),
        problem:
          "must not be the v1 intake (/v1/input); events go to /api/v2/logs",
      };
    }
    case "sentinel": {
      // The DCR and stream are options of their own; a pasted upload URL
      // would double them.
      const at = lower.indexOf("/datacollectionrules");
      if (at < 0) return undefined;
      return {
        path: path.slice(at),
        problem:
          "must be the data collection endpoint (or the DCR's logs ingestion endpoint) without /dataCollectionRules/...; set sentinel.dcrImmutableId and sentinel.streamName",
      };
    }
    case "google_secops": {
      // The exporter appends /v1beta/projects/…/logs:import itself.
      const at = lower.search(/\/v1(?:alpha|beta)?\/projects\//);
      if (at < 0) return undefined;
      return {
        path: path.slice(at),
        problem:
          "must be the Chronicle API host only (set project, location, instance and logType in googleSecOps)",
      };
    }
    case "elasticsearch":
    case "opensearch": {
      if (!path.endsWith("/_bulk")) return undefined;
      const rest = path.slice(0, -"/_bulk".length);
      if (rest === "") return { path: "/_bulk" };
      const segment = rest.slice(rest.lastIndexOf("/") + 1);
      if (safeDecode(segment) === index) return { path: `/${segment}/_bulk` };
      return {
        path: `/${segment}/_bulk`,
        problem:
          `must not end in /${segment}/_bulk (set "index" to choose the index; events go to /${
            encodeURIComponent(index)
          }/_bulk)`,
      };
    }
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
