import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import { startFakeElasticsearch } from "../../fakes/fake_elasticsearch.ts";
import {
  postNdjson,
  serverCommand,
  startServerProcess,
  waitForStats,
} from "./subprocess_server.ts";

const TOKEN = "server-test-token-0123456789";
Deno.test("deno task start with no SIEM writes accepted events to a local NDJSON file", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const server = await startServerProcess({
      INGEST_TOKENS: TOKEN,
      DATA_DIR: dataDir,
    });
    assert.ok(
      server.lines.some((l) => l.includes("no SIEM configured: events go to")),
    );
    assert.equal(server.lines.join("\n").includes(TOKEN), false);
    const events = realisticEvents(3);
    assert.equal(await postNdjson(server.url, TOKEN, events), 202);
    assert.equal(await server.stop("SIGTERM"), 0);
    const files = [...Deno.readDirSync(dataDir)].map((entry) => entry.name);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^events-\d{4}-\d\d-\d\d\.ndjson$/);
    const lines = (await Deno.readTextFile(`${dataDir}/${files[0]}`)).trim()
      .split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((e) => e.event_id),
      events.map((e) => e.event_id),
    );
    assert.equal(lines[0].source, "harombe");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("deno task start forwards to a configured SIEM and flushes on SIGINT", async () => {
  await using es = startFakeElasticsearch({ apiKey: "es-key-for-server-test" });
  const dataDir = await Deno.makeTempDir();
  try {
    const server = await startServerProcess({
      INGEST_TOKENS: `old-token-abcdefghijklmnop,${TOKEN}`,
      DATA_DIR: dataDir,
      SIEM_DESTINATIONS: JSON.stringify([{
        platform: "elasticsearch",
        endpoint: es.url,
        token: "es-key-for-server-test",
        // Long enough that only the graceful stop can send the events.
        flushIntervalMs: 300_000,
      }]),
    });
    assert.ok(
      server.lines.some((l) => l.includes("forwarding to: elasticsearch")),
    );
    assert.ok(server.lines.some((l) => l.includes("durable spool: Deno KV")));
    const events = realisticEvents(5);
    assert.equal(await postNdjson(server.url, TOKEN, events), 202);
    // The 202 means stored; the lease holder loads them into the
    // destination a moment later. Signal only once it has (its own count
    // says so), so that the assertion below does not race the loading:
    // events still in the outbox at SIGINT stay stored for the next start.
    await waitForStats(
      server.url,
      TOKEN,
      (stats) => stats.perDestination.elasticsearch?.eventsReceived === 5,
      "the spool to load the 5 events",
    );
    assert.equal(es.documents.length, 0);
    assert.equal(await server.stop("SIGINT"), 0);
    assert.deepEqual(
      es.documents.map((d) => d.id),
      events.map((e) => e.event_id),
    );
    // The durable spool lives under the data directory; nothing was left
    // undelivered.
    const names = [...Deno.readDirSync(dataDir)].map((entry) => entry.name);
    assert.ok(names.includes("spool.sqlite"), names.join(","));
    assert.equal(names.some((name) => name.startsWith("undelivered")), false);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("deno task start with SPOOL=memory saves the events it could not deliver on stop", async () => {
  await using es = startFakeElasticsearch({});
  es.down({ status: 503 });
  const dataDir = await Deno.makeTempDir();
  try {
    const server = await startServerProcess({
      INGEST_TOKENS: TOKEN,
      DATA_DIR: dataDir,
      SIEM_ELASTICSEARCH_URL: es.url,
      STOP_TIMEOUT_MS: "300",
      SPOOL: "memory",
    });
    const events = realisticEvents(2);
    assert.equal(await postNdjson(server.url, TOKEN, events), 202);
    // The destination answers 503 until the 300 ms stop deadline passes.
    assert.equal(await server.stop("SIGTERM"), 0);
    const saved = [...Deno.readDirSync(dataDir)].map((entry) => entry.name);
    assert.equal(saved.length, 1);
    assert.match(saved[0]!, /^undelivered-.*\.ndjson$/);
    const lines = (await Deno.readTextFile(`${dataDir}/${saved[0]}`)).trim()
      .split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((l) => [l.destination, l.event.event_id]),
      events.map((e) => ["elasticsearch", e.event_id]),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("deno task start refuses to start without an ingest token", async () => {
  const process = serverCommand({});
  const { code, stderr } = await process.output();
  assert.equal(code, 1);
  assert.match(new TextDecoder().decode(stderr), /no token given/);
});

Deno.test("deno task start on SIGTERM delivers the stored backlog to a SIEM that is back, then says none is left", async () => {
  await using es = startFakeElasticsearch({});
  es.down({ status: 503 });
  const dataDir = await Deno.makeTempDir();
  try {
    const server = await startServerProcess({
      INGEST_TOKENS: TOKEN,
      DATA_DIR: dataDir,
      SIEM_DESTINATIONS: JSON.stringify([{
        platform: "elasticsearch",
        endpoint: es.url,
        batchSize: 200,
        retryDelayMs: 50,
        maxRetries: 0,
      }]),
      STOP_TIMEOUT_MS: "60000",
    });
    // A backlog far larger than the few batches the spool loads (800).
    const events = realisticEvents(6000, 31);
    for (let i = 0; i < events.length; i += 1000) {
      assert.equal(
        await postNdjson(server.url, TOKEN, events.slice(i, i + 1000)),
        202,
      );
    }
    es.down(null);
    assert.equal(await server.stop("SIGTERM"), 0);
    assert.equal(new Set(es.documents.map((d) => d.id)).size, 6000);
    assert.ok(
      server.lines.some((l) =>
        l.includes("stopped: the spool holds no undelivered event")
      ),
      server.lines.join("\n"),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("deno task start on SIGTERM counts, per destination, what stays stored in the spool", async () => {
  await using es = startFakeElasticsearch({});
  es.down({ status: 503 });
  const dataDir = await Deno.makeTempDir();
  try {
    const server = await startServerProcess({
      INGEST_TOKENS: TOKEN,
      DATA_DIR: dataDir,
      SIEM_ELASTICSEARCH_URL: es.url,
      STOP_TIMEOUT_MS: "300",
    });
    const events = realisticEvents(3000, 32);
    for (let i = 0; i < events.length; i += 1000) {
      assert.equal(
        await postNdjson(server.url, TOKEN, events.slice(i, i + 1000)),
        202,
      );
    }
    // The destination answers 503 until the 300 ms stop deadline passes:
    // all 3000 stay stored, not only the few loaded in memory.
    assert.equal(await server.stop("SIGTERM"), 0);
    assert.ok(
      server.lines.some((l) =>
        l.includes(
          "undelivered events stored in the spool for the next start: elasticsearch 3000",
        )
      ),
      server.lines.join("\n"),
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
