/**
 * The doctor's checks of a generic HTTP destination (`platform: "http"`,
 * Sumo Logic preset included).
 *
 * A generic receiver has no health or validation endpoint, and a POST
 * would deliver data, so the doctor asks with `HEAD` (no body, nothing
 * stored) carrying the destination's headers:
 * - any HTTP answer proves the connection (DNS, TCP, TLS);
 * - 401 or 403 is a refused credential (Sumo Logic answers 401 for a
 *   missing or invalid URL token,
 *   https://help.sumologic.com/docs/send-data/hosted-collectors/http-source/troubleshooting/);
 * - 404 or 405 is only a warning: many receivers route POST alone, and a
 *   web framework answers HEAD on such a route with its own 404 or 405
 *   page;
 * - any other HTML page (a 2xx, a 502) is a proxy's, a login portal's or a
 *   web site's: it fails the endpoint step;
 * - anything else leaves the credential unproven: only a test event, sent
 *   when asked, proves that a batch is taken.
 *
 * Every message shows the URL's host only: its path may hold the token.
 *
 * @module
 */
import { createExporter } from "../platforms/create_exporter.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import { describeAnswer, probe } from "./probe.ts";
import { type DoctorCheck, fail, ok, skipped, warn } from "./report.ts";
import { sendTestEvent } from "./test_event.ts";

/**
 * Checks an http destination.
 *
 * @param config The destination.
 * @param ctx The `fetch`, time limit and secrets.
 * @param sendEvent Whether to send a test event.
 * @returns The steps checked, stopping at the first failure.
 */
export async function checkHttp(
  config: SIEMConfig,
  ctx: Parameters<typeof probe>[0],
  sendEvent: boolean,
): Promise<DoctorCheck[]> {
  const sumo = config.http?.preset === "sumo_logic";
  const receiver = sumo ? "Sumo Logic" : "the receiver";
  const exporter = createExporter(config);
  const headers = exporter.headers;
  delete headers["Content-Type"];
  const answer = await probe(ctx, config.endpoint, { method: "HEAD", headers });
  if (!answer.ok) return [fail("connection", answer.message)];
  const checks: DoctorCheck[] = [
    ok("connection", `${new URL(config.endpoint).host} answers.`),
  ];
  const seen = describeAnswer(config.endpoint, answer);
  const type = answer.headers.get("content-type")?.split(";")[0]?.trim()
    .toLowerCase();
  const refused = answer.status === 401 || answer.status === 403;
  const unrouted = answer.status === 404 || answer.status === 405;
  if (
    !refused && !unrouted &&
    (type === "text/html" || type === "application/xhtml+xml")
  ) {
    checks.push(fail(
      "platform",
      `${seen} is an HTML page, not ${receiver}'s answer: a proxy, a login page or a web site answers at this URL. Check the URL and any proxy in front of ${receiver}.`,
    ));
    return checks;
  }
  if (unrouted) {
    checks.push(warn(
      "platform",
      `${seen} to HEAD: many receivers take POST alone, so this proves nothing; if the path is wrong, deliveries will fail with HTTP 404 (a setup error)${
        sumo ? " (copy the HTTP Source URL again from Sumo Logic)" : ""
      }. Run with --send-test-event to be sure.`,
    ));
  } else {
    checks.push(ok("platform", `${seen} answers.`));
  }
  if (refused) {
    checks.push(fail(
      "authentication",
      sumo
        ? `${seen}: Sumo Logic refuses the URL's token. Copy the HTTP Source URL again (a regenerated URL invalidates the old one).`
        : `${seen}: the receiver refuses the credential. Check the token and the secret headers.`,
    ));
    return checks;
  }
  if (!sendEvent) {
    checks.push(skipped(
      "authentication",
      `${receiver} did not refuse the credential on HEAD (HTTP ${answer.status}), which does not prove it; run with --send-test-event to send one event as batches are sent.`,
    ));
    return checks;
  }
  checks.push(
    await sendTestEvent(
      config,
      ctx.fetch,
      ctx.stepTimeoutMs,
      new URL(config.endpoint).host,
    ),
  );
  return checks;
}
