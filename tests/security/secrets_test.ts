/**
 * No credential ever leaves through an output: with distinctive SIEM and
 * ingest tokens, failures are driven everywhere (receivers answering
 * 401/403/500/400 with bodies that echo the credential back, timeouts,
 * network errors, dead letters, invalid configs, ingest errors) and every
 * output is searched for the tokens: logger lines, ExportResult, stats,
 * dead letters, stop reports, /metrics, /stats and /health answers, and
 * thrown errors.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEventInput } from "../../src/events/audit_event.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { DeadLetter } from "../../src/delivery/export_result.ts";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import { TEST_EVENT_ACTION } from "../../src/doctor/test_event.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { createIngestApp, type IngestApp } from "../../src/ingest/app.ts";
import { serverConfig } from "../../src/ingest/server_config.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import type { SIEMPlatform } from "../../src/platforms/platform.ts";
import { startFakeDatadog } from "../fakes/fake_datadog.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { MemoryLogger } from "../support/receivers.ts";
import { json, plain, startEchoReceiver } from "./_echo_receiver.ts";

// The platforms with a token in the config; Google SecOps signs in with a
// service-account key: its secrets are tested in google_secops_secrets_test.ts.
type TokenPlatform = Exclude<SIEMPlatform, "google_secops">;
const SIEM_TOKENS: Record<TokenPlatform, string> = {
  splunk: "hec-SECRET-7d3f9a2b-4c1e-token",
  elasticsearch: "ZXMtU0VDUkVUOnNlY3JldC1hcGkta2V5LTk5",
  datadog: "dd-SECRET-a1b2c3d4e5f60718-key",
  // The Basic password (username OS_USER).
  opensearch: "os-SECRET-5e6f7a8b9c0d-password",
  // The client secret (tests/security/sentinel_secrets_test.ts drives it).
  sentinel: "az-SECRET~5e6f.7a8b_client-secret",
  // Sent as `Authorization: Bearer <token>`.
  http: "http-SECRET-3c4d5e6f7a8b-bearer",
};
const OS_USER = "audit-writer";
const INGEST_TOKEN = "ingest-SECRET-0123456789abcdef";
const NEXT_INGEST_TOKEN = "ingest-SECRET-rotated-fedcba9876";
// OpenSearch on AWS: the secret access key never goes on the wire, the
// session token does (x-amz-security-token).
const AWS_SECRET_KEY = "aws/SECRET+wJalrXUtnFEMI/K7MDENGbPxRfiCY";
const AWS_SESSION_TOKEN = "aws-SESSION-IQoJb3JpZ2luX2VjEFYaDGV1LXdlc3QtMSJH";
const SECRETS = [
  ...Object.values(SIEM_TOKENS),
  AWS_SECRET_KEY,
  AWS_SESSION_TOKEN,
  INGEST_TOKEN,
  NEXT_INGEST_TOKEN,
];
const PLATFORMS: readonly TokenPlatform[] = [
  "splunk",
  "elasticsearch",
  "datadog",
  "opensearch",
  "http",
];

function context(text: string, at: number): string {
  return JSON.stringify(text.slice(Math.max(0, at - 60), at + 80));
}

/** Fails when `text` holds any token. */
function assertNoSecret(text: string, where: string): void {
  for (const secret of SECRETS) {
    const at = text.indexOf(secret);
    assert.equal(at, -1, `${where} holds a token: ${context(text, at)}`);
  }
}

/** Fails when `text` holds any `size`-character piece of `token`. */
function assertNoTokenPiece(
  text: string,
  token: string,
  where: string,
  size = 10,
): void {
  for (let i = 0; i + size <= token.length; i++) {
    const piece = token.slice(i, i + size);
    const at = text.indexOf(piece);
    assert.equal(
      at,
      -1,
      `${where} holds ${JSON.stringify(piece)}, part of the token ${
        JSON.stringify(token)
      }: ${context(text, at)}`,
    );
  }
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return [
    error.name,
    error.message,
    String(error),
    error.stack ?? "",
    JSON.stringify(error),
    JSON.stringify((error as { issues?: unknown }).issues ?? null),
  ].join("\n");
}

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

/** The texts of /metrics, /stats and /health, asked with and without a valid token. */
async function ingestAnswers(app: IngestApp): Promise<string[]> {
  const texts: string[] = [];
  for (const path of ["/metrics", "/stats", "/health"]) {
    for (
      const authorization of [
        `Bearer ${INGEST_TOKEN}`,
        `Bearer ${NEXT_INGEST_TOKEN}`,
        `Bearer ${INGEST_TOKEN.slice(0, -2)}`,
        `Bearer ${INGEST_TOKEN}xyz`,
        undefined,
      ]
    ) {
      const response = await app.request(path, {
        headers: authorization === undefined ? {} : {
          Authorization: authorization,
        },
      });
      texts.push(
        `${path} ${response.status} ${
          JSON.stringify([...response.headers])
        } ${await response.text()}`,
      );
    }
  }
  return texts;
}

/** Every output of an integrator after a failing flush, as text, by where it came from. */
interface Outputs {
  [where: string]: string;
}

async function collectOutputs(
  integrator: SIEMIntegrator,
  logger: MemoryLogger,
  letters: DeadLetter[],
  results: unknown,
): Promise<Outputs> {
  const app = createIngestApp({
    integrator,
    tokens: [INGEST_TOKEN, NEXT_INGEST_TOKEN],
    logger,
  });
  const answers = await ingestAnswers(app);
  const stopped = await integrator.stop({ timeoutMs: 500 });
  return {
    "ExportResult": JSON.stringify(results),
    "getStats()": JSON.stringify(integrator.getStats()),
    "dead letter": JSON.stringify(letters),
    "dead letter reason": letters.map((letter) => letter.reason).join("\n"),
    "stop report": JSON.stringify(stopped),
    "/metrics, /stats, /health": answers.join("\n"),
    "logger": logger.lines.join("\n"),
  };
}

// ---------------------------------------------------------------------------
// Receivers that echo the credential in their error answers

type Format = "json" | "text";

function echoAnswer(
  platform: TokenPlatform,
  status: number,
  format: Format,
  text: string,
): Response {
  if (format === "text") return plain(status, text);
  switch (platform) {
    case "splunk":
      return json(status, {
        text,
        code: status === 400 ? 6 : status === 401 ? 2 : status === 403 ? 4 : 8,
        ...(status === 400 ? { "invalid-event-number": 0 } : {}),
      });
    case "elasticsearch":
    case "opensearch":
      return json(status, {
        error: {
          root_cause: [{ type: "security_exception", reason: text }],
          type: "security_exception",
          reason: text,
        },
        status,
      });
    case "datadog":
      return json(status, {
        errors: [{ status: String(status), title: "Error", detail: text }],
      });
    case "sentinel":
      return json(status, {
        error: { code: "OperationFailed", message: text },
      });
    case "http":
      return json(status, { error: text });
  }
}

function configFor(
  platform: TokenPlatform,
  endpoint: string,
  extra: Partial<SIEMConfigInput> = {},
): SIEMConfigInput {
  return {
    platform,
    endpoint,
    token: SIEM_TOKENS[platform],
    ...(platform === "opensearch" ? { username: OS_USER } : {}),
    maxRetries: 0,
    retryDelayMs: 10,
    maxRetryDelayMs: 10,
    timeoutMs: 1000,
    ...extra,
  };
}

for (const platform of PLATFORMS) {
  for (const status of [401, 403, 500, 400]) {
    for (const format of ["json", "text"] as const) {
      Deno.test(`${platform} answering ${status} with a ${format} body echoing the credential: no token in any output, the echo is redacted`, async () => {
        await using receiver = startEchoReceiver((credential) =>
          echoAnswer(
            platform,
            status,
            format,
            `request refused; you sent ${credential} (check it)`,
          )
        );
        const logger = new MemoryLogger();
        const letters: DeadLetter[] = [];
        // JSON bodies: dead letters go to the callback; text bodies: to the
        // logger, which writes their reason when no callback is set.
        const integrator = new SIEMIntegrator(
          [configFor(platform, receiver.url)],
          {
            autoFlush: false,
            logger,
            ...(format === "json"
              ? {
                onDeadLetter: (letter: DeadLetter): void =>
                  void letters.push(letter),
              }
              : {}),
          },
        );
        const results = await integrator.exportEvents(events(2, "echo"));
        assert.ok(receiver.requests.length > 0, "nothing reached the receiver");
        const sent = receiver.requests[0]!;
        assert.ok(
          (sent.authorization ?? sent.ddApiKey ?? "").includes(
            platform === "opensearch"
              ? btoa(`${OS_USER}:${SIEM_TOKENS[platform]}`)
              : SIEM_TOKENS[platform],
          ),
          "the receiver did not get the token, so nothing could be echoed",
        );
        const outputs = await collectOutputs(
          integrator,
          logger,
          letters,
          results,
        );
        for (const [where, text] of Object.entries(outputs)) {
          assertNoSecret(text, where);
        }
        // The echo did reach the reasons, redacted. A 400 that names an
        // event (HEC) dead-letters it; one refusing every part alike keeps
        // the batch and reports it in the result and the log.
        // A generic receiver's 400 dead-letters the batch: with a callback
        // (JSON bodies here) the reason is in the dead letters.
        const reasons = status === 400
          ? format === "json" && (platform === "splunk" || platform === "http")
            ? outputs["dead letter reason"]!
            : `${outputs["ExportResult"]}\n${outputs["logger"]}`
          : outputs["ExportResult"]!;
        assert.match(reasons, /\[redacted\]/, "the echo is not in the reason");
      });
    }
  }
}

Deno.test("an Elasticsearch bulk answer whose item errors echo the credential: dead letters are redacted", async () => {
  await using receiver = startEchoReceiver((credential, request) => {
    const count = request.body.split("\n").filter(Boolean).length / 2;
    return json(200, {
      errors: true,
      items: Array.from({ length: count }, () => ({
        create: {
          status: 400,
          error: {
            type: "mapper_parsing_exception",
            reason: `failed to parse; credentials were ${credential}`,
          },
        },
      })),
    });
  });
  const logger = new MemoryLogger();
  const letters: DeadLetter[] = [];
  const integrator = new SIEMIntegrator(
    [configFor("elasticsearch", receiver.url)],
    { autoFlush: false, logger, onDeadLetter: (l) => void letters.push(l) },
  );
  const results = await integrator.exportEvents(events(3, "items"));
  assert.equal(letters.reduce((n, l) => n + l.events.length, 0), 3);
  const outputs = await collectOutputs(integrator, logger, letters, results);
  for (const [where, text] of Object.entries(outputs)) {
    assertNoSecret(text, where);
  }
  assert.match(outputs["dead letter reason"]!, /\[redacted\]/);
});

Deno.test("an Elasticsearch 200 answer that is no bulk answer and echoes the credential: the retry reason is redacted", async () => {
  await using receiver = startEchoReceiver((credential) =>
    json(200, { proxy: "debug", headers: { authorization: credential } })
  );
  const logger = new MemoryLogger();
  const integrator = new SIEMIntegrator(
    [configFor("elasticsearch", receiver.url)],
    { autoFlush: false, logger },
  );
  const results = await integrator.exportEvents(events(1, "unexpected"));
  const outputs = await collectOutputs(integrator, logger, [], results);
  for (const [where, text] of Object.entries(outputs)) {
    assertNoSecret(text, where);
  }
  assert.match(
    outputs["ExportResult"]!,
    /unexpected bulk answer.*\[redacted\]/,
  );
});

Deno.test("a token of exactly 4 characters is redacted too", async () => {
  const token = "k9Zq";
  await using receiver = startEchoReceiver((credential) =>
    json(403, { text: `Invalid token ${credential}`, code: 4 })
  );
  const logger = new MemoryLogger();
  const integrator = new SIEMIntegrator([{
    ...configFor("splunk", receiver.url),
    token,
  }], { autoFlush: false, logger });
  const [result] = await integrator.exportEvents(events(1, "short"));
  await integrator.stop({ timeoutMs: 500 });
  assert.equal(receiver.requests[0]?.authorization, `Splunk ${token}`);
  assert.match(result?.error ?? "", /Invalid token Splunk \[redacted\]/);
  const all = JSON.stringify([result, integrator.getStats(), logger.lines]);
  assert.ok(!all.includes(token), `the 4-character token leaked: ${all}`);
});

// Defect probe: the platform's text is cut to 300 characters (excerpt())
// before the token is redacted, so an echo that the cut splits is not
// recognized and the first part of the credential is kept in the reason.
for (const platform of PLATFORMS) {
  Deno.test(`${platform}: an echoed credential cut by the 300-character excerpt leaks no piece of the token`, async () => {
    const token = SIEM_TOKENS[platform];
    // Request i pads the echo with 200 + i characters, so that across the
    // requests the cut falls at every position of the credential.
    await using receiver = startEchoReceiver((credential, request, i) => {
      const text = `${"x".repeat(200 + i)} ${credential}`;
      if (platform === "elasticsearch" || platform === "opensearch") {
        const count = request.body.split("\n").filter(Boolean).length / 2;
        return json(200, {
          errors: true,
          items: Array.from({ length: count }, () => ({
            create: {
              status: 400,
              error: { type: "mapper_parsing_exception", reason: text },
            },
          })),
        });
      }
      return echoAnswer(platform, 400, "json", text);
    });
    const logger = new MemoryLogger();
    const letters: DeadLetter[] = [];
    const integrator = new SIEMIntegrator([{
      ...configFor(platform, receiver.url),
      batchSize: 1,
    }], {
      autoFlush: false,
      logger,
      onDeadLetter: (letter) => void letters.push(letter),
    });
    const results = await integrator.exportEvents(events(120, "cut"));
    assert.equal(letters.length, 120, "every event is dead-lettered");
    const outputs = await collectOutputs(integrator, logger, letters, results);
    for (const [where, text] of Object.entries(outputs)) {
      assertNoSecret(text, where);
      assertNoTokenPiece(text, token, where);
    }
  });
}

Deno.test("timeouts and network errors: no token in any output", async () => {
  const splunk = startFakeSplunk({ token: SIEM_TOKENS.splunk });
  const elasticsearch = startFakeElasticsearch({
    apiKey: SIEM_TOKENS.elasticsearch,
  });
  const datadog = startFakeDatadog({ apiKey: SIEM_TOKENS.datadog });
  try {
    for (const fake of [splunk, elasticsearch, datadog]) {
      fake.down({ hang: true });
    }
    const logger = new MemoryLogger();
    const integrator = new SIEMIntegrator([
      configFor("splunk", splunk.url),
      configFor("elasticsearch", elasticsearch.url),
      configFor("datadog", datadog.url),
      configFor("splunk", "http://127.0.0.1:1", { name: "splunk-refused" }),
    ], { autoFlush: false, logger });
    const results = await integrator.exportEvents(events(2, "timeout"));
    const errors = results.map((result) => result.error ?? "");
    assert.equal(errors.filter((e) => /timed out/.test(e)).length, 3);
    assert.equal(errors.filter((e) => /network error/.test(e)).length, 1);
    const outputs = await collectOutputs(integrator, logger, [], results);
    for (const [where, text] of Object.entries(outputs)) {
      assertNoSecret(text, where);
    }
  } finally {
    await Promise.all([splunk.close(), elasticsearch.close(), datadog.close()]);
  }
});

Deno.test("a full buffer's dead letters and the dead-letter callback's failure: no token in any output", async () => {
  const logger = new MemoryLogger();
  const integrator = new SIEMIntegrator(
    PLATFORMS.map((platform) =>
      configFor(platform, "http://127.0.0.1:1", {
        batchSize: 1,
        maxBufferedEvents: 1,
      })
    ),
    {
      autoFlush: false,
      logger,
      onDeadLetter: (letter) => {
        throw new Error(`callback failed for ${letter.destination}`);
      },
    },
  );
  for (const event of events(3, "overflow")) integrator.exportEvent(event);
  const stats = integrator.getStats();
  assert.equal(stats.eventsFailed, 2 * PLATFORMS.length);
  const outputs = await collectOutputs(integrator, logger, [], []);
  assert.match(outputs["logger"]!, /dead-letter callback failed/);
  for (const [where, text] of Object.entries(outputs)) {
    assertNoSecret(text, where);
  }
});

// ---------------------------------------------------------------------------
// Invalid configs

const BAD_FIELDS: readonly [string, Partial<SIEMConfigInput>][] = [
  ["batchSize", { batchSize: 5000 }],
  ["index", { index: "Bad Index\r\n" }],
  ["endpoint scheme", { endpoint: "ftp://127.0.0.1:21" }],
  ["endpoint with a query", { endpoint: "https://siem.example.com/?a=1" }],
  ["plain http to a remote host", { endpoint: "http://siem.example.com" }],
  ["name", { name: "bad name!" }],
  ["tags", { tags: ["env:prod", "bad tag"] }],
  ["host", { host: "api-1\nInjected: yes" }],
  ["unknown field", { apiKey: "x" } as Partial<SIEMConfigInput>],
  ["timeoutMs", { timeoutMs: 5 }],
  ["compression", { compression: "br" as "gzip" }],
];

for (const platform of PLATFORMS) {
  Deno.test(`${platform}: a config error never quotes the token (the token set next to each bad field)`, () => {
    const token = SIEM_TOKENS[platform];
    const variants: [string, SIEMConfigInput][] = [
      // A generic receiver's URL may have a query (a webhook's parameters).
      ...BAD_FIELDS.filter(([label]) =>
        platform !== "http" || label !== "endpoint with a query"
      ).map(([label, bad]): [string, SIEMConfigInput] => [
        label,
        { ...configFor(platform, "https://siem.example.com"), ...bad },
      ]),
      // The token itself is bad: a trailing newline read from a file, a NUL.
      ["token with a newline", {
        ...configFor(platform, "https://siem.example.com"),
        token: `${token}\n`,
      }],
      ["token with a NUL", {
        ...configFor(platform, "https://siem.example.com"),
        token: `${token}\u0000`,
      }],
    ];
    for (const [label, config] of variants) {
      const attempts: [string, () => unknown][] = [
        ["parseSIEMConfig", () => parseSIEMConfig(config)],
        ["createExporter", () => createExporter(config)],
        ["new SIEMIntegrator", () => new SIEMIntegrator([config])],
        [
          "addDestination",
          () =>
            new SIEMIntegrator([], { autoFlush: false }).addDestination(config),
        ],
        [
          "addPlatform (deprecated)",
          () =>
            new SIEMIntegrator([], { autoFlush: false }).addPlatform(config),
        ],
      ];
      for (const [how, attempt] of attempts) {
        let thrown: unknown;
        try {
          attempt();
        } catch (error) {
          thrown = error;
        }
        assert.ok(thrown !== undefined, `${label}: ${how} accepted the config`);
        assert.equal((thrown as Error).name, "SIEMConfigError", label);
        assertNoSecret(errorText(thrown), `${label}: ${how}`);
      }
    }
  });
}

Deno.test("server configuration errors never quote a token", () => {
  const env = {
    INGEST_TOKENS: `${INGEST_TOKEN},${NEXT_INGEST_TOKEN}`,
    SIEM_SPLUNK_URL: "https://splunk.example.com:8088",
    SIEM_SPLUNK_TOKEN: SIEM_TOKENS.splunk,
    SIEM_DATADOG_URL: "https://http-intake.logs.datadoghq.eu",
    SIEM_DATADOG_TOKEN: SIEM_TOKENS.datadog,
  };
  const broken: Record<string, string>[] = [
    { PORT: INGEST_TOKEN },
    { MAX_BODY_BYTES: `${SIEM_TOKENS.splunk}` },
    { SPOOL: NEXT_INGEST_TOKEN },
    { SIEM_DESTINATIONS: `[{"token":"${SIEM_TOKENS.elasticsearch}",` },
    { SIEM_DESTINATIONS: `{"token":"${SIEM_TOKENS.elasticsearch}"}` },
  ];
  for (const extra of broken) {
    let thrown: unknown;
    try {
      serverConfig({ ...env, ...extra });
    } catch (error) {
      thrown = error;
    }
    const label = Object.keys(extra).join();
    assert.ok(thrown instanceof Error, `${label}: no error`);
    assertNoSecret(errorText(thrown), label);
  }
  // Ingest tokens that break the rules are refused without being quoted.
  const integrator = new SIEMIntegrator([], { autoFlush: false });
  for (
    const tokens of [
      [`${INGEST_TOKEN} `],
      [INGEST_TOKEN, `${NEXT_INGEST_TOKEN}!`],
      [`${INGEST_TOKEN}\n`],
      [INGEST_TOKEN.slice(0, 15)],
    ]
  ) {
    let thrown: unknown;
    try {
      createIngestApp({ integrator, tokens });
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof TypeError, `${JSON.stringify(tokens)} taken`);
    assertNoSecret(errorText(thrown), "createIngestApp");
    assert.ok(!errorText(thrown).includes(INGEST_TOKEN.slice(0, 15)));
  }
});

// ---------------------------------------------------------------------------
// Ingest errors

Deno.test("ingest error answers and logs never hold a token, even one sent in the request", async () => {
  const logger = new MemoryLogger();
  const integrator = new SIEMIntegrator(
    [configFor("splunk", "http://127.0.0.1:1")],
    { autoFlush: false, logger },
  );
  const app = createIngestApp({
    integrator,
    tokens: [INGEST_TOKEN, NEXT_INGEST_TOKEN],
    maxBodyBytes: 4096,
    maxEventsPerRequest: 3,
    logger,
  });
  const valid = events(1, "ingest")[0]!;
  const invalidWithSecrets = {
    ...valid,
    actor: "",
    session_id: INGEST_TOKEN,
    tool_name: SIEM_TOKENS.splunk,
    event_type: NEXT_INGEST_TOKEN,
    timestamp: SIEM_TOKENS.datadog,
    metadata: { api_key: SIEM_TOKENS.elasticsearch },
  };
  const cases: [string, BodyInit, Record<string, string | null>][] = [
    ["no token", JSON.stringify(valid), { Authorization: null }],
    ["a prefix of the token", JSON.stringify(valid), {
      Authorization: `Bearer ${INGEST_TOKEN.slice(0, -1)}`,
    }],
    ["the token with a suffix", JSON.stringify(valid), {
      Authorization: `Bearer ${INGEST_TOKEN}A`,
    }],
    ["a SIEM token", JSON.stringify(valid), {
      Authorization: `Bearer ${SIEM_TOKENS.elasticsearch}`,
    }],
    ["another scheme", JSON.stringify(valid), {
      Authorization: `Basic ${INGEST_TOKEN}`,
    }],
    ["invalid events holding tokens", JSON.stringify(invalidWithSecrets), {}],
    ["malformed JSON holding tokens", `{"actor":"${INGEST_TOKEN}",`, {}],
    [
      "a bad NDJSON line holding a token",
      `${JSON.stringify(valid)}\n{"x":"${SIEM_TOKENS.splunk}"`,
      { "Content-Type": "application/x-ndjson" },
    ],
    ["too many events", JSON.stringify(events(4, "many")), {}],
    [
      "too large",
      JSON.stringify({ ...valid, pad: INGEST_TOKEN.repeat(200) }),
      {},
    ],
    ["unsupported media type", JSON.stringify(valid), {
      "Content-Type": `text/${INGEST_TOKEN}`,
    }],
    ["unsupported encoding", JSON.stringify(valid), {
      "Content-Encoding": SIEM_TOKENS.datadog,
    }],
    ["corrupt gzip", `${INGEST_TOKEN}${SIEM_TOKENS.splunk}`, {
      "Content-Encoding": "gzip",
    }],
  ];
  for (const [label, body, headers] of cases) {
    const merged: Record<string, string | null> = {
      "Content-Type": "application/json",
      Authorization: `Bearer ${INGEST_TOKEN}`,
      ...headers,
    };
    const response = await app.request("/events", {
      method: "POST",
      body,
      headers: Object.fromEntries(
        Object.entries(merged).filter((entry): entry is [string, string] =>
          entry[1] !== null
        ),
      ),
    });
    const text = await response.text();
    assert.ok(response.status >= 400, `${label}: answered ${response.status}`);
    assertNoSecret(
      `${response.status} ${JSON.stringify([...response.headers])} ${text}`,
      `POST /events, ${label}`,
    );
  }
  for (const method of ["GET", "PUT", "DELETE"]) {
    const response = await app.request(`/events?token=${INGEST_TOKEN}`, {
      method,
      headers: { Authorization: `Bearer ${INGEST_TOKEN}` },
    });
    assertNoSecret(await response.text(), `${method} /events`);
  }
  const missing = await app.request(`/${INGEST_TOKEN}`, {
    headers: { Authorization: `Bearer ${INGEST_TOKEN}` },
  });
  assertNoSecret(await missing.text(), "unknown route");
  for (const text of await ingestAnswers(app)) {
    assertNoSecret(text, "ingest answers");
  }
  assertNoSecret(logger.lines.join("\n"), "logger");
  assertNoSecret(JSON.stringify(integrator.getStats()), "getStats()");
});

// ---------------------------------------------------------------------------
// OpenSearch on AWS: two more secrets (the secret access key, the session token)

function awsConfig(
  endpoint: string,
  extra: Partial<SIEMConfigInput> = {},
): SIEMConfigInput {
  return {
    ...configFor("opensearch", endpoint),
    token: "",
    username: undefined,
    allowInsecureHttp: true,
    aws: {
      region: "eu-west-1",
      service: "aoss",
      accessKeyId: "ASIAFAKE0123456789",
      secretAccessKey: AWS_SECRET_KEY,
      sessionToken: AWS_SESSION_TOKEN,
    },
    ...extra,
  };
}

for (const status of [403, 400, 500]) {
  Deno.test(`opensearch with SigV4 answering ${status} with a body echoing the secret access key and the session token: neither in any output`, async () => {
    // A debugging proxy that dumps what it knows; each secret in several forms.
    const echo = [
      AWS_SECRET_KEY,
      AWS_SESSION_TOKEN,
      encodeURIComponent(AWS_SECRET_KEY),
      AWS_SESSION_TOKEN.replaceAll("-", "\\u002d"),
      btoa(AWS_SECRET_KEY),
    ].join(" ");
    await using receiver = startEchoReceiver(() =>
      json(status, {
        error: {
          type: "security_exception",
          reason: `denied: key ${echo}`,
        },
        status,
      })
    );
    const logger = new MemoryLogger();
    const letters: DeadLetter[] = [];
    const integrator = new SIEMIntegrator([awsConfig(receiver.url)], {
      autoFlush: false,
      logger,
      onDeadLetter: (letter) => void letters.push(letter),
    });
    const results = await integrator.exportEvents(events(2, "aws"));
    assert.match(
      receiver.requests[0]?.authorization ?? "",
      /^AWS4-HMAC-SHA256 Credential=ASIAFAKE0123456789\//,
    );
    const outputs = await collectOutputs(integrator, logger, letters, results);
    for (const [where, text] of Object.entries(outputs)) {
      assertNoSecret(text, where);
      assertNoTokenPiece(text, AWS_SECRET_KEY, where);
      assertNoTokenPiece(text, AWS_SESSION_TOKEN, where);
    }
    assert.match(
      `${outputs["ExportResult"]}\n${outputs["logger"]}`,
      /\[redacted\]/,
    );
  });
}

Deno.test("opensearch with SigV4: timeouts, network errors and config errors never quote an AWS secret", async () => {
  const logger = new MemoryLogger();
  const integrator = new SIEMIntegrator([
    awsConfig("http://127.0.0.1:1"),
  ], { autoFlush: false, logger });
  const results = await integrator.exportEvents(events(2, "refused"));
  assert.match(results[0]?.error ?? "", /network error/);
  const outputs = await collectOutputs(integrator, logger, [], results);
  for (const [where, text] of Object.entries(outputs)) {
    assertNoSecret(text, where);
  }
  const bad: Partial<SIEMConfigInput>[] = [
    { batchSize: 5000 },
    { endpoint: "http://siem.example.com", allowInsecureHttp: false },
    { token: "also-a-password" },
    { platform: "elasticsearch" },
  ];
  for (const extra of bad) {
    const config = awsConfig("https://siem.example.com", extra);
    for (
      const attempt of [
        () => parseSIEMConfig(config),
        () => createExporter(config),
        () => new SIEMIntegrator([config]),
      ]
    ) {
      assert.throws(attempt, (error: Error) => {
        assertNoSecret(errorText(error), JSON.stringify(extra));
        return error.name === "SIEMConfigError";
      });
    }
  }
  // A secret that breaks a rule is refused without being quoted.
  for (
    const aws of [
      { secretAccessKey: `${AWS_SECRET_KEY} ` },
      { sessionToken: `${AWS_SESSION_TOKEN}\n` },
    ]
  ) {
    const config = awsConfig("https://siem.example.com");
    const broken = { ...config, aws: { ...config.aws!, ...aws } };
    assert.throws(() => parseSIEMConfig(broken), (error: Error) => {
      assertNoSecret(errorText(error), Object.keys(aws).join());
      return error.name === "SIEMConfigError";
    });
  }
});

// ---------------------------------------------------------------------------
// Every other way a text from outside reaches an output: a network error's
// text, a redirect's Location, in the exporter and in the doctor.

/**
 * The part of a credential header that is secret ("Splunk x" → "x"). Of
 * Basic's base64 of `user:password`, the characters that encode only
 * password bytes: the group that mixes the user name's last bytes with the
 * password's first ones says next to nothing of either.
 */
function secretPart(headerValue: string): string {
  const value = headerValue.split(" ").at(-1) ?? headerValue;
  if (!headerValue.startsWith("Basic ")) return value;
  const userBytes = atob(value).indexOf(":") + 1;
  return value.slice(Math.ceil(userBytes / 3) * 4);
}

/** The credential header a request carries, or "". */
function credentialOf(init: RequestInit | undefined): string {
  const headers = new Headers(init?.headers);
  return headers.get("authorization") ?? headers.get("dd-api-key") ?? "";
}

/**
 * A `fetch` that fails the way Node's does (a TypeError "fetch failed" with
 * the detail in `cause`), the detail quoting the request's credential as a
 * fetch wrapper or an instrumented fetch may; requests without a credential
 * go to `passTo` when given.
 */
function fetchFailingWith(
  echoed: string[],
  passTo?: typeof fetch,
): typeof fetch {
  return (input, init) => {
    const credential = credentialOf(init);
    if (credential === "" && passTo) return passTo(input, init);
    echoed.push(credential);
    return Promise.reject(
      new TypeError("fetch failed", {
        cause: new Error(
          `socket hang up while sending POST with headers {"authorization":"${credential}"}`,
        ),
      }),
    );
  };
}

/** Fails when any output holds a secret, or the echoed credential in any usual encoding. */
function assertNothingEchoed(
  outputs: Record<string, string>,
  echoed: readonly string[],
): void {
  assert.ok(echoed.length > 0, "no credential was echoed: nothing tested");
  for (const [where, text] of Object.entries(outputs)) {
    assertNoSecret(text, where);
    for (const credential of new Set(echoed)) {
      const secret = secretPart(credential);
      assertNoTokenPiece(text, secret, where);
      assertNoTokenPiece(text, encodeURIComponent(secret), where);
    }
  }
}

for (const platform of PLATFORMS) {
  Deno.test(`${platform}: a network error whose cause quotes the credential (Node's "fetch failed" shape): no output holds it, the reason says [redacted]`, async () => {
    const echoed: string[] = [];
    const logger = new MemoryLogger();
    const integrator = new SIEMIntegrator([
      configFor(platform, "https://siem.example.com"),
    ], { autoFlush: false, logger, fetch: fetchFailingWith(echoed) });
    const results = await integrator.exportEvents(events(2, "echoing-fetch"));
    assert.match(
      results[0]?.error ?? "",
      /network error: fetch failed: socket hang up .*\[redacted\]/,
    );
    assertNothingEchoed(
      await collectOutputs(integrator, logger, [], results),
      echoed,
    );
  });

  Deno.test(`${platform}: a redirect whose Location carries the credential (a login gateway): not followed, and the reason quotes it [redacted]`, async () => {
    const echoed: string[] = [];
    await using gateway = startEchoReceiver((credential) => {
      echoed.push(credential);
      return new Response(null, {
        status: 302,
        headers: {
          location: `https://login.example.com/sso?state=${
            encodeURIComponent(credential)
          }`,
        },
      });
    });
    const logger = new MemoryLogger();
    const integrator = new SIEMIntegrator([configFor(platform, gateway.url)], {
      autoFlush: false,
      logger,
    });
    const results = await integrator.exportEvents(events(2, "redirect-echo"));
    assert.match(
      results[0]?.error ?? "",
      /redirect \(HTTP 302\) to https:\/\/login\.example\.com\/sso\?state=.*\[redacted\]/,
    );
    assertNothingEchoed(
      await collectOutputs(integrator, logger, [], results),
      echoed,
    );
  });

  // What the platform's doctor asks before any credential is sent (Splunk's
  // health, Datadog's intake) gets a healthy answer; what carries the
  // credential meets the gateway.
  const beforeCredential = (request: { path: string }): Response =>
    request.path.endsWith("/services/collector/health")
      ? json(200, { text: "HEC is healthy", code: 17 })
      : json(202, {});

  Deno.test(`${platform} doctor: a redirect whose Location carries the credential is reported with it [redacted]`, async () => {
    const echoed: string[] = [];
    await using gateway = startEchoReceiver((credential, request) => {
      if (credential === "") return beforeCredential(request);
      echoed.push(credential);
      return new Response(null, {
        status: 302,
        headers: {
          location: `https://login.example.com/sso?state=${
            encodeURIComponent(credential)
          }`,
        },
      });
    });
    const diagnosis = await checkDestination(configFor(platform, gateway.url));
    assert.equal(diagnosis.canDeliver, false);
    const failed = diagnosis.checks.filter((check) => check.status === "fail");
    assert.equal(failed.length, 1, JSON.stringify(diagnosis.checks));
    assert.match(
      failed[0]!.message,
      /redirects \(HTTP 302\) to https:\/\/login\.example\.com\/sso\?state=.*\[redacted\]/,
    );
    assertNothingEchoed({ diagnosis: JSON.stringify(diagnosis) }, echoed);
  });

  Deno.test(`${platform} doctor: a network error whose cause quotes the credential is reported with it [redacted]`, async () => {
    const echoed: string[] = [];
    await using server = startEchoReceiver((_credential, request) =>
      beforeCredential(request)
    );
    const diagnosis = await checkDestination(configFor(platform, server.url), {
      fetch: fetchFailingWith(echoed, fetch),
    });
    assert.equal(diagnosis.canDeliver, false);
    const failed = diagnosis.checks.filter((check) => check.status === "fail");
    assert.equal(failed.length, 1, JSON.stringify(diagnosis.checks));
    assert.match(
      failed[0]!.message,
      /fetch failed: socket hang up .*\[redacted\]/,
    );
    assertNothingEchoed({ diagnosis: JSON.stringify(diagnosis) }, echoed);
  });
}

for (const platform of PLATFORMS) {
  Deno.test(`${platform}: Exporter.send() with a network error quoting the credential: the verdict's reason has it [redacted]`, async () => {
    const echoed: string[] = [];
    const exporter = createExporter(
      configFor(platform, "https://siem.example.com"),
    );
    const { verdict, status } = await exporter.send(
      [toSIEMEvent(parseAuditEvent(events(1, "send")[0]!))],
      { fetch: fetchFailingWith(echoed) },
    );
    assert.equal(status, 0);
    assert.equal(verdict.kind, "retry");
    assert.match(
      (verdict as { reason: string }).reason,
      /^network error: fetch failed: socket hang up .*\[redacted\]/,
    );
    assertNothingEchoed({ verdict: JSON.stringify(verdict) }, echoed);
  });
}

Deno.test("doctor --send-test-event: a network error quoting the credential on the test event is reported [redacted]", async () => {
  await using hec = startFakeSplunk({ token: SIEM_TOKENS.splunk });
  const echoed: string[] = [];
  const failTestEvent = fetchFailingWith(echoed);
  const decoder = new TextDecoder();
  // The doctor's probes reach HEC; the test event's request fails.
  const doFetch: typeof fetch = (input, init) => {
    const body = init?.body;
    const text = typeof body === "string"
      ? body
      : body instanceof Uint8Array
      ? decoder.decode(body)
      : "";
    return text.includes(TEST_EVENT_ACTION)
      ? failTestEvent(input, init)
      : fetch(input, init);
  };
  const diagnosis = await checkDestination(configFor("splunk", hec.url), {
    fetch: doFetch,
    sendTestEvent: true,
  });
  assert.equal(diagnosis.canDeliver, false);
  const failed = diagnosis.checks.filter((check) => check.status === "fail");
  assert.equal(failed.length, 1, JSON.stringify(diagnosis.checks));
  assert.equal(failed[0]!.step, "test_event");
  assert.match(
    failed[0]!.message,
    /fetch failed: socket hang up .*\[redacted\]/,
  );
  assertNothingEchoed({ diagnosis: JSON.stringify(diagnosis) }, echoed);
});
