// deno-lint-ignore-file no-console
import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import { startFakeDatadog } from "../../fakes/fake_datadog.ts";
import { startFakeElasticsearch } from "../../fakes/fake_elasticsearch.ts";
import { startFakeSplunk } from "../../fakes/fake_splunk.ts";
import { waitFor } from "../../support/fake_clock.ts";
import { postNdjson, startServerProcess } from "./subprocess_server.ts";

const TOKEN = "kill-test-ingest-token-0123";

function destinations(esUrl: string, hecUrl: string): string {
  const fast = {
    batchSize: 1000,
    flushIntervalMs: 200,
    retryDelayMs: 50,
    maxRetryDelayMs: 500,
    maxRetries: 1,
  };
  return JSON.stringify([
    { platform: "elasticsearch", endpoint: esUrl, token: "kill-es", ...fast },
    { platform: "splunk", endpoint: hecUrl, token: "kill-hec", ...fast },
  ]);
}

function uniqueSplunkIds(events: Array<Record<string, unknown>>): Set<string> {
  return new Set(
    events.map((env) => (env.event as { event_id: string }).event_id),
  );
}

Deno.test("kill test: every event acknowledged before SIGKILL arrives after a restart", async () => {
  await using es = startFakeElasticsearch({ apiKey: "kill-es" });
  await using hec = startFakeSplunk({ token: "kill-hec" });
  es.down({ status: 503 });
  hec.down({ status: 503 });
  const dataDir = await Deno.makeTempDir();
  const env = {
    INGEST_TOKENS: TOKEN,
    DATA_DIR: dataDir,
    SIEM_DESTINATIONS: destinations(es.url, hec.url),
    SPOOL_LEASE_MS: "1000",
    MAX_EVENTS_PER_REQUEST: "1000",
  };
  try {
    const first = await startServerProcess(env);
    const events = realisticEvents(10_000, 11);
    const acknowledged: string[] = [];
    // 100 requests of 100 events, four at a time.
    for (let i = 0; i < events.length; i += 400) {
      const slices = [0, 100, 200, 300].map((o) =>
        events.slice(i + o, i + o + 100)
      );
      const statuses = await Promise.all(
        slices.map((slice) => postNdjson(first.url, TOKEN, slice)),
      );
      statuses.forEach((status, k) => {
        if (status === 202) {
          acknowledged.push(...slices[k]!.map((e) => e.event_id!));
        }
      });
    }
    assert.equal(acknowledged.length, 10_000);
    assert.equal(await first.stop("SIGKILL"), 137);

    es.down(null);
    hec.down(null);
    const second = await startServerProcess(env);
    await waitFor(
      () =>
        es.documents.length >= 10_000 &&
        uniqueSplunkIds(hec.events).size >= 10_000,
      60_000,
      "every acknowledged event",
    );
    assert.equal(await second.stop("SIGTERM"), 0);
    const delivered = new Set(es.documents.map((d) => d.id));
    const missing = acknowledged.filter((id) => !delivered.has(id));
    assert.deepEqual(missing, [], "lost at Elasticsearch");
    const atSplunk = uniqueSplunkIds(hec.events);
    assert.deepEqual(
      acknowledged.filter((id) => !atSplunk.has(id)),
      [],
      "lost at Splunk",
    );
    console.log(
      `kill test: ${acknowledged.length} acknowledged, 0 lost; duplicates ` +
        `received: Splunk ${
          hec.events.length - atSplunk.size
        }, Elasticsearch ` +
        `stored 0 (create with _id)`,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

/**
 * A proxy in front of a fake SIEM that holds each request `delayMs` before
 * passing it on: a slow SIEM, so that a kill lands while batches are in
 * flight and others are being recorded.
 */
function startSlowProxy(target: string): {
  url: string;
  delayMs: number;
  [Symbol.asyncDispose](): Promise<void>;
} {
  const proxy = {
    url: "",
    delayMs: 0,
    async [Symbol.asyncDispose](): Promise<void> {
      await server.shutdown();
    },
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const body = await request.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, proxy.delayMs));
      const url = new URL(request.url);
      const answer = await fetch(`${target}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body,
      });
      return new Response(await answer.arrayBuffer(), {
        status: answer.status,
        headers: answer.headers,
      });
    },
  );
  proxy.url = `http://127.0.0.1:${server.addr.port}`;
  return proxy;
}

/** How many documents the bulk requests carried (each is two lines). */
function bulkDocumentsSent(bodies: Uint8Array[]): number {
  let lines = 0;
  for (const body of bodies) {
    for (const byte of body) if (byte === 10) lines++;
  }
  return lines / 2;
}

Deno.test("kill test during delivery: nothing acknowledged is lost, and a restart resends at most the batches in flight", async () => {
  await using es = startFakeElasticsearch({ apiKey: "kill-es" });
  await using hec = startFakeSplunk({ token: "kill-hec" });
  await using dd = startFakeDatadog({ apiKey: "kill-dd" });
  await using slowEs = startSlowProxy(es.url);
  await using slowHec = startSlowProxy(hec.url);
  await using slowDd = startSlowProxy(dd.url);
  for (const proxy of [slowEs, slowHec, slowDd]) proxy.delayMs = 250;
  // Batches of 5 while killed: a stored group (about 60 KB, some 90
  // events here) spans many, so what a crash resends shows whether batches
  // or whole groups are recorded. The restart sends 500 a batch.
  const BATCH = 5;
  const TOTAL = 20_000;
  const dataDir = await Deno.makeTempDir();
  const envFor = (batchSize: number): Record<string, string> => {
    const fast = {
      batchSize,
      flushIntervalMs: 200,
      retryDelayMs: 50,
      maxRetryDelayMs: 500,
      maxRetries: 1,
      compression: "none",
    };
    return {
      INGEST_TOKENS: TOKEN,
      DATA_DIR: dataDir,
      SIEM_DESTINATIONS: JSON.stringify([
        {
          platform: "elasticsearch",
          endpoint: slowEs.url,
          token: "kill-es",
          ...fast,
        },
        {
          platform: "splunk",
          endpoint: slowHec.url,
          token: "kill-hec",
          ...fast,
        },
        {
          platform: "datadog",
          endpoint: slowDd.url,
          token: "kill-dd",
          maxEventAgeMs: 10 * 365 * 86_400_000,
          ...fast,
        },
      ]),
      SPOOL_LEASE_MS: "1000",
      MAX_EVENTS_PER_REQUEST: "1000",
    };
  };
  const ddIds = (): string[] =>
    dd.logs.map((log) => (log.audit as { event_id: string }).event_id);
  try {
    const first = await startServerProcess(envFor(BATCH));
    const events = realisticEvents(TOTAL, 14);
    for (let i = 0; i < events.length; i += 1000) {
      assert.equal(
        await postNdjson(first.url, TOKEN, events.slice(i, i + 1000)),
        202,
      );
    }
    // Killed while every SIEM is receiving: some delivered, most not.
    await waitFor(
      () =>
        es.documents.length >= 75 &&
        uniqueSplunkIds(hec.events).size >= 75 &&
        new Set(ddIds()).size >= 75,
      60_000,
      "delivery under way",
    );
    assert.equal(await first.stop("SIGKILL"), 137);
    const atKill = {
      es: es.documents.length,
      splunk: uniqueSplunkIds(hec.events).size,
      datadog: new Set(ddIds()).size,
    };
    assert.ok(
      atKill.es < TOTAL && atKill.splunk < TOTAL && atKill.datadog < TOTAL,
      `killed during delivery: ${JSON.stringify(atKill)}`,
    );

    for (const proxy of [slowEs, slowHec, slowDd]) proxy.delayMs = 0;
    const second = await startServerProcess(envFor(500));
    await waitFor(
      () =>
        es.documents.length >= TOTAL &&
        uniqueSplunkIds(hec.events).size >= TOTAL &&
        new Set(ddIds()).size >= TOTAL,
      120_000,
      "every acknowledged event",
    );
    assert.equal(await second.stop("SIGTERM"), 0);
    const ids = events.map((e) => e.event_id!);
    const atEs = new Set(es.documents.map((d) => d.id));
    const atSplunk = uniqueSplunkIds(hec.events);
    const atDd = new Set(ddIds());
    assert.deepEqual(ids.filter((id) => !atEs.has(id)), [], "lost at ES");
    assert.deepEqual(ids.filter((id) => !atSplunk.has(id)), [], "lost at HEC");
    assert.deepEqual(ids.filter((id) => !atDd.has(id)), [], "lost at DD");
    const duplicates = {
      splunk: hec.events.length - atSplunk.size,
      datadog: dd.logs.length - atDd.size,
      // Resent documents, which Elasticsearch answers 409 and stores once.
      elasticsearch: bulkDocumentsSent(
        es.requests.filter((r) => r.path.endsWith("/_bulk")).map((r) => r.body),
      ) - TOTAL,
    };
    console.log(
      `kill test during delivery: ${TOTAL} acknowledged, 0 lost; killed at ` +
        `${JSON.stringify(atKill)} delivered; resent after the restart ` +
        `(batches of ${BATCH}): ${JSON.stringify(duplicates)}`,
    );
    // Each destination has one batch in flight, and each delivered batch
    // is recorded as its answer arrives (the next answer takes the SIEM's
    // 250 ms): a crash resends the batch in flight, and one or two whose
    // record was still being written on a loaded machine; never the
    // delivered part of a stored group (some 18 batches here).
    for (const [name, count] of Object.entries(duplicates)) {
      assert.ok(count <= 3 * BATCH, `${name} resent ${count}`);
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("two servers on one spool deliver every event, each once in the normal case", async () => {
  await using es = startFakeElasticsearch({ apiKey: "kill-es" });
  await using hec = startFakeSplunk({ token: "kill-hec" });
  const dataDir = await Deno.makeTempDir();
  const env = {
    INGEST_TOKENS: TOKEN,
    DATA_DIR: dataDir,
    SIEM_DESTINATIONS: destinations(es.url, hec.url),
    SPOOL_LEASE_MS: "2000",
  };
  try {
    const [a, b] = await Promise.all([
      startServerProcess(env),
      startServerProcess(env),
    ]);
    const events = realisticEvents(3000, 12);
    for (let i = 0; i < events.length; i += 200) {
      const statuses = await Promise.all([
        postNdjson(a.url, TOKEN, events.slice(i, i + 100)),
        postNdjson(b.url, TOKEN, events.slice(i + 100, i + 200)),
      ]);
      assert.deepEqual(statuses, [202, 202]);
    }
    await waitFor(
      () =>
        es.documents.length >= 3000 && uniqueSplunkIds(hec.events).size >= 3000,
      30_000,
      "delivery from both servers",
    );
    assert.deepEqual(
      await Promise.all([a.stop("SIGTERM"), b.stop("SIGTERM")]),
      [
        0,
        0,
      ],
    );
    const duplicates = hec.events.length - uniqueSplunkIds(hec.events).size;
    console.log(
      `two servers: 3000 events, duplicates received at Splunk: ${duplicates}`,
    );
    assert.equal(duplicates, 0);
    assert.equal(es.documents.length, 3000);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("kill test, memory spool: SIGKILL loses what was buffered (why the KV spool is the default)", async () => {
  await using es = startFakeElasticsearch({ apiKey: "kill-es" });
  await using hec = startFakeSplunk({ token: "kill-hec" });
  es.down({ status: 503 });
  hec.down({ status: 503 });
  const dataDir = await Deno.makeTempDir();
  const env = {
    INGEST_TOKENS: TOKEN,
    DATA_DIR: dataDir,
    SIEM_DESTINATIONS: destinations(es.url, hec.url),
    SPOOL: "memory",
  };
  try {
    const first = await startServerProcess(env);
    const events = realisticEvents(500, 13);
    assert.equal(await postNdjson(first.url, TOKEN, events), 202);
    assert.equal(await first.stop("SIGKILL"), 137);
    es.down(null);
    hec.down(null);
    const second = await startServerProcess(env);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await second.stop("SIGTERM"), 0);
    console.log(
      `kill test, memory spool: 500 acknowledged, ${
        500 - es.documents.length
      } lost`,
    );
    assert.equal(es.documents.length, 0);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
