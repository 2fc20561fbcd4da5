/**
 * The doctor's checks of a Google Security Operations destination.
 *
 * - The service-account key: a JWT is signed with it and exchanged for an
 *   access token at the key's `token_uri`, as deliveries do
 *   (https://developers.google.com/identity/protocols/oauth2/service-account);
 *   an unreadable key or a refused one (`invalid_grant`) is said in words.
 * - The instance and log type: `GET …/instances/{instance}/logTypes/{logType}`
 *   (`logTypes.get`,
 *   https://cloud.google.com/chronicle/docs/reference/rest/v1alpha/projects.locations.instances.logTypes/get)
 *   answers 200 for a log type the instance knows, 404 for an unknown
 *   project, instance or log type, 403 without permission.
 * - `logs:import` has no dry run: a test event is sent only when asked.
 *
 * @module
 */
import { GOOGLE_SECOPS_API_VERSION } from "../platforms/google_secops.ts";
import { GOOGLE_SECOPS_SCOPE } from "../platforms/google_secops_config.ts";
import {
  GoogleTokenError,
  GoogleTokenSource,
} from "../platforms/google_token.ts";
import { redactSecrets } from "../platforms/redact.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import { foreignAnswer, member, probe, type ProbeContext } from "./probe.ts";
import { type DoctorCheck, fail, ok, skipped } from "./report.ts";
import { sendTestEvent } from "./test_event.ts";

/**
 * Checks a Google SecOps destination.
 *
 * @param config The destination.
 * @param ctx The `fetch`, time limit and credentials.
 * @param sendEvent Whether to send a test event.
 * @returns The steps checked, stopping at the first failure.
 */
export async function checkGoogleSecOps(
  config: SIEMConfig,
  ctx: ProbeContext,
  sendEvent: boolean,
): Promise<DoctorCheck[]> {
  const secops = config.googleSecOps;
  if (secops === undefined) {
    return [fail("authentication", "The destination has no googleSecOps.")];
  }
  const tokens = new GoogleTokenSource(secops.credentials, GOOGLE_SECOPS_SCOPE);
  const tokenHost = new URL(secops.credentials.token_uri).host;
  let token: string;
  try {
    token = await tokens.token(
      Date.now(),
      ctx.fetch,
      undefined,
      ctx.stepTimeoutMs,
    );
  } catch (error) {
    const secrets = [...ctx.secrets, ...tokens.issued];
    if (error instanceof GoogleTokenError && error.setup !== undefined) {
      return [fail(
        "authentication",
        redactSecrets(
          `${error.message} (${tokenHost}): ${error.setup}.`,
          secrets,
        ),
      )];
    }
    const message = error instanceof Error ? error.message : String(error);
    return [fail(
      "connection",
      redactSecrets(
        `No access token from ${tokenHost}: ${message}.`,
        secrets,
      ),
    )];
  }
  const checks: DoctorCheck[] = [ok(
    "authentication",
    `${tokenHost} issued an access token for ${secops.credentials.client_email}.`,
  )];
  const e = encodeURIComponent;
  const url = `${config.endpoint}/${GOOGLE_SECOPS_API_VERSION}/projects/${
    e(secops.project)
  }/locations/${e(secops.location)}/instances/${e(secops.instance)}/logTypes/${
    e(secops.logType)
  }`;
  const answer = await probe(
    { ...ctx, secrets: [...ctx.secrets, ...tokens.issued] },
    url,
    {
      method: "GET",
      headers: { Accept: "application/json", Authorization: `Bearer ${token}` },
    },
  );
  if (!answer.ok) return [...checks, fail("connection", answer.message)];
  checks.push(ok("connection", `${new URL(url).host} answers.`));
  const error = member(answer.json, "error");
  if (answer.status !== 200 && (typeof error !== "object" || error === null)) {
    return [
      ...checks,
      fail("platform", foreignAnswer("Google SecOps", url, answer)),
    ];
  }
  const said = typeof member(error, "message") === "string"
    ? ` (${String(member(error, "message")).slice(0, 200)})`
    : "";
  if (answer.status === 401) {
    return [
      ...checks,
      fail(
        "authentication",
        `The Chronicle API refuses the access token (HTTP 401${said}): check that the endpoint is the Chronicle API host of location ${secops.location}.`,
      ),
    ];
  }
  if (answer.status === 403) {
    return [
      ...checks,
      fail(
        "permission",
        `${secops.credentials.client_email} may not use instance ${secops.instance} (HTTP 403${said}): grant it the Chronicle API Editor role (roles/chronicle.editor, which holds chronicle.logs.import) in project ${secops.project}.`,
      ),
    ];
  }
  if (answer.status === 404) {
    return [
      ...checks,
      fail(
        "permission",
        `Chronicle does not know log type ${secops.logType} in instance ${secops.instance} of project ${secops.project}, location ${secops.location} (HTTP 404${said}): check the project, the location, the customer id and the log type.`,
      ),
    ];
  }
  if (answer.status !== 200) {
    return [
      ...checks,
      fail(
        "platform",
        `Chronicle answered HTTP ${answer.status}${said} for the log type.`,
      ),
    ];
  }
  checks.push(ok("platform", "The Chronicle API answers."));
  checks.push(ok(
    "permission",
    `Instance ${secops.instance} has log type ${secops.logType}.`,
  ));
  if (!sendEvent) {
    checks.push(skipped(
      "test_event",
      "logs:import has no dry run, so no test log was sent (run with --send-test-event to send one).",
    ));
    return checks;
  }
  checks.push(
    await sendTestEvent(
      config,
      ctx.fetch,
      ctx.stepTimeoutMs,
      `Google SecOps log type ${secops.logType}`,
    ),
  );
  return checks;
}
