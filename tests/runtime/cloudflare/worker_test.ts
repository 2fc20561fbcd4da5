import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import { startFakeElasticsearch } from "../../fakes/fake_elasticsearch.ts";
import { startFakeSplunk } from "../../fakes/fake_splunk.ts";
import { startFakeHttpReceiver } from "../../fakes/fake_http_receiver.ts";
import { createWorker } from "../../../src/runtime/cloudflare/worker.ts";
import { ServerConfigError } from "../../../src/ingest/server_config.ts";
import { statusPage } from "../../../src/ingest/status_page.ts";
import { waitFor } from "../../support/fake_clock.ts";
import { MemoryLogger } from "../../support/receivers.ts";
import { bundle, ensureRuntimeTools, TOOLS } from "../runtime_tools.ts";
import { serveWorker } from "./serve_worker.ts";
import { SENTINEL, startSentinelFakes } from "../../support/sentinel.ts";

const TOKEN = "worker-ingest-token-0123456789";

Deno.test("the Workers entry runs in workerd (Miniflare) and delivers every event it accepts", async () => {
  await ensureRuntimeTools();
  await using es = startFakeElasticsearch({ apiKey: "worker-es-key" });
  await using hec = startFakeSplunk({ token: "worker-hec-token" });
  // The generic HTTP destination, set up by SIEM_HTTP_* alone.
  await using hook = startFakeHttpReceiver({
    framing: "ndjson",
    requiredHeaders: { "x-api-key": "worker-hook-key-0123" },
  });
  const dir = await Deno.makeTempDir();
  try {
    await bundle(
      "src/runtime/cloudflare/worker.ts",
      "browser",
      `${dir}/worker.js`,
    );
    const events = realisticEvents(250, 5);
    await Deno.writeTextFile(
      `${dir}/events.ndjson`,
      events.map((event) => JSON.stringify(event)).join("\n"),
    );
    await Deno.writeTextFile(
      `${dir}/bindings.json`,
      JSON.stringify({
        INGEST_TOKENS: TOKEN,
        SIEM_ELASTICSEARCH_URL: es.url,
        SIEM_ELASTICSEARCH_TOKEN: "worker-es-key",
        SIEM_HTTP_URL: hook.endpoint,
        SIEM_HTTP_HEADERS: JSON.stringify({
          "X-API-Key": "worker-hook-key-0123",
        }),
        SIEM_HTTP_FRAMING: "ndjson",
        SIEM_DESTINATIONS: JSON.stringify([{
          platform: "splunk",
          endpoint: hec.url,
          token: "worker-hec-token",
          compression: "gzip",
        }]),
      }),
    );
    const { code, stdout, stderr } = await new Deno.Command("node", {
      args: [
        new URL("./run_worker.mjs", import.meta.url).pathname,
        TOOLS,
        `${dir}/worker.js`,
        `${dir}/bindings.json`,
        `${dir}/events.ndjson`,
        TOKEN,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const results = JSON.parse(new TextDecoder().decode(stdout));
    assert.deepEqual(
      results.posted.map((
        p: { status: number; body: { accepted: number } },
      ) => [p.status, p.body.accepted]),
      [[202, 100], [202, 100], [202, 50]],
    );
    assert.equal(results.wrongToken.status, 403);
    assert.equal(results.wrongToken.body.error.code, "forbidden");
    assert.equal(results.stats.buffered, 0);
    assert.equal(results.stats.eventsFailed, 0);
    assert.equal(results.health.status, 200);
    assert.equal(results.userAgent.error.code, "not_found");
    assert.deepEqual(
      es.documents.map((d) => d.id).sort(),
      events.map((e) => e.event_id!).sort(),
    );
    assert.equal(hec.events.length, 250);
    assert.deepEqual(
      hook.events.map((e) => e.event_id).sort(),
      events.map((e) => e.event_id!).sort(),
    );
    assert.ok(
      hec.requests.every((r) => r.headers.get("content-encoding") === "gzip"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Sentinel from the SIEM_SENTINEL_* bindings: the Entra token is fetched
// and the rows gzipped by workerd's own fetch and CompressionStream.
Deno.test("the Workers entry delivers to Sentinel from SIEM_SENTINEL_* bindings, with an Entra token, in workerd", async () => {
  await ensureRuntimeTools();
  await using fakes = startSentinelFakes();
  const dir = await Deno.makeTempDir();
  try {
    await bundle(
      "src/runtime/cloudflare/worker.ts",
      "browser",
      `${dir}/worker.js`,
    );
    const events = realisticEvents(250, 9);
    await Deno.writeTextFile(
      `${dir}/events.ndjson`,
      events.map((event) => JSON.stringify(event)).join("\n"),
    );
    await Deno.writeTextFile(
      `${dir}/bindings.json`,
      JSON.stringify({
        INGEST_TOKENS: TOKEN,
        SIEM_SENTINEL_URL: fakes.sentinel.url,
        SIEM_SENTINEL_TENANT_ID: SENTINEL.tenantId,
        SIEM_SENTINEL_CLIENT_ID: SENTINEL.clientId,
        SIEM_SENTINEL_CLIENT_SECRET: SENTINEL.clientSecret,
        SIEM_SENTINEL_DCR_ID: SENTINEL.dcrImmutableId,
        SIEM_SENTINEL_AUTHORITY_HOST: fakes.entra.url,
        SIEM_DESTINATIONS: JSON.stringify([{
          platform: "sentinel",
          endpoint: "http://127.0.0.1:1",
          compression: "gzip",
        }]),
      }),
    );
    const { code, stdout, stderr } = await new Deno.Command("node", {
      args: [
        new URL("./run_worker.mjs", import.meta.url).pathname,
        TOOLS,
        `${dir}/worker.js`,
        `${dir}/bindings.json`,
        `${dir}/events.ndjson`,
        TOKEN,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(stdout);
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const results = JSON.parse(output);
    assert.equal(results.stats.buffered, 0, output);
    assert.equal(results.stats.eventsFailed, 0);
    assert.deepEqual(
      fakes.sentinel.rows.map((row) => row.event_id).sort(),
      events.map((e) => e.event_id!).sort(),
    );
    assert.ok(
      fakes.sentinel.requests.every((r) =>
        r.headers.get("content-encoding") === "gzip"
      ),
    );
    assert.ok(fakes.entra.issuedTokens >= 1);
    assert.equal(output.includes(SENTINEL.clientSecret), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Issue 9.12: without a queue, the flush handed to waitUntil has a deadline
// under Workers' 30 s (FLUSH_DEADLINE_MS): a flush whose request outlives it
// is aborted, its events stay buffered, and the next request's flush
// delivers them. Without the deadline the first flush never settled and
// every later flush waited on it while /events kept answering 202.
Deno.test("the Workers entry in workerd: a flush past its deadline leaves the next request able to deliver", async () => {
  await ensureRuntimeTools();
  await using es = startFakeElasticsearch({ apiKey: "worker-es-key" });
  // The first bulk request is held open (never answered); the next ones
  // are answered as usual.
  es.failNext({ hang: true });
  const dir = await Deno.makeTempDir();
  try {
    await bundle(
      "src/runtime/cloudflare/worker.ts",
      "browser",
      `${dir}/worker.js`,
    );
    await using mf = await serveWorker(`${dir}/worker.js`, {
      bindings: {
        INGEST_TOKENS: TOKEN,
        FLUSH_DEADLINE_MS: "2000",
        SIEM_DESTINATIONS: JSON.stringify([{
          platform: "elasticsearch",
          endpoint: es.url,
          token: "worker-es-key",
          // A request that would outlive the Worker: only the flush
          // deadline ends it.
          timeoutMs: 120_000,
        }]),
      },
    }, dir);
    const post = async (events: unknown[]): Promise<number> => {
      const response = await fetch(`${mf.url}/events`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          "Content-Type": "application/x-ndjson",
        },
        body: events.map((event) => JSON.stringify(event)).join("\n"),
      });
      await response.body?.cancel();
      return response.status;
    };
    const events = realisticEvents(20, 13);
    assert.equal(await post(events.slice(0, 10)), 202);
    await waitFor(() => es.requests.length === 1, 10_000, "the held request");
    // The Worker says when the first flush gave up (its request aborted,
    // its events kept); the next request then hands its own flush to
    // waitUntil.
    const expired = /flush reached its deadline/;
    await waitFor(
      () => expired.test(mf.output()),
      15_000,
      "the first flush's deadline",
    );
    assert.equal(await post(events.slice(10)), 202);
    await waitFor(
      () => es.documents.length === 20,
      15_000,
      "delivery after the first flush's deadline",
    ).catch((error) => {
      throw new Error(`${error.message}\n${mf.output()}`);
    });
    assert.equal(es.requests[0]!.status, 0, "the first request was held");
    assert.deepEqual(
      es.documents.map((d) => d.id).sort(),
      events.map((e) => e.event_id!).sort(),
    );
    // The SIEM stored them before it answered: the Worker counts them once
    // it has read the answer.
    const stats = async (): Promise<Record<string, number>> =>
      await (await fetch(`${mf.url}/stats`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      })).json();
    let last = await stats();
    const until = Date.now() + 10_000;
    while (last.buffered !== 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      last = await stats();
    }
    assert.equal(last.buffered, 0);
    assert.equal(last.eventsExported, 20);
    assert.equal(last.eventsFailed, 0);
    // The status page under workerd: its CSP hashes, computed by workerd's
    // WebCrypto, are those Deno computes.
    const status = await fetch(`${mf.url}/status`);
    assert.equal(status.status, 200);
    assert.match(await status.text(), /<title>harombe-siem status<\/title>/);
    assert.equal(
      status.headers.get("content-security-policy"),
      (await statusPage()).headers["Content-Security-Policy"],
    );
    assert.equal(
      mf.output().match(/flush reached its deadline/g)?.length,
      1,
      "only the first flush reached its deadline",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createWorker({ flushDeadlineMs }) ends the waitUntil flush by its deadline; FLUSH_DEADLINE_MS must stay under 30 s", async () => {
  await using es = startFakeElasticsearch({ apiKey: "worker-es-key" });
  es.failNext({ hang: true });
  const logger = new MemoryLogger();
  const env = {
    INGEST_TOKENS: TOKEN,
    SIEM_DESTINATIONS: JSON.stringify([{
      platform: "elasticsearch",
      endpoint: es.url,
      token: "worker-es-key",
      timeoutMs: 120_000,
    }]),
  };
  const pending: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (promise: Promise<unknown>) => void pending.push(promise),
    passThroughOnException: () => {},
  };
  const request = (seed = 14): Request =>
    new Request("http://worker/events", {
      method: "POST",
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify(realisticEvents(3, seed)),
    });
  const worker = createWorker({ flushDeadlineMs: 100, logger });
  const response = await worker.fetch(request(), env, ctx);
  assert.equal(response.status, 202);
  await response.body?.cancel();
  // A real-time bound, so that a flush without a deadline fails here
  // instead of hanging the suite.
  let bound: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    Promise.all(pending).then(() => "settled"),
    new Promise((resolve) => bound = setTimeout(resolve, 10_000, "hung")),
  ]);
  clearTimeout(bound);
  assert.equal(settled, "settled");
  assert.match(logger.lines.join("\n"), /flush reached its deadline/);
  // The next request's flush delivers the 3 kept events and its own.
  pending.length = 0;
  const next = await worker.fetch(request(15), env, ctx);
  await next.body?.cancel();
  await Promise.all(pending);
  assert.deepEqual(
    es.documents.map((d) => d.id).sort(),
    [...realisticEvents(3, 14), ...realisticEvents(3, 15)]
      .map((e) => e.event_id!).sort(),
  );
  assert.equal(es.requests.length, 2);

  for (const value of ["30000", "0", "soon"]) {
    await assert.rejects(
      async () =>
        await createWorker().fetch(request(), {
          ...env,
          FLUSH_DEADLINE_MS: value,
        }, ctx),
      (error: unknown) =>
        error instanceof ServerConfigError &&
        /FLUSH_DEADLINE_MS must be a whole number of ms from 1 to 29999/.test(
          error.message,
        ),
      value,
    );
  }
});
