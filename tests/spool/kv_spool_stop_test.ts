import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import type { KvEntryLike, KvKey, KvLike } from "../../src/spool/kv_like.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { MemoryLogger, startReceivers } from "../support/receivers.ts";
import { clockTest, FakeClock } from "../support/fake_clock.ts";
import { advanceBy, advanceUntil } from "../support/fake_clock_io.ts";

// stop() with a healthy SIEM goes on delivering the stored backlog, far
// beyond the few batches loaded in memory, until the deadline; what stays
// stored is counted per destination. The spools run on a fake clock: the
// deadline, the polls and the flush intervals move only when a test says
// so, and the SIEMs' slowness is a gate the test opens, not a delay.

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

clockTest(
  "KvSpool.stop() delivers the stored backlog beyond what is loaded, until none is left",
  async () => {
    await using es = startFakeElasticsearch({ apiKey: KEY });
    const kv = await Deno.openKv(":memory:");
    try {
      // The fake time never moves: the deadline cannot cut the drain, which
      // must end by itself once storage is empty.
      const clock = new FakeClock();
      const spool = new KvSpool(kv, [config(es.url)], {
        logger: new MemoryLogger(),
        pollMs: 50,
        clock,
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
  },
);

clockTest(
  "KvSpool.stop() sends full batches while the next groups are still loading",
  async () => {
    await using es = startFakeElasticsearch({ apiKey: KEY });
    const kv = await Deno.openKv(":memory:");
    // The second listing of the outbox (the first refill) waits until the
    // test lets it go: the destination runs out of loaded events meanwhile,
    // with a part batch left over from the last group it loaded.
    const held = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    let listings = 0;
    const slowKv: KvLike = {
      get: (key) => kv.get(key),
      atomic: () => kv.atomic(),
      list<T = unknown>(
        selector: { prefix: KvKey; start?: KvKey },
        options?: { limit?: number; batchSize?: number },
      ): AsyncIterable<KvEntryLike<T>> {
        const gated = selector.prefix.includes("outbox") && ++listings === 2;
        return (async function* (): AsyncGenerator<KvEntryLike<T>> {
          if (gated) {
            held.resolve();
            await release.promise;
          }
          yield* kv.list<T>(selector, options);
        })();
      },
    };
    try {
      const clock = new FakeClock();
      const spool = new KvSpool(slowKv, [config(es.url)], {
        logger: new MemoryLogger(),
        pollMs: 50,
        clock,
      });
      const events = realisticEvents(TOTAL, 44).map((e) => parseAuditEvent(e));
      for (let i = 0; i < TOTAL; i += 500) {
        await spool.accept(events.slice(i, i + 500));
      }
      spool.start();
      const stopping = spool.stop({ timeoutMs: 60_000 });
      await held.promise;
      // Real time for the drain to go round (it pauses 10 ms of real time
      // between looks) while the loading waits.
      await new Promise((resolve) => setTimeout(resolve, 300));
      release.resolve();
      const report = await stopping;
      assert.equal(es.documents.length, TOTAL);
      assert.deepEqual(report.stored, { elasticsearch: 0 });
      // A stopping spool flushed a part batch when it looked while the
      // refill was loading: only the very last batch may be short.
      const sizes = es.requests
        .filter((r) => r.path.endsWith("/_bulk"))
        .map((r) =>
          new TextDecoder().decode(r.body).split("\n").filter((line) =>
            line !== ""
          ).length / 2
        );
      assert.deepEqual(
        sizes.slice(0, -1).filter((size) => size !== 100),
        [],
        `batch sizes ${sizes.join(",")}`,
      );
    } finally {
      release.resolve();
      kv.close();
    }
  },
);

clockTest(
  "KvSpool.stop() counts what stays stored per destination when the deadline cuts the drain short",
  async () => {
    await using es = startFakeElasticsearch({ apiKey: KEY });
    // A slow SIEM: the sixth request waits until the test lets it go, after
    // the stop deadline has passed (five batches, 500 events, delivered).
    const clock = new FakeClock();
    const held = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    let sent = 0;
    const slow: typeof fetch = async (input, init) => {
      if (++sent === 6) {
        held.resolve();
        await release.promise;
      }
      return await fetch(input, init);
    };
    const kv = await Deno.openKv(":memory:");
    try {
      const spool = new KvSpool(kv, [config(es.url)], {
        logger: new MemoryLogger(),
        pollMs: 50,
        fetch: slow,
        clock,
      });
      const events = realisticEvents(TOTAL, 42).map((e) => parseAuditEvent(e));
      for (let i = 0; i < TOTAL; i += 500) {
        await spool.accept(events.slice(i, i + 500));
      }
      spool.start();
      let stopped = false;
      const stopping = spool.stop({ timeoutMs: 600 }).finally(() => {
        stopped = true;
      });
      await held.promise;
      assert.equal(es.documents.length, 500);
      // The deadline passes while the sixth request is held.
      await clock.advance(600);
      release.resolve();
      // What is left waits on the (passed) deadline's timers: move on.
      await advanceUntil(clock, () => stopped, "stop");
      const report = await stopping;
      const stored = report.stored.elasticsearch!;
      assert.ok(stored > 0, `stored ${stored}`);
      assert.equal(BigInt(stored), await storedCount(kv));
      // The count is of storage, not of memory: more than was loaded.
      assert.ok(stored > report.undeliveredCount, `${stored}`);
      // undeliveredCount counts the events the reports list, not reports.
      const listed = report.destinations.flatMap((d) => d.undelivered);
      assert.ok(listed.length > 1, `${listed.length} listed`);
      assert.equal(report.undeliveredCount, listed.length);
      // Nothing is counted as stored that the SIEM was not shown to lack.
      assert.ok(stored >= TOTAL - es.documents.length);
      assert.ok(es.documents.length > 400, `${es.documents.length} delivered`);
    } finally {
      release.resolve();
      kv.close();
    }
  },
);

clockTest(
  "KvSpool.stop() takes no lease freed while it drains: another instance's destination stays stored",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    const kv = await Deno.openKv(":memory:");
    // Splunk's first request waits until the test lets it go: the drain
    // lasts while the freed lease is there for the taking.
    const held = Promise.withResolvers<void>();
    const release = Promise.withResolvers<void>();
    try {
      const [splunk, elasticsearch] = siems.configs({
        batchSize: 10,
        flushIntervalMs: 60_000,
        maxRetries: 0,
      });
      const slow: typeof fetch = async (input, init) => {
        if (
          String(input instanceof Request ? input.url : input).startsWith(
            siems.splunk.url,
          )
        ) {
          held.resolve();
          await release.promise;
        }
        return await fetch(input, init);
      };
      const spool = new KvSpool(kv, [splunk!, elasticsearch!], {
        logger: new MemoryLogger(),
        fetch: slow,
        pollMs: 20,
        leaseMs: 5000,
        instanceId: "stopping",
        clock,
      });
      const events = realisticEvents(100, 43).map((e) => parseAuditEvent(e));
      await spool.accept(events);
      // Another instance holds Elasticsearch's lease, and gives it up while
      // this one is draining Splunk.
      const lease = ["harombe-siem", "lease", "elasticsearch"];
      await kv.set(lease, { owner: "other", expiresAt: clock.now() + 60_000 });
      spool.start();
      const stopping = spool.stop({ timeoutMs: 30_000 });
      await held.promise;
      await kv.delete(lease);
      // Ten poll rounds while Splunk's drain waits: each could take the
      // lease that is free now.
      await advanceBy(clock, 200);
      release.resolve();
      const report = await stopping;
      assert.equal(siems.splunk.events.length, 100);
      // A stopping instance renews what it holds and takes nothing new: the
      // lapsed lease is for the next instance, which delivers what is stored.
      assert.equal(siems.elasticsearch.documents.length, 0);
      assert.deepEqual(report.stored, { splunk: 0, elasticsearch: 100 });
    } finally {
      release.resolve();
      kv.close();
    }
  },
);
