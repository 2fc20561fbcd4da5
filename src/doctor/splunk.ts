/**
 * The doctor's checks of a Splunk HTTP Event Collector.
 *
 * - Health: `GET /services/collector/health`, no credential: 200
 *   `{"text":"HEC is healthy","code":17}`, or 503 with code 18, 19 or 20
 *   when its queues are full or the acknowledgement service is down
 *   (https://help.splunk.com/en/splunk-enterprise/get-data-in/collect-http-event-data/http-event-collector-rest-api-endpoints,
 *   "Possible error codes" in
 *   https://help.splunk.com/en/splunk-enterprise/get-data-in/collect-http-event-data/troubleshoot-http-event-collector;
 *   wire-specs §1.1 and §1.8).
 * - Token: `POST /services/collector/event` with the token and an empty
 *   body. HEC checks the token before the body, so a valid token gets 400
 *   code 5 "No data" and nothing is indexed; an unknown token gets 403
 *   code 4, a disabled one 403 code 1, none 401 code 2 (same table).
 * - The index: HEC checks a token's allowed indexes only against an event
 *   (400 code 7 "Incorrect index"); it has no dry run, so the doctor checks
 *   it only when asked to send a test event.
 *
 * @module
 */
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

const HEC = "Splunk HEC";
const TOKEN_PAGE = "Settings > Data inputs > HTTP Event Collector";

/** HEC's `{"text","code"}` answer, if it is one. */
function hecAnswer(
  answer: ProbeAnswer,
): { text: string; code: number } | undefined {
  const text = member(answer.json, "text");
  const code = member(answer.json, "code");
  return typeof text === "string" && typeof code === "number"
    ? { text, code }
    : undefined;
}

/**
 * Checks a Splunk HEC destination.
 *
 * @param config The destination.
 * @param ctx The `fetch`, time limit and credential.
 * @param sendEvent Whether to send a test event.
 * @returns The steps checked, stopping at the first failure.
 */
export async function checkSplunk(
  config: SIEMConfig,
  ctx: ProbeContext,
  sendEvent: boolean,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const healthUrl = `${config.endpoint}/services/collector/health`;
  const health = await probe(ctx, healthUrl, { method: "GET" });
  if (!health.ok) return [fail("connection", health.message)];
  checks.push(ok("connection", `${new URL(healthUrl).host} answers.`));
  const healthBody = hecAnswer(health);
  if (healthBody === undefined) {
    return [...checks, fail("platform", foreignAnswer(HEC, healthUrl, health))];
  }
  if (health.status === 200 && healthBody.code === 17) {
    checks.push(ok("platform", "Splunk HEC answers and is healthy (code 17)."));
  } else if (health.status === 503) {
    return [
      ...checks,
      fail(
        "platform",
        `Splunk HEC answers but is unhealthy: "${healthBody.text}" (code ${healthBody.code}). Events would wait; check the indexers' queues and, with indexer acknowledgement, the ack service.`,
      ),
    ];
  } else {
    return [
      ...checks,
      fail(
        "platform",
        `${
          describeAnswer(healthUrl, health)
        } answered "${healthBody.text}" (code ${healthBody.code}) instead of HEC's health: check the endpoint (HEC's port, 8088 by default, and no path beyond any proxy prefix) and that HEC is enabled in ${TOKEN_PAGE} > Global Settings.`,
      ),
    ];
  }

  const eventUrl = `${config.endpoint}/services/collector/event`;
  const headers: Record<string, string> = {};
  if (config.token) headers.Authorization = `Splunk ${config.token}`;
  const auth = await probe(ctx, eventUrl, {
    method: "POST",
    headers,
    body: "",
  });
  if (!auth.ok) return [...checks, fail("authentication", auth.message)];
  const authBody = hecAnswer(auth);
  if (authBody === undefined) {
    return [
      ...checks,
      fail("authentication", foreignAnswer(HEC, eventUrl, auth)),
    ];
  }
  const authCheck = tokenCheck(config, auth.status, authBody);
  checks.push(authCheck);
  if (authCheck.status === "fail") return checks;

  const target = `index "${config.index}"`;
  if (!sendEvent) {
    checks.push(skipped(
      "permission",
      `Whether the token may write to ${target} shows only when an event is sent (HEC has no dry run): run with --send-test-event to send one test event.`,
    ));
    return checks;
  }
  const sent = await sendTestEvent(
    config,
    ctx.fetch,
    ctx.stepTimeoutMs,
    target,
  );
  if (sent.status === "ok") {
    checks.push(ok("permission", `The token may write to ${target}.`));
  } else if (/Incorrect index/i.test(sent.message)) {
    checks.push(fail(
      "permission",
      `The token may not write to ${target} (HEC code 7, "Incorrect index"): add the index to the token's allowed indexes in ${TOKEN_PAGE}, or set the destination's index to one it allows.`,
    ));
    return checks;
  }
  checks.push(sent);
  return checks;
}

function tokenCheck(
  config: SIEMConfig,
  status: number,
  body: { text: string; code: number },
): DoctorCheck {
  const said = `HTTP ${status}, "${body.text}", code ${body.code}`;
  switch (body.code) {
    case 5:
      return ok(
        "authentication",
        'HEC accepts the token (an empty request, which indexes nothing, got code 5 "No data").',
      );
    case 4:
      return fail(
        "authentication",
        `HEC does not know this token (${said}): copy the token's value from ${TOKEN_PAGE} into the destination's token (SIEM_SPLUNK_TOKEN).`,
      );
    case 1:
      return fail(
        "authentication",
        `The token is disabled (${said}): enable it in ${TOKEN_PAGE}.`,
      );
    case 2:
      return fail(
        "authentication",
        config.token
          ? `HEC received no token (${said}) though one is configured: a proxy in front of HEC drops the Authorization header.`
          : `No HEC token is configured (${said}): set the destination's token (SIEM_SPLUNK_TOKEN).`,
      );
    case 3:
      return fail(
        "authentication",
        `HEC did not read the Authorization header (${said}): a proxy in front of HEC rewrites it.`,
      );
    case 10:
    case 11:
    case 14:
      return fail(
        "authentication",
        `The token has indexer acknowledgement turned on (${said}), which this module does not use: turn it off for the token in ${TOKEN_PAGE}.`,
      );
    case 9:
      return fail(
        "authentication",
        `HEC is busy (${said}): try again later; if it lasts, check the indexers.`,
      );
    default:
      return fail(
        "authentication",
        `HEC answered an empty request with ${said}, not the expected code 5 "No data": check the token and the collector's settings.`,
      );
  }
}
