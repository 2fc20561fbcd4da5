/**
 * The secret-leak tests of secrets_test.ts, for Sentinel's two credentials:
 * the client secret (sent only to the Entra token endpoint, in a form) and
 * the access token it buys (sent to the Logs Ingestion API). Both endpoints
 * are made to echo them back in error answers, in the forms an answer may
 * carry them, and every output is searched: ExportResult, getStats(), dead
 * letters, the stop report, /metrics, /stats and /health, the logger, the
 * doctor's diagnosis, config and server-config errors.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEventInput } from "../../src/events/audit_event.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { DeadLetter } from "../../src/delivery/export_result.ts";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import { formatDiagnosis } from "../../src/doctor/format.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import { serverConfig } from "../../src/ingest/server_config.ts";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import { startFakeEntra } from "../fakes/fake_entra.ts";
import { MemoryLogger } from "../support/receivers.ts";
import { SENTINEL } from "../support/sentinel.ts";
import { json, plain, startEchoReceiver } from "./_echo_receiver.ts";

const INGEST_TOKEN = "ingest-SECRET-0123456789abcdef";
const SECRET = SENTINEL.clientSecret;

function events(count: number, tag: string): AuditEventInput[] {
  return Array.from({ length: count }, (_, i) => ({
    event_id: `${tag}-${i}`,
    correlation_id: "c",
    event_type: "security_decision",
    actor: "a",
    action: "x",
    status: "success",
  }));
}

function config(
  endpoint: string,
  authorityHost: string,
  extra: Partial<SIEMConfigInput> = {},
): SIEMConfigInput {
  return {
    platform: "sentinel",
    endpoint,
    sentinel: {
      tenantId: SENTINEL.tenantId,
      clientId: SENTINEL.clientId,
      clientSecret: SECRET,
      dcrImmutableId: SENTINEL.dcrImmutableId,
      authorityHost,
    },
    maxRetries: 0,
    retryDelayMs: 10,
    maxRetryDelayMs: 10,
    timeoutMs: 1000,
    ...extra,
  };
}

/** Fails when `text` holds any credential, or any 10-character piece of one. */
function assertNoCredential(
  text: string,
  credentials: readonly string[],
  where: string,
): void {
  for (const credential of credentials) {
    for (let i = 0; i + 10 <= credential.length; i++) {
      const piece = credential.slice(i, i + 10);
      const at = text.indexOf(piece);
      assert.equal(
        at,
        -1,
        `${where} holds ${JSON.stringify(piece)}: ${
          JSON.stringify(text.slice(Math.max(0, at - 60), at + 80))
        }`,
      );
    }
  }
}

/** Every output of an integrator after its flush, by where it came from. */
async function outputs(
  integrator: SIEMIntegrator,
  logger: MemoryLogger,
  letters: DeadLetter[],
  results: unknown,
): Promise<Record<string, string>> {
  const app = createIngestApp({ integrator, tokens: [INGEST_TOKEN], logger });
  const answers: string[] = [];
  for (const path of ["/metrics", "/stats", "/health"]) {
    const response = await app.request(path, {
      headers: { Authorization: `Bearer ${INGEST_TOKEN}` },
    });
    answers.push(`${path} ${response.status} ${await response.text()}`);
  }
  const stopped = await integrator.stop({ timeoutMs: 500 });
  return {
    "ExportResult": JSON.stringify(results),
    "getStats()": JSON.stringify(integrator.getStats()),
    "dead letters": JSON.stringify(letters),
    "stop report": JSON.stringify(stopped),
    "/metrics, /stats, /health": answers.join("\n"),
    "logger": logger.lines.join("\n"),
  };
}

const FORMS: Record<string, (secret: string) => string> = {
  "raw": (s) => s,
  "URL-encoded (as the form sent it)": (s) =>
    new URLSearchParams({ s }).toString().slice(2),
  "JSON \\u-escaped": (s) =>
    [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
      .join(""),
};

for (const status of [401, 403, 500, 400]) {
  for (const format of ["json", "text"] as const) {
    Deno.test(`sentinel answering ${status} with a ${format} body echoing the access token: no token and no secret in any output`, async () => {
      await using entra = startFakeEntra({
        tenantId: SENTINEL.tenantId,
        clientId: SENTINEL.clientId,
        clientSecret: SECRET,
      });
      await using receiver = startEchoReceiver((credential) => {
        const text = `request refused; you sent ${credential} (check it)`;
        return format === "json"
          ? json(status, { error: { code: "OperationFailed", message: text } })
          : plain(status, text);
      });
      const logger = new MemoryLogger();
      const letters: DeadLetter[] = [];
      const integrator = new SIEMIntegrator([config(receiver.url, entra.url)], {
        autoFlush: false,
        logger,
        onDeadLetter: (letter) => void letters.push(letter),
      });
      const results = await integrator.exportEvents(events(2, "echo"));
      assert.ok(receiver.requests.length > 0, "nothing reached the receiver");
      assert.equal(
        receiver.requests[0]!.authorization,
        `Bearer ${entra.tokens[0]}`,
      );
      const all = await outputs(integrator, logger, letters, results);
      for (const [where, text] of Object.entries(all)) {
        assertNoCredential(text, [SECRET, ...entra.tokens], where);
      }
      assert.match(
        all["ExportResult"]! + all["getStats()"]! + all["logger"]!,
        /\[redacted\]/,
        "the echo was not redacted but dropped: the test proves nothing",
      );
    });
  }
}

for (const [form, encode] of Object.entries(FORMS)) {
  for (const format of ["json", "text"] as const) {
    Deno.test(`the token endpoint echoing the client secret ${form} in a ${format} error: no secret in any output`, async () => {
      await using entra = startEchoReceiver((_credential, request) => {
        const secret = new URLSearchParams(request.body).get("client_secret");
        const text = `AADSTS7000215: Invalid client secret provided: ${
          encode(secret ?? "")
        }.`;
        return format === "json"
          ? new Response(
            `{"error":"invalid_client","error_description":"${text}","error_codes":[7000215]}`,
            { status: 401, headers: { "content-type": "application/json" } },
          )
          : plain(401, text);
      });
      await using receiver = startEchoReceiver(() => plain(500, "unused"));
      const logger = new MemoryLogger();
      const letters: DeadLetter[] = [];
      const integrator = new SIEMIntegrator([config(receiver.url, entra.url)], {
        autoFlush: false,
        logger,
        onDeadLetter: (letter) => void letters.push(letter),
      });
      const results = await integrator.exportEvents(events(2, "secret"));
      assert.equal(receiver.requests.length, 0, "sent without a token");
      assert.ok(entra.requests[0]!.body.includes("client_secret="));
      const all = await outputs(integrator, logger, letters, results);
      for (const [where, text] of Object.entries(all)) {
        assertNoCredential(text, [SECRET], where);
      }
      assert.match(all["getStats()"]!, /\[redacted\]/);
      // The doctor reads the same answer.
      const diagnosis = await checkDestination(
        config(receiver.url, entra.url),
      );
      assert.equal(diagnosis.canDeliver, false);
      assertNoCredential(
        JSON.stringify(diagnosis) + formatDiagnosis(diagnosis),
        [SECRET],
        "doctor",
      );
    });
  }
}

Deno.test("sentinel: a config error never quotes the client secret (set next to each bad field)", () => {
  const good = config(
    "https://dce.westeurope-1.ingest.monitor.azure.com",
    "https://login.microsoftonline.com",
  );
  const bad: Array<Partial<SIEMConfigInput>> = [
    { batchSize: 0 },
    { endpoint: "ftp://x" },
    { token: "x" },
    {
      sentinel: {
        ...good.sentinel!,
        tenantId: `${SECRET}/x`,
      },
    },
    { sentinel: { ...good.sentinel!, clientSecret: `${SECRET} with space` } },
    { sentinel: { ...good.sentinel!, dcrImmutableId: SECRET } },
  ];
  for (const change of bad) {
    try {
      parseSIEMConfig({ ...good, ...change });
      assert.fail(`accepted ${JSON.stringify(Object.keys(change))}`);
    } catch (error) {
      assert.ok(error instanceof Error);
      const text = `${error.message}\n${error.stack}\n${
        JSON.stringify((error as { issues?: unknown }).issues)
      }`;
      assert.equal(text.includes(SECRET), false, text);
    }
  }
});

Deno.test("sentinel: server configuration errors never quote the client secret", () => {
  for (
    const env of [
      { SIEM_SENTINEL_CLIENT_SECRET: SECRET },
      {
        SIEM_SENTINEL_CLIENT_SECRET: SECRET,
        SIEM_DESTINATIONS:
          `[{"platform":"sentinel","sentinel":{"clientSecret":"${SECRET}"`,
      },
    ]
  ) {
    try {
      serverConfig(env);
      assert.fail("accepted");
    } catch (error) {
      assert.ok(error instanceof Error);
      assert.equal(error.message.includes(SECRET), false, error.message);
    }
  }
});
