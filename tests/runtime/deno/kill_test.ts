// deno-lint-ignore-file no-console
import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
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
