/**
 * `checkDestination`: what works and what to fix for one destination, with
 * the platform's own health and validation endpoints.
 *
 * @module
 */
import { shownEndpoint } from "../platforms/http_config.ts";
import type { SIEMPlatform } from "../platforms/platform.ts";
import {
  configSecrets,
  parseOnce,
  type SIEMConfig,
  type SIEMConfigInput,
} from "../platforms/siem_config.ts";
import { checkDatadog } from "./datadog.ts";
import { checkElasticsearch } from "./elasticsearch.ts";
import { checkHttp } from "./http.ts";
import { checkGoogleSecOps } from "./google_secops.ts";
import { checkOpenSearch } from "./opensearch.ts";
import type { ProbeContext } from "./probe.ts";
import {
  type CheckDestinationOptions,
  DEFAULT_STEP_TIMEOUT_MS,
  type DestinationDiagnosis,
  type DoctorCheck,
} from "./report.ts";
import { checkSentinel } from "./sentinel.ts";
import { checkSplunk } from "./splunk.ts";

/** One platform's checks. */
type PlatformDoctor = (
  config: SIEMConfig,
  ctx: ProbeContext,
  sendEvent: boolean,
) => Promise<DoctorCheck[]>;

// A new platform adds its file here: the Record type makes a missing one a
// type error.
const DOCTORS: Record<SIEMPlatform, PlatformDoctor> = {
  splunk: checkSplunk,
  elasticsearch: checkElasticsearch,
  datadog: checkDatadog,
  opensearch: checkOpenSearch,
  sentinel: checkSentinel,
  http: checkHttp,
  google_secops: checkGoogleSecOps,
};

/**
 * Checks one destination, step by step: the network (DNS, TCP, TLS), the
 * endpoint answering as the platform and not as a proxy, the credential,
 * the permission to write to the index, and, where the platform cannot
 * check a write without storing it, a test event only when
 * `sendTestEvent` is set. Each request has its own time limit, so the whole
 * check takes a few seconds at most. Works on every runtime: it only needs
 * `fetch`.
 *
 * @example A refused connection, in words
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDestination } from "@harombe/siem/doctor";
 *
 * const refused: typeof fetch = () =>
 *   Promise.reject(new TypeError("error sending request: Connection refused (os error 111)"));
 * const diagnosis = await checkDestination(
 *   { platform: "splunk", endpoint: "https://splunk.example.com:8088", token: "t" },
 *   { fetch: refused },
 * );
 * assert.equal(diagnosis.canDeliver, false);
 * assert.equal(diagnosis.checks[0]?.step, "connection");
 * assert.match(diagnosis.checks[0]?.message ?? "", /refused the connection/);
 * ```
 *
 * @param config The destination's configuration.
 * @param options The `fetch`, the time limit of each request, and whether to send a test event.
 * @returns The diagnosis: each step checked and whether events can be delivered.
 * @throws {SIEMConfigError} When the configuration is invalid.
 */
export async function checkDestination(
  config: SIEMConfig | SIEMConfigInput,
  options: CheckDestinationOptions = {},
): Promise<DestinationDiagnosis> {
  const valid = parseOnce(config);
  const ctx: ProbeContext = {
    fetch: options.fetch ?? fetch,
    stepTimeoutMs: options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
    secrets: configSecrets(valid),
  };
  const checks = await DOCTORS[valid.platform](
    valid,
    ctx,
    options.sendTestEvent ?? false,
  );
  return {
    name: valid.name,
    platform: valid.platform,
    // An http destination's URL path may hold its token.
    endpoint: shownEndpoint(valid),
    canDeliver: checks.every((check) => check.status !== "fail"),
    checks,
  };
}
