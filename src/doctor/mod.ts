/**
 * The doctor: checks a destination's configuration against the live
 * platform and says, in sentences, what works and what to fix (network,
 * TLS, a proxy answering instead of the platform, the credential, the
 * write permission). Import from `@harombe/siem/doctor`; it needs only
 * `fetch`, so it runs on Deno, Bun, Node and Cloudflare Workers. On Deno,
 * `deno task doctor` runs it for every configured destination.
 *
 * @example
 * ```ts ignore
 * import { checkDestination, formatDiagnosis } from "@harombe/siem/doctor";
 *
 * const diagnosis = await checkDestination({
 *   platform: "splunk",
 *   endpoint: "https://splunk.example.com:8088",
 *   token: "00000000-0000-0000-0000-000000000000",
 * });
 * console.log(formatDiagnosis(diagnosis));
 * ```
 *
 * @module
 */
export { checkDestination } from "./check_destination.ts";
export { formatDiagnosis } from "./format.ts";
export { DATADOG_SITES, datadogSite } from "./datadog.ts";
export { TEST_EVENT_ACTION } from "./test_event.ts";
export {
  type CheckDestinationOptions,
  DEFAULT_STEP_TIMEOUT_MS,
  type DestinationDiagnosis,
  type DoctorCheck,
  type DoctorStatus,
  type DoctorStep,
} from "./report.ts";
