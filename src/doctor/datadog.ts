/**
 * The doctor's checks of a Datadog Logs destination.
 *
 * - The intake (`http-intake.logs.<site>`) is reached first, for the
 *   network; any HTTP answer will do.
 * - The API key: `GET https://api.<site>/api/v1/validate` with `DD-API-KEY`
 *   answers 200 `{"valid":true}`, or 403 for a key that is not valid on
 *   that site (https://docs.datadoghq.com/api/latest/authentication/validate-api-key/).
 *   A key belongs to one site, so a 403 is also what a key of another site
 *   gets: the doctor then asks the other sites (Datadog's own API hosts,
 *   listed on that page) whether one of them knows the key.
 * - Logs have no dry run (https://docs.datadoghq.com/api/latest/logs/#send-logs):
 *   a test event is sent only when asked.
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

/**
 * The Datadog sites, as the validate page lists their API hosts
 * (`api.<site>`; https://docs.datadoghq.com/api/latest/authentication/validate-api-key/).
 */
export const DATADOG_SITES: readonly string[] = Object.freeze([
  "datadoghq.com",
  "us3.datadoghq.com",
  "us5.datadoghq.com",
  "datadoghq.eu",
  "ap1.datadoghq.com",
  "ap2.datadoghq.com",
  "uk1.datadoghq.com",
  "ddog-gov.com",
  "us2.ddog-gov.com",
]);

const INTAKE_HOST = /^http-intake\.logs\.(.+)$/i;

/**
 * The Datadog site of an intake endpoint (`https://http-intake.logs.<site>`),
 * or `undefined` for another host (a proxy, a relay).
 *
 * @param endpoint The destination's base URL.
 * @returns The site, e.g. `"datadoghq.eu"`.
 */
export function datadogSite(endpoint: string): string | undefined {
  return INTAKE_HOST.exec(new URL(endpoint).hostname)?.[1]?.toLowerCase();
}

/**
 * Checks a Datadog destination.
 *
 * @param config The destination.
 * @param ctx The `fetch`, time limit and credential.
 * @param sendEvent Whether to send a test event.
 * @returns The steps checked, stopping at the first failure.
 */
export async function checkDatadog(
  config: SIEMConfig,
  ctx: ProbeContext,
  sendEvent: boolean,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const intakeUrl = `${config.endpoint}/api/v2/logs`;
  const intake = await probe(ctx, intakeUrl, { method: "GET" });
  if (!intake.ok) return [fail("connection", intake.message)];
  const site = datadogSite(config.endpoint);
  // Another host (a relay, a proxy, a local fake) serves both paths itself.
  const apiBase = site === undefined
    ? config.endpoint
    : `${new URL(config.endpoint).protocol}//api.${site}`;
  const validateUrl = `${apiBase}/api/v1/validate`;
  const validate = await probe(ctx, validateUrl, {
    method: "GET",
    headers: { Accept: "application/json", "DD-API-KEY": config.token },
  });
  if (!validate.ok) return [fail("connection", validate.message)];
  checks.push(ok(
    "connection",
    `${new URL(intakeUrl).host} and ${new URL(validateUrl).host} answer.`,
  ));
  if (validate.status === 200 && member(validate.json, "valid") === true) {
    checks.push(ok("platform", "Datadog's API answers."));
    checks.push(ok(
      "authentication",
      `The API key is valid${site ? ` on site ${site}` : ""}.`,
    ));
  } else if (validate.status === 403 && isErrors(validate)) {
    checks.push(ok("platform", "Datadog's API answers."));
    checks.push(await refusedKey(config, ctx, site, validate));
    return checks;
  } else if (validate.json === undefined) {
    return [
      ...checks,
      fail("platform", foreignAnswer("Datadog", validateUrl, validate)),
    ];
  } else {
    return [
      ...checks,
      fail(
        "authentication",
        `${
          describeAnswer(validateUrl, validate)
        } answered the API key validation with ${
          validate.text.slice(0, 200)
        }: check the endpoint and the API key.`,
      ),
    ];
  }
  if (!sendEvent) {
    checks.push(skipped(
      "test_event",
      "A valid API key may send logs; Datadog has no dry run, so no test log was sent (run with --send-test-event to send one).",
    ));
    return checks;
  }
  checks.push(
    await sendTestEvent(
      config,
      ctx.fetch,
      ctx.stepTimeoutMs,
      `Datadog${site ? ` (${site})` : ""}`,
    ),
  );
  return checks;
}

async function refusedKey(
  config: SIEMConfig,
  ctx: ProbeContext,
  site: string | undefined,
  answer: ProbeAnswer,
): Promise<DoctorCheck> {
  if (!config.token) {
    return fail(
      "authentication",
      "No Datadog API key is configured: set the destination's token to an API key (SIEM_DATADOG_TOKEN; Organization Settings > API Keys).",
    );
  }
  const said = `HTTP ${answer.status}`;
  if (site === undefined) {
    return fail(
      "authentication",
      `Datadog refuses the API key (${said}): it is wrong or revoked, or belongs to another Datadog site than the one behind ${
        new URL(config.endpoint).host
      }. Check the key in Organization Settings > API Keys.`,
    );
  }
  const others = DATADOG_SITES.filter((other) => other !== site);
  const protocol = new URL(config.endpoint).protocol;
  const found = await Promise.all(others.map(async (other) => {
    const reply = await probe(
      ctx,
      `${protocol}//api.${other}/api/v1/validate`,
      {
        method: "GET",
        headers: { Accept: "application/json", "DD-API-KEY": config.token },
      },
    );
    return reply.ok && reply.status === 200 &&
        member(reply.json, "valid") === true
      ? other
      : undefined;
  }));
  const home = found.find((other) => other !== undefined);
  if (home !== undefined) {
    return fail(
      "authentication",
      `The API key belongs to Datadog site ${home}, not ${site} (the site of the endpoint): set the endpoint to https://http-intake.logs.${home}.`,
    );
  }
  return fail(
    "authentication",
    `Datadog refuses the API key on site ${site} (${said}), and no other Datadog site knows it: it is wrong or revoked. Copy an API key (not an application key) from Organization Settings > API Keys.`,
  );
}

function isErrors(answer: ProbeAnswer): boolean {
  return Array.isArray(member(answer.json, "errors"));
}
