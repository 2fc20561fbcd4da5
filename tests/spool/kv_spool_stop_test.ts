import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { MemoryLogger, startReceivers } from "../support/receivers.ts";
import { waitFor } from "../support/fake_clock.ts";

// stop() with a healthy SIEM goes on delivering the stored backlog, far
// beyond the few batches loaded in memory, until the deadline; what stays
// stored is counted per destination.

const KEY = "stop-test-es-key";
const TOTAL = 3000;

function config(url: string): SIEMConfigInput {
  // 100 events a batch: the spool loads at most 4 batches (400 events).
  return {
    platform: "elasticsearch",
    endpoint: url,
    token: KEY,
    batchSize: 100,
    flushIntervalMs: 60_000,
    maxRetries: 0,
  };
}

async function storedCount(kv: Deno.Kv): Promise<bigint> {
  const entry = await kv.get<Deno.KvU64>([
    "harombe-siem",
    "count",
    "elasticsearch",
  ]);
  return entry.value?.value ?? 0n;
}

Deno.test("KvSpool.stop() delivers the stored backlog beyond what is loaded, until none is left", async () => {
  await using es = startFakeElasticsearch({ apiKey: KEY });
  const kv = await Deno.openKv(":memory:");
  try {
    const spool = new KvSpool(kv, [config(es.url)], {
      logger: new MemoryLogger(),
      pollMs: 50,
    });
    const events = realisticEvents(TOTAL, 41).map((e) => parseAuditEvent(e));
    for (let i = 0; i < TOTAL; i += 500) {
      await spool.accept(events.slice(i, i + 500));
    }
    spool.start();
    const report = await spool.stop({ timeoutMs: 60_000 });
    assert.equal(es.documents.length, TOTAL);
    assert.deepEqual(report.stored, { elasticsearch: 0 });
    assert.equal(await storedCount(kv), 0n);
  } finally {
    kv.close();
  }
});

Deno.test("KvSpool.stop() counts what stays stored per destination when the deadline cuts the drain short", async () => {
  await using es = startFakeElasticsearch({ apiKey: KEY });
  // A slow SIEM: each request waits 40 ms before it is sent.
  const slow: typeof fetch = async (input, init) => {
    await new Promise((resolve) => setTimeout(resolve, 40));
    return await fetch(input, init);
  };
  const kv = await Deno.openKv(":memory:");
  try {
    const spool = new KvSpool(kv, [config(es.url)], {
      logger: new MemoryLogger(),
      pollMs: 50,
      fetch: slow,
    });
    const events = realisticEvents(TOTAL, 42).map((e) => parseAuditEvent(e));
    for (let i = 0; i < TOTAL; i += 500) {
      await spool.accept(events.slice(i, i + 500));
    }
    spool.start();
    const report = await spool.stop({ timeoutMs: 600 });
    const stored = report.stored.elasticsearch!;
    assert.ok(stored > 0, `stored ${stored}`);
    assert.equal(BigInt(stored), await storedCount(kv));
    // The count is of storage, not of memory: more than was loaded.
    assert.ok(stored > report.undeliveredCount, `${stored}`);
    // Nothing is counted as stored that the SIEM was not shown to lack.
    assert.ok(stored >= TOTAL - es.documents.length);
    assert.ok(es.documents.length > 400, `${es.documents.length} delivered`);
  } finally {
    kv.close();
  }
});

Deno.test("KvSpool.stop() takes no lease freed while it drains: another instance's destination stays stored", async () => {
  await using siems = startReceivers();
  const kv = await Deno.openKv(":memory:");
  try {
    const [splunk, elasticsearch] = siems.configs({
      batchSize: 10,
      flushIntervalMs: 60_000,
      maxRetries: 0,
    });
    // Every Splunk request takes 100 ms: the drain lasts a second or more.
    const slow: typeof fetch = async (input, init) => {
      if (
        String(input instanceof Request ? input.url : input).startsWith(
          siems.splunk.url,
        )
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return await fetch(input, init);
    };
    const spool = new KvSpool(kv, [splunk!, elasticsearch!], {
      logger: new MemoryLogger(),
      fetch: slow,
      pollMs: 20,
      leaseMs: 5000,
      instanceId: "stopping",
    });
    const events = realisticEvents(100, 43).map((e) => parseAuditEvent(e));
    await spool.accept(events);
    // Another instance holds Elasticsearch's lease, and gives it up while
    // this one is draining Splunk.
    const lease = ["harombe-siem", "lease", "elasticsearch"];
    await kv.set(lease, { owner: "other", expiresAt: Date.now() + 60_000 });
    spool.start();
    const stopping = spool.stop({ timeoutMs: 30_000 });
    await waitFor(() => siems.splunk.requests.length >= 1, 10_000, "drain");
    await kv.delete(lease);
    const report = await stopping;
    assert.equal(siems.splunk.events.length, 100);
    // A stopping instance renews what it holds and takes nothing new: the
    // lapsed lease is for the next instance, which delivers what is stored.
    assert.equal(siems.elasticsearch.documents.length, 0);
    assert.deepEqual(report.stored, { splunk: 0, elasticsearch: 100 });
  } finally {
    kv.close();
  }
});
