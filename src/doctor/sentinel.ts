/**
 * The doctor's checks of a Microsoft Sentinel destination (Azure Monitor
 * Logs Ingestion API).
 *
 * - The Entra token first: a client-credentials request to
 *   `{authorityHost}/{tenant}/oauth2/v2.0/token`; its error codes say
 *   whether the tenant, the client id or the secret is wrong
 *   (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
 * - Then the endpoint, DCR and stream with that token: an upload of an
 *   empty JSON array stores nothing, and answers 204 when the endpoint, the
 *   DCR, the stream and the app's Monitoring Metrics Publisher role are all
 *   right (Vector's `azure_logs_ingestion` health check does the same,
 *   next-destinations §1.6); 403 is the missing role, 404 an unknown DCR or
 *   stream (https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview).
 * - The API has no dry run that stores a row: a test event is sent only
 *   when asked.
 *
 * The token is never shown: it is taken out of every answer like the secret.
 *
 * @module
 */
import { entraTokenFailure, entraTokenForm } from "../platforms/entra_token.ts";
import { SentinelExporter } from "../platforms/sentinel.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import {
  describeAnswer,
  foreignAnswer,
  member,
  probe,
  type ProbeContext,
} from "./probe.ts";
import { type DoctorCheck, fail, ok, skipped } from "./report.ts";
import { sendTestEvent } from "./test_event.ts";

/**
 * Checks a Sentinel destination.
 *
 * @param config The destination.
 * @param ctx The `fetch`, time limit and secrets.
 * @param sendEvent Whether to send a test event.
 * @returns The steps checked, stopping at the first failure.
 */
export async function checkSentinel(
  config: SIEMConfig,
  ctx: ProbeContext,
  sendEvent: boolean,
): Promise<DoctorCheck[]> {
  const sentinel = config.sentinel!;
  const exporter = new SentinelExporter(config);
  const tokenUrl = exporter.tokens.url;
  const answer = await probe(ctx, tokenUrl, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Accept: "application/json",
    },
    body: entraTokenForm(sentinel),
  });
  if (!answer.ok) return [fail("connection", answer.message)];
  const token = member(answer.json, "access_token");
  if (answer.status !== 200 || typeof token !== "string" || token === "") {
    const error = entraTokenFailure(answer.status, answer.text, sentinel);
    return [
      fail(
        "authentication",
        `${error.message}. ${
          capitalize(error.setup ?? "the token endpoint is busy: try again")
        }.`,
      ),
    ];
  }
  const checks: DoctorCheck[] = [
    ok(
      "authentication",
      `Microsoft Entra (${
        new URL(tokenUrl).host
      }) issued a token to client ${sentinel.clientId} in tenant ${sentinel.tenantId} for ${sentinel.scope}.`,
    ),
  ];
  const withToken: ProbeContext = { ...ctx, secrets: [...ctx.secrets, token] };
  const url = exporter.url;
  const upload = await probe(withToken, url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Authorization: `Bearer ${token}`,
    },
    body: "[]",
  });
  if (!upload.ok) return [...checks, fail("connection", upload.message)];
  checks.push(ok("connection", `${new URL(url).host} answers.`));
  const where = `DCR ${sentinel.dcrImmutableId}, stream ${sentinel.streamName}`;
  if (upload.status === 204) {
    checks.push(ok("platform", "The Logs Ingestion API answers."));
    checks.push(ok(
      "permission",
      `The app may write to ${where} (an empty upload was accepted; nothing was stored).`,
    ));
  } else if (member(upload.json, "error") === undefined) {
    return [
      ...checks,
      fail("platform", foreignAnswer("Azure Monitor", url, upload)),
    ];
  } else {
    const said = `${describeAnswer(url, upload)} answered ${
      upload.text.slice(0, 300)
    }`;
    const verdict = exporter.classify(
      upload.status,
      upload.headers,
      upload.text,
      0,
      Date.now(),
    );
    const hint = verdict.kind === "retry" && verdict.setup
      ? capitalize(verdict.setup)
      : "Check the endpoint, the DCR and the stream";
    if (upload.status === 403) {
      checks.push(ok("platform", "The Logs Ingestion API answers."));
      return [...checks, fail("permission", `${said}. ${hint}.`)];
    }
    if (upload.status === 401) {
      return [...checks, fail("authentication", `${said}. ${hint}.`)];
    }
    return [...checks, fail("platform", `${said}. ${hint}.`)];
  }
  if (!sendEvent) {
    checks.push(skipped(
      "test_event",
      "The Logs Ingestion API has no dry run, so no test event was sent (run with --send-test-event to send one).",
    ));
    return checks;
  }
  checks.push(
    await sendTestEvent(config, ctx.fetch, ctx.stepTimeoutMs, where),
  );
  return checks;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
