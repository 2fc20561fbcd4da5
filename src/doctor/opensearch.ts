/**
 * The doctor's checks of an OpenSearch destination (self-managed with Basic
 * auth, Amazon OpenSearch Service with SigV4, or Serverless).
 *
 * - Product: `GET /` answers with `version.distribution: "opensearch"` and
 *   the tagline "The OpenSearch Project: https://opensearch.org/"
 *   (https://docs.opensearch.org/latest/api-reference/ "Cluster info";
 *   the `distribution` member is what OpenSearch added to tell itself from
 *   Elasticsearch). Serverless has no root API
 *   (next-destinations §3.3, "`_cluster/health` and version APIs are not
 *   available on AOSS"), so there the step is skipped.
 * - Credential: the same `GET /` is authenticated: the security plugin
 *   answers 401 to a wrong Basic password; Amazon OpenSearch answers 403
 *   with a JSON `message` to a bad signature or unknown key.
 * - Write permission: OpenSearch has no API that reports the caller's own
 *   index privileges without writing, so it is checked only by the test
 *   event (`--send-test-event`).
 *
 * @module
 */
import { OpenSearchExporter } from "../platforms/opensearch.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import {
  describeAnswer,
  foreignAnswer,
  member,
  probe,
  type ProbeAnswer,
  type ProbeContext,
} from "./probe.ts";
import { type DoctorCheck, fail, ok, skipped } from "./report.ts";
import { sendTestEvent } from "./test_event.ts";

/**
 * Checks an OpenSearch destination.
 *
 * @param config The destination.
 * @param ctx The `fetch`, time limit and credential.
 * @param sendEvent Whether to send a test event.
 * @returns The steps checked, stopping at the first failure.
 */
export async function checkOpenSearch(
  config: SIEMConfig,
  ctx: ProbeContext,
  sendEvent: boolean,
): Promise<DoctorCheck[]> {
  const exporter = new OpenSearchExporter(config);
  const rootUrl = `${config.endpoint}/`;
  const unsigned: Record<string, string> = { Accept: "application/json" };
  const basic = exporter.headers["Authorization"];
  if (basic !== undefined) unsigned.Authorization = basic;
  const headers = await exporter.signRequest({
    method: "GET",
    url: rootUrl,
    headers: unsigned,
    body: new Uint8Array(),
  }, Date.now());
  const checks: DoctorCheck[] = [];
  const root = await probe(ctx, rootUrl, { method: "GET", headers });
  if (!root.ok) return [fail("connection", root.message)];
  checks.push(ok("connection", `${new URL(rootUrl).host} answers.`));
  const serverless = config.aws?.service === "aoss";
  if (root.status === 401 || root.status === 403) {
    return [...checks, fail("authentication", refusal(config, root))];
  }
  if (serverless) {
    checks.push(skipped(
      "platform",
      "OpenSearch Serverless has no root API to tell what answers; the test event checks it (--send-test-event).",
    ));
  } else {
    const distribution = member(member(root.json, "version"), "distribution");
    const version = member(member(root.json, "version"), "number");
    if (root.status !== 200 || distribution !== "opensearch") {
      return [
        ...checks,
        fail("platform", foreignAnswer("OpenSearch", rootUrl, root)),
      ];
    }
    checks.push(ok(
      "platform",
      `OpenSearch${typeof version === "string" ? ` ${version}` : ""} answers.`,
    ));
  }
  checks.push(
    config.aws !== undefined
      ? ok(
        "authentication",
        serverless
          ? `The SigV4 signature (service aoss, region ${config.aws.region}) was not refused.`
          : `OpenSearch accepts the SigV4 signature (service es, region ${config.aws.region}).`,
      )
      : config.username !== undefined
      ? ok("authentication", `OpenSearch accepts user "${config.username}".`)
      : ok("authentication", "OpenSearch answers without a credential."),
  );
  if (!sendEvent) {
    checks.push(skipped(
      "permission",
      `OpenSearch cannot report the write permission on "${config.index}" without a write: run with --send-test-event to check it.`,
    ));
    return checks;
  }
  checks.push(
    await sendTestEvent(
      config,
      ctx.fetch,
      ctx.stepTimeoutMs,
      `"${config.index}"`,
    ),
  );
  return checks;
}

function refusal(config: SIEMConfig, answer: ProbeAnswer): string {
  const message = member(answer.json, "message");
  const said = typeof message === "string"
    ? `"${message}"`
    : describeAnswer(`${config.endpoint}/`, answer);
  if (config.aws !== undefined) {
    return `Amazon OpenSearch refuses the SigV4 signature (HTTP ${answer.status}, ${said}): check the access key id and secret (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), the session token of temporary credentials, the region (${config.aws.region}) and the service (${config.aws.service}: es for a domain, aoss for Serverless), and the domain's access policy.`;
  }
  if (config.username !== undefined) {
    return `OpenSearch refuses user "${config.username}" (HTTP ${answer.status}): the password is wrong, or the user may not connect (SIEM_OPENSEARCH_USERNAME, SIEM_OPENSEARCH_PASSWORD).`;
  }
  return `OpenSearch requires a credential (HTTP ${answer.status}) and none is configured: set a username and password, or aws for Amazon OpenSearch.`;
}
