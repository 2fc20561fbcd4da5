/**
 * Google SecOps credentials never leave through an output: the private key
 * (as PEM, JSON-escaped, or bare base64), the signed JWT assertion and the
 * access token are echoed back by the token endpoint and by Chronicle in
 * their error answers, and every output is searched for them: logger
 * lines, stats, dead letters, verdicts, the doctor's report.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { DeadLetter } from "../../src/delivery/export_result.ts";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import { formatDiagnosis } from "../../src/doctor/format.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { realisticEvents } from "../fixtures/events.ts";
import {
  makeServiceAccount,
  startFakeGoogleToken,
} from "../fakes/fake_google_token.ts";
import { startFakeGoogleSecOps } from "../fakes/fake_google_secops.ts";
import { MemoryLogger } from "../support/receivers.ts";

const EMAIL = "siem-writer@test-project.iam.gserviceaccount.com";

/** Fails when `text` holds any 12-character piece of `secret`. */
function assertNoPiece(text: string, secret: string, where: string): void {
  for (let i = 0; i + 12 <= secret.length; i += 4) {
    const piece = secret.slice(i, i + 12);
    const at = text.indexOf(piece);
    assert.equal(
      at,
      -1,
      `${where} holds part of a credential: ${
        JSON.stringify(text.slice(Math.max(0, at - 40), at + 60))
      }`,
    );
  }
}

function body(request: RequestInit | undefined): string {
  return typeof request?.body === "string" ? request.body : "";
}

for (const status of [400, 401, 403, 500]) {
  for (const side of ["token endpoint", "Chronicle"] as const) {
    Deno.test(`google_secops: the ${side} answering ${status} and echoing the key, JWT and token leaks none of them`, async () => {
      await using tokens = startFakeGoogleToken({ email: EMAIL });
      const account = await makeServiceAccount(tokens.tokenUri, EMAIL);
      tokens.trust(account.publicKey);
      await using chronicle = startFakeGoogleSecOps({
        tokens,
        project: "test-project",
        location: "eu",
        instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
        logTypes: ["HAROMBE_AUDIT"],
      });
      const pem = account.key.private_key;
      const seen: string[] = [];
      const echo = (text: string): Response =>
        new Response(
          side === "token endpoint"
            ? JSON.stringify({
              error: "invalid_grant",
              error_description: text,
            })
            : JSON.stringify({
              error: { code: status, message: text, status: "X" },
            }),
          { status, headers: { "content-type": "application/json" } },
        );
      const echoing: typeof fetch = async (input, init) => {
        const url = String(input);
        const headers = new Headers(init?.headers);
        const auth = headers.get("authorization") ?? "";
        if (url.startsWith(tokens.url)) {
          const assertion = new URLSearchParams(body(init)).get("assertion") ??
            "";
          seen.push(assertion);
          if (side === "token endpoint") {
            return echo(
              `bad assertion ${assertion}; key ${JSON.stringify(pem)} ${pem}`,
            );
          }
          const answer = await fetch(input, init);
          const text = await answer.text();
          seen.push(JSON.parse(text).access_token);
          return new Response(text, answer);
        }
        seen.push(auth.slice(7));
        return echo(`you sent ${auth}; key ${pem}`);
      };
      const config: SIEMConfigInput = {
        platform: "google_secops",
        endpoint: chronicle.url,
        maxRetries: 0,
        retryDelayMs: 10,
        maxRetryDelayMs: 10,
        googleSecOps: {
          credentials: JSON.stringify(account.key),
          project: "test-project",
          location: "eu",
          instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
          logType: "HAROMBE_AUDIT",
        },
      };
      const logger = new MemoryLogger();
      const letters: DeadLetter[] = [];
      const integrator = new SIEMIntegrator([config], {
        autoFlush: false,
        logger,
        fetch: echoing,
        onDeadLetter: (letter) => void letters.push(letter),
      });
      const results = await integrator.exportEvents(realisticEvents(2));
      const stats = JSON.stringify(integrator.getStats());
      const stopped = JSON.stringify(
        await integrator.stop({ timeoutMs: 200 }),
      );
      const diagnosis = await checkDestination(config, { fetch: echoing });
      const outputs: Record<string, string> = {
        "ExportResult": JSON.stringify(results),
        "getStats()": stats,
        "stop report": stopped,
        "dead letters": JSON.stringify(letters),
        "logger": logger.lines.join("\n"),
        "doctor": JSON.stringify(diagnosis) + formatDiagnosis(diagnosis),
      };
      // The echo reached the outputs: the test would see a leak.
      assert.ok(seen.length > 0);
      assert.match(outputs["getStats()"]!, /\[redacted\]/);
      const secrets = [
        pem.replace(/-----[A-Z ]+-----|\s/g, ""),
        ...seen.filter((s) => s.length > 20),
      ];
      for (const [where, text] of Object.entries(outputs)) {
        for (const secret of secrets) assertNoPiece(text, secret, where);
      }
    });
  }
}
