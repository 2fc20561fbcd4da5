/**
 * A credential echoed by a SIEM (or a proxy in front of it) in any of the
 * forms it can take in an answer — raw, JSON-escaped (`\/`, `\u0041`),
 * URL-encoded, HTML-escaped, base64 of `user:token` or of the token, the
 * decoded Elasticsearch API key — is redacted before any text is cut, in
 * every public result: `Exporter.send()`'s verdict reason, `ExportResult`,
 * `getStats()` (`lastError`), dead letters, logger lines, `/stats`.
 * Nothing of it is left: neither the token nor any 8-character piece of it
 * or of the form it was echoed in.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { DeadLetter } from "../../src/delivery/export_result.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import type { SIEMPlatform } from "../../src/platforms/platform.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { MemoryLogger } from "../support/receivers.ts";
import { startEchoReceiver } from "./_echo_receiver.ts";

// Tokens with the characters that JSON, URL and HTML encode differently.
const ES_ID = "VuaCfGcBCdbkQm-e5aOx";
// Its base64 (the token) holds "+" and "/" too.
const ES_KEY = "ui2lp2ax~TNms?yakw/9tv>Nnw10~?Key";
// Google SecOps has no token in its config (a service-account key signs
// in): google_secops_secrets_test.ts covers its credentials.
type TokenPlatform = Exclude<SIEMPlatform, "google_secops">;
const TOKENS: Record<TokenPlatform, string> = {
  splunk: "hec/SECRET+7d3f9a2b/4c1e=token&x",
  elasticsearch: btoa(`${ES_ID}:${ES_KEY}`),
  datadog: "dd/SECRET+a1b2c3d4/e5f60718=key",
  // The Basic password: sent as base64 of `audit:password`.
  opensearch: "os/SECRET+9e8d7c6b/pass=word&y",
  // The client secret, sent only to the token endpoint
  // (tests/security/sentinel_secrets_test.ts).
  sentinel: "az/SECRET~9e8d.7c6b_client-secret",
  // Sent as `Authorization: Bearer <token>`.
  http: "http/SECRET+5a4b3c2d/hook=tok&z",
};
const INGEST_TOKEN = "ingest-SECRET-0123456789abcdef";

const hex = (c: string): string =>
  c.charCodeAt(0).toString(16).padStart(2, "0");

/**
 * How an answer may carry the credential: the text of that form, and the
 * part of it that encodes only the credential (base64 after a prefix such
 * as `user:` starts with characters that encode the prefix).
 */
const FORMS: Record<string, (token: string) => [string, string?]> = {
  "raw": (t) => [t],
  "JSON-escaped (\\/)": (t) => [t.replaceAll("/", "\\/")],
  "JSON \\u-escaped": (t) => [
    [...t].map((c) => `\\u${hex(c).padStart(4, "0")}`).join(""),
  ],
  "JSON \\u-escaped in part": (t) => [
    t.replaceAll("/", "\\u002F").replaceAll("+", "\\u002b"),
  ],
  "JSON-escaped twice (\\\\\\/)": (t) => [t.replaceAll("/", "\\\\\\/")],
  "URL-encoded": (t) => [encodeURIComponent(t)],
  "URL-encoded, lower-case hex": (t) => [
    [...t].map((c) => /[A-Za-z0-9]/.test(c) ? c : `%${hex(c)}`).join(""),
  ],
  "HTML-escaped": (t) => [
    [...t].map((c) => /[A-Za-z0-9]/.test(c) ? c : `&#x${hex(c)};`).join(""),
  ],
  "base64 of the token": (t) => [btoa(t)],
  "base64 of user:token": (t) => base64("user:", t),
  "base64 of ab:token": (t) => base64("ab:", t),
  "base64 of x:token": (t) => base64("x:", t),
  "base64url of api:token": (t) => base64("api:", t, true),
};

function base64(prefix: string, token: string, url = false): [string, string] {
  let encoded = btoa(`${prefix}${token}`);
  if (url) {
    encoded = encoded.replaceAll("+", "-").replaceAll("/", "_").replace(
      /=+$/,
      "",
    );
  }
  return [encoded, encoded.slice(Math.ceil(prefix.length / 3) * 4)];
}

/** The pieces that must not appear: of the token, and of the echoed form. */
function secretsOf(platform: TokenPlatform, echoed: string): string[] {
  const secrets = [TOKENS[platform], echoed];
  if (platform === "elasticsearch") secrets.push(ES_KEY, `${ES_ID}:${ES_KEY}`);
  return secrets;
}

function assertNoPiece(text: string, secrets: string[], where: string): void {
  for (const secret of secrets) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      const at = text.indexOf(piece);
      assert.equal(
        at,
        -1,
        `${where} holds ${JSON.stringify(piece)} of ${
          JSON.stringify(secret)
        }: ${JSON.stringify(text.slice(Math.max(0, at - 60), at + 60))}`,
      );
    }
  }
}

/** An answer in the platform's shape whose message holds `echo` as written (no JSON escaping added). */
function answer(
  platform: TokenPlatform,
  status: number,
  echo: string,
  body: string,
): Response {
  const text = `refused; you sent ${echo} (check it)`;
  let json: string;
  switch (platform) {
    case "splunk":
      json = status === 400
        ? `{"text":"${text}","code":6,"invalid-event-number":0}`
        : `{"text":"${text}","code":4}`;
      break;
    case "elasticsearch":
    case "opensearch": {
      const count = body.split("\n").filter(Boolean).length / 2;
      json = status === 400
        ? `{"errors":true,"items":[${
          Array.from(
            { length: count },
            () =>
              `{"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"${text}"}}}`,
          ).join(",")
        }]}`
        : `{"error":{"root_cause":[{"type":"security_exception","reason":"${text}"}],"type":"security_exception","reason":"${text}"},"status":403}`;
      status = status === 400 ? 200 : status;
      break;
    }
    case "datadog":
      json =
        `{"errors":[{"status":"${status}","title":"Error","detail":"${text}"}]}`;
      break;
    case "sentinel":
      json = `{"error":{"code":"OperationFailed","message":"${text}"}}`;
      break;
    case "http":
      json = `{"error":"${text}"}`;
      break;
  }
  return new Response(json, {
    status,
    headers: { "content-type": "application/json" },
  });
}

function configFor(platform: TokenPlatform, endpoint: string): SIEMConfigInput {
  return {
    platform,
    endpoint,
    token: TOKENS[platform],
    ...(platform === "opensearch" ? { username: "audit" } : {}),
    maxRetries: 0,
    retryDelayMs: 10,
    maxRetryDelayMs: 10,
    timeoutMs: 2000,
  };
}

const EVENT = {
  correlation_id: "c",
  event_type: "security_decision",
  actor: "a",
  action: "x",
  status: "success",
} as const;

for (
  const platform of [
    "splunk",
    "elasticsearch",
    "datadog",
    "opensearch",
    "http",
  ] as const
) {
  const forms = Object.entries(FORMS);
  if (platform === "elasticsearch") {
    forms.push(
      ["decoded API key (id:key)", (t) => [atob(t)]],
      ["decoded API key, secret part only", (t) => [atob(t).split(":")[1]!]],
    );
  }
  for (const [form, encode] of forms) {
    Deno.test(`${platform}: a credential echoed ${form} is redacted in every output`, async () => {
      const [echoed, encodedToken = echoed] = encode(TOKENS[platform]);
      let status = 403;
      await using receiver = startEchoReceiver((_credential, request) =>
        answer(platform, status, echoed, request.body)
      );
      const secrets = secretsOf(platform, encodedToken);

      // Exporter.send(): the verdict's reason.
      const exporter = createExporter(configFor(platform, receiver.url));
      const { verdict } = await exporter.send([toSIEMEvent(
        parseAuditEvent(EVENT),
      )]);
      assert.equal(verdict.kind, "retry");
      const reason = JSON.stringify(verdict);
      assert.match(reason, /\[redacted\]/, "the echo is not in the reason");
      assertNoPiece(reason, secrets, "verdict");

      // The integrator: a refused token (403, kept and retried), then an
      // event refused for good (400, dead-lettered).
      const logger = new MemoryLogger();
      const letters: DeadLetter[] = [];
      const integrator = new SIEMIntegrator(
        [configFor(platform, receiver.url)],
        {
          autoFlush: false,
          logger,
          onDeadLetter: (letter) => void letters.push(letter),
        },
      );
      const app = createIngestApp({
        integrator,
        tokens: [INGEST_TOKEN],
        logger,
      });
      const retried = await integrator.exportEvents([EVENT]);
      const statsWhileFailing = await (await app.request("/stats", {
        headers: { Authorization: `Bearer ${INGEST_TOKEN}` },
      })).text();
      assert.match(
        statsWhileFailing,
        /\[redacted\]/,
        "/stats has no lastError",
      );
      status = 400;
      const refused = await integrator.flushAll();
      const stopped = await integrator.stop({ timeoutMs: 500 });
      const outputs: Record<string, string> = {
        "ExportResult": JSON.stringify([retried, refused]),
        "getStats()": JSON.stringify(integrator.getStats()),
        "/stats": statsWhileFailing,
        "dead letters": JSON.stringify(letters),
        "stop report": JSON.stringify(stopped),
        "logger": logger.lines.join("\n"),
      };
      for (const [where, text] of Object.entries(outputs)) {
        assertNoPiece(text, secrets, where);
      }
      assert.match(
        outputs["ExportResult"]! + outputs["getStats()"]!,
        /\[redacted\]/,
      );
    });
  }
}
