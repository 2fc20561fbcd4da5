/**
 * The http destination's secrets never leave through an output: secret
 * header values (Authorization, X-API-Key, a header the user marks secret)
 * and the token a Sumo Logic HTTP Source URL embeds. Receivers echo them
 * back in every form a debugging proxy would (the headers, the request
 * URL, a redirect's Location), and every output is searched: logger lines,
 * ExportResult, stats, dead letters, stop reports, /metrics, /stats and
 * /health, the doctor's diagnosis, and thrown errors.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { AuditEventInput } from "../../src/events/audit_event.ts";
import type { DeadLetter } from "../../src/delivery/export_result.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import { formatDiagnosis } from "../../src/doctor/format.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import { MemoryLogger } from "../support/receivers.ts";

const INGEST_TOKEN = "ingest-SECRET-0123456789abcdef";
const API_KEY = "apikey-SECRET-9f8e7d6c5b4a";
const HOOK_SECRET = "hook-SECRET-1a2b3c4d5e6f";
const BEARER = "bearer-SECRET-0f1e2d3c4b5a";
const SUMO_CODE = "SumoSECRETcode0123456789ABCDEFabcdef==";

/** A receiver that answers with `respond(url, headers)`; its URL path is free. */
function startReceiver(
  respond: (url: URL, headers: Headers, index: number) => Response,
): { url: string; count: () => number } & AsyncDisposable {
  const shutdown = new AbortController();
  let count = 0;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: shutdown.signal,
    onListen(): void {},
  }, async (request) => {
    await request.arrayBuffer();
    return respond(new URL(request.url), request.headers, count++);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    count: () => count,
    async [Symbol.asyncDispose](): Promise<void> {
      shutdown.abort();
      await server.finished;
    },
  };
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

/** Fails when `text` holds any 10-character piece of `secret`. */
function assertNoPiece(text: string, secret: string, where: string): void {
  for (let i = 0; i + 10 <= secret.length; i++) {
    const piece = secret.slice(i, i + 10);
    const at = text.indexOf(piece);
    assert.equal(
      at,
      -1,
      `${where} holds ${JSON.stringify(piece)} of a secret: ${
        JSON.stringify(text.slice(Math.max(0, at - 80), at + 80))
      }`,
    );
  }
}

async function outputsOf(
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

function base(endpoint: string): Partial<SIEMConfigInput> {
  return {
    platform: "http",
    endpoint,
    maxRetries: 0,
    retryDelayMs: 10,
    maxRetryDelayMs: 10,
    timeoutMs: 1000,
  };
}

// Everything the request carried, in the forms a proxy's debug page or an
// error body may show it.
function echo(url: URL, headers: Headers): string {
  const all = [...headers].map(([k, v]) => `${k}: ${v}`).join("; ");
  return `you sent ${url.href} ${encodeURIComponent(url.pathname)} ${all} ${
    btoa(all)
  }`;
}

for (const status of [401, 403, 400, 422, 500, 200]) {
  Deno.test(`http answering ${status} with a body echoing every secret header: none in any output`, async () => {
    await using receiver = startReceiver((url, headers) =>
      status === 200
        // A proxy's debugging page: not success, and full of secrets.
        ? new Response(`<html><body>${echo(url, headers)}</body></html>`, {
          status,
          headers: { "content-type": "text/html" },
        })
        : new Response(JSON.stringify({ error: echo(url, headers) }), {
          status,
          headers: { "content-type": "application/json" },
        })
    );
    const logger = new MemoryLogger();
    const letters: DeadLetter[] = [];
    const integrator = new SIEMIntegrator([{
      ...base(`${receiver.url}/hook`),
      token: BEARER,
      http: {
        headers: { "X-API-Key": API_KEY, "X-Hook-Secret": HOOK_SECRET },
        secretHeaders: ["x-hook-secret"],
      },
    } as SIEMConfigInput], {
      autoFlush: false,
      logger,
      onDeadLetter: (letter) => void letters.push(letter),
    });
    const results = await integrator.exportEvents(events(2, "hdr"));
    assert.ok(receiver.count() > 0);
    const outputs = await outputsOf(integrator, logger, letters, results);
    for (const [where, text] of Object.entries(outputs)) {
      for (const secret of [API_KEY, HOOK_SECRET, BEARER, INGEST_TOKEN]) {
        assertNoPiece(text, secret, where);
      }
    }
    // The echo did reach the outputs, redacted.
    assert.match(
      `${outputs["ExportResult"]}${outputs["dead letters"]}`,
      /\[redacted\]/,
    );
  });
}

for (const status of [401, 400, 503]) {
  Deno.test(`sumo_logic answering ${status} with a body echoing the request URL: the URL's token is in no output, the host is`, async () => {
    await using receiver = startReceiver((url, headers) =>
      new Response(`refused ${echo(url, headers)}`, {
        status,
        headers: { "content-type": "text/plain" },
      })
    );
    const logger = new MemoryLogger();
    const letters: DeadLetter[] = [];
    const integrator = new SIEMIntegrator([{
      ...base(`${receiver.url}/receiver/v1/http/${SUMO_CODE}`),
      http: { preset: "sumo_logic" },
    } as SIEMConfigInput], {
      autoFlush: false,
      logger,
      onDeadLetter: (letter) => void letters.push(letter),
    });
    const results = await integrator.exportEvents(events(2, "sumo"));
    const outputs = await outputsOf(integrator, logger, letters, results);
    for (const [where, text] of Object.entries(outputs)) {
      assertNoPiece(text, SUMO_CODE, where);
    }
    assert.match(
      `${outputs["ExportResult"]}${outputs["dead letters"]}`,
      /\[redacted\]/,
    );
  });
}

Deno.test("sumo_logic: a redirect, a refused connection and a timeout never show the URL's token", async () => {
  await using redirecting = startReceiver((url) =>
    new Response(null, {
      status: 302,
      headers: { location: `https://elsewhere.example.com${url.pathname}` },
    })
  );
  await using hanging = startReceiver(() =>
    new Response(
      new ReadableStream({
        start(): void {},
      }),
      { status: 200 },
    )
  );
  const logger = new MemoryLogger();
  const path = `/receiver/v1/http/${SUMO_CODE}`;
  const integrator = new SIEMIntegrator(
    [
      `${redirecting.url}${path}`,
      `http://127.0.0.1:1${path}`,
      `${hanging.url}${path}`,
    ].map((endpoint, i) => ({
      ...base(endpoint),
      name: `sumo-${i}`,
      http: { preset: "sumo_logic" },
    } as SIEMConfigInput)),
    { autoFlush: false, logger },
  );
  const results = await integrator.exportEvents(events(1, "net"));
  const errors = results.map((r) => r.error ?? "").join("\n");
  assert.match(errors, /redirect/);
  assert.match(errors, /network error/);
  assert.match(errors, /timed out/);
  const outputs = await outputsOf(integrator, logger, [], results);
  for (const [where, text] of Object.entries(outputs)) {
    assertNoPiece(text, SUMO_CODE, where);
  }
});

Deno.test("sumo_logic and secret headers: config errors and the doctor never quote the URL's token or a header value", async () => {
  const sumo = {
    platform: "http",
    endpoint:
      `https://endpoint9.collection.sumologic.com/receiver/v1/http/${SUMO_CODE}`,
    http: { preset: "sumo_logic" },
  } as SIEMConfigInput;
  for (
    const bad of [
      { batchSize: 5000 },
      { maxBatchBytes: 5_000_000 },
      { endpoint: `${sumo.endpoint}#x` },
      { endpoint: `${sumo.endpoint}?x=1` },
      {
        http: {
          preset: "sumo_logic",
          headers: { "X-API-Key": `${API_KEY}\n` },
        },
      },
      { http: { preset: "sumo_logic", headers: { "Content-Type": API_KEY } } },
    ] as Partial<SIEMConfigInput>[]
  ) {
    assert.throws(
      () => parseSIEMConfig({ ...sumo, ...bad }),
      (error: Error) => {
        const text = `${error.message}\n${
          JSON.stringify(error)
        }\n${error.stack}`;
        assertNoPiece(text, SUMO_CODE, JSON.stringify(Object.keys(bad)));
        assertNoPiece(text, API_KEY, JSON.stringify(Object.keys(bad)));
        return error.name === "SIEMConfigError";
      },
    );
  }
  // The doctor against a refused connection and a 401 echoing the URL.
  await using receiver = startReceiver((url, headers) =>
    new Response(`denied ${echo(url, headers)}`, { status: 401 })
  );
  for (
    const endpoint of [
      `http://127.0.0.1:1/receiver/v1/http/${SUMO_CODE}`,
      `${receiver.url}/receiver/v1/http/${SUMO_CODE}`,
    ]
  ) {
    const diagnosis = await checkDestination({
      ...sumo,
      endpoint,
      http: { preset: "sumo_logic", sumoCategory: "x" },
    }, { sendTestEvent: true });
    assert.equal(diagnosis.canDeliver, false);
    const text = `${JSON.stringify(diagnosis)}\n${formatDiagnosis(diagnosis)}`;
    assertNoPiece(text, SUMO_CODE, endpoint);
    assert.match(text, /127\.0\.0\.1/);
  }
  const headers = await checkDestination({
    platform: "http",
    endpoint: `${receiver.url}/hook`,
    http: { headers: { "X-API-Key": API_KEY } },
  }, { sendTestEvent: true });
  assertNoPiece(JSON.stringify(headers), API_KEY, "doctor");
});

Deno.test("http with a credential in its query (?api_key=): an answer echoing the URL leaks no piece of it", async () => {
  const key = "qkey-SECRET-77aa88bb99cc";
  await using receiver = startReceiver((url, headers) =>
    new Response(JSON.stringify({ error: echo(url, headers) }), {
      status: 400,
      headers: { "content-type": "application/json" },
    })
  );
  const logger = new MemoryLogger();
  const letters: DeadLetter[] = [];
  const integrator = new SIEMIntegrator([{
    ...base(`${receiver.url}/hook?team=sec&api_key=${key}`),
  } as SIEMConfigInput], {
    autoFlush: false,
    logger,
    onDeadLetter: (letter) => void letters.push(letter),
  });
  const results = await integrator.exportEvents(events(2, "query"));
  const outputs = await outputsOf(integrator, logger, letters, results);
  for (const [where, text] of Object.entries(outputs)) {
    assertNoPiece(text, key, where);
  }
  assert.match(outputs["dead letters"]!, /team=sec/);
  assert.match(outputs["dead letters"]!, /\[redacted\]/);
});
