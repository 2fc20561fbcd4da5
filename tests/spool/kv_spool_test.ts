import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import { IngestError } from "../../src/ingest/ingest_error.ts";
import { KvSpool, type KvSpoolOptions } from "../../src/spool/kv_spool.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { unmappableMetadata } from "../fixtures/unmappable_metadata.ts";
import { clockTest, FakeClock } from "../support/fake_clock.ts";
import { advanceBy, advanceUntil, stopOn } from "../support/fake_clock_io.ts";
import {
  deadLetterSink,
  MemoryLogger,
  startReceivers,
} from "../support/receivers.ts";
import { audit, fast, withKv } from "../support/spool_setup.ts";

const quiet = new MemoryLogger();
const FAST: KvSpoolOptions = {
  logger: quiet,
  leaseMs: 400,
  pollMs: 30,
  stopTimeoutMs: 2000,
};

function esIds(siems: ReturnType<typeof startReceivers>): string[] {
  return siems.elasticsearch.documents.map((d) => d.id);
}

clockTest(
  "KvSpool.accept() stores events before anything is sent; start() delivers them",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const spool = new KvSpool(kv, fast(siems.configs()), { ...FAST, clock });
      const events = audit(30);
      await spool.accept(events.slice(0, 10));
      await spool.accept(events.slice(10));
      assert.equal(siems.splunk.requests.length, 0);
      const counted = await kv.get<Deno.KvU64>([
        "harombe-siem",
        "count",
        "splunk",
      ]);
      assert.equal(counted.value?.value, 30n);
      assert.equal(spool.getStats().perDestination.splunk!.buffered, 30);
      // Each event counted once, whatever the requests and destinations.
      assert.equal(spool.getStats().eventsAccepted, 30);
      spool.start();
      await advanceUntil(
        clock,
        () =>
          siems.splunk.events.length === 30 &&
          siems.elasticsearch.documents.length === 30 &&
          siems.datadog.logs.length === 30,
        "delivery",
      );
      // Batching spans requests: one HEC request carried all 30 events.
      assert.equal(siems.splunk.requests.length, 1);
      await stopOn(clock, spool);
      const left = [];
      for await (
        const entry of kv.list({ prefix: ["harombe-siem", "outbox"] })
      ) {
        left.push(entry.key);
      }
      assert.deepEqual(left, []);
      const after = await kv.get<Deno.KvU64>([
        "harombe-siem",
        "count",
        "splunk",
      ]);
      assert.equal(after.value?.value, 0n);
      assert.equal(spool.getStats().eventsFailed, 0);
    });
  },
);

clockTest(
  "KvSpool keeps each destination's events until it recovers, without delaying the others",
  async () => {
    await using siems = startReceivers();
    siems.elasticsearch.down({ status: 503 });
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const spool = new KvSpool(kv, fast(siems.configs()), { ...FAST, clock });
      spool.start();
      const events = audit(40);
      await spool.accept(events);
      await advanceUntil(
        clock,
        () =>
          siems.splunk.events.length === 40 && siems.datadog.logs.length === 40,
        "healthy destinations",
      );
      assert.equal(siems.elasticsearch.documents.length, 0);
      assert.equal(spool.getStats().perDestination.elasticsearch!.buffered, 40);
      siems.elasticsearch.down(null);
      await advanceUntil(
        clock,
        () => siems.elasticsearch.documents.length === 40,
        "recovery",
      );
      await stopOn(clock, spool);
      assert.deepEqual(
        esIds(siems).sort(),
        events.map((e) => e.event_id).sort(),
      );
      assert.equal(
        siems.splunk.events.length,
        40,
        "no duplicate at the healthy ones",
      );
    });
  },
);

clockTest(
  "KvSpool stores dead letters with their reason, lists and replays them",
  async () => {
    await using siems = startReceivers();
    const sink = deadLetterSink();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [, elasticsearch] = siems.configs();
      const spool = new KvSpool(kv, fast([elasticsearch!]), {
        ...FAST,
        clock,
        onDeadLetter: sink.onDeadLetter,
      });
      const events = audit(5);
      siems.elasticsearch.failItemsNext(({ index }) =>
        index === 2
          ? {
            status: 400,
            type: "document_parsing_exception",
            reason: "bad field",
          }
          : undefined
      );
      await spool.accept(events);
      spool.start();
      await advanceUntil(
        clock,
        () => siems.elasticsearch.documents.length === 4,
        "4 delivered",
      );
      await advanceUntil(
        clock,
        () =>
          spool.getStats().perDestination.elasticsearch!.spool
            ?.deadLettersStored ===
            1,
        "dead letter stored",
      );
      const letters = [];
      for await (const letter of spool.deadLetters()) letters.push(letter);
      assert.equal(letters.length, 1);
      assert.equal(letters[0]!.destination, "elasticsearch");
      assert.equal(letters[0]!.events[0]!.event_id, events[2]!.event_id);
      assert.equal(
        letters[0]!.reason,
        "item HTTP 400: document_parsing_exception: bad field",
      );
      // Stored with the item's status, which the listing (and the
      // dead-letters CLI) shows.
      assert.equal(letters[0]!.status, 400);
      assert.equal(sink.letters.length, 1);
      // Fixed: replay sends it again.
      assert.equal(await spool.replayDeadLetters("elasticsearch"), 1);
      await advanceUntil(
        clock,
        () => siems.elasticsearch.documents.length === 5,
        "replayed",
      );
      const none = [];
      for await (const letter of spool.deadLetters()) none.push(letter);
      assert.deepEqual(none, []);
      await stopOn(clock, spool);
    });
  },
);

Deno.test("KvSpool refuses with 503 when an outbox is full, and 413 for an event too large to store", async () => {
  await withKv(async (kv) => {
    const spool = new KvSpool(kv, [{
      platform: "splunk",
      endpoint: "http://127.0.0.1:1",
    }], { ...FAST, maxSpooledEvents: 10 });
    await spool.accept(audit(8));
    await assert.rejects(
      () => spool.accept(audit(5, 2)),
      (error: unknown) =>
        error instanceof IngestError && error.status === 503 &&
        /spool of splunk is full \(8 of 10 events\)/.test(error.message) &&
        // Five polls, in whole seconds (delay-seconds, RFC 9110 §10.2.3).
        error.headers["Retry-After"] === "5",
    );
    assert.equal(spool.capacity(), 2);
    const huge = parseAuditEvent({
      ...realisticEvents(1)[0]!,
      metadata: { blob: "x".repeat(800_000) },
    });
    await assert.rejects(
      () => spool.accept([huge]),
      (error: unknown) => error instanceof IngestError && error.status === 413,
    );
    // No destination enabled: no room at all.
    const none = new KvSpool(kv, [{
      platform: "splunk",
      endpoint: "http://127.0.0.1:1",
      enabled: false,
    }], FAST);
    assert.equal(none.capacity(), 0);
    await assert.rejects(
      () => none.accept(audit(1)),
      (error: unknown) =>
        error instanceof IngestError && error.status === 503 &&
        error.code === "overloaded" &&
        /no destination is enabled/.test(error.message),
    );
    // Exactly as many as fit are taken: the bound is inclusive.
    await spool.accept(audit(2, 3));
    assert.equal(spool.capacity(), 0);
    await spool.stop({ timeoutMs: 10 });
  });
});

clockTest(
  "KvSpool stores an event larger than one value in parts and delivers it whole",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [, elasticsearch] = siems.configs();
      const spool = new KvSpool(kv, fast([elasticsearch!]), { ...FAST, clock });
      const big = parseAuditEvent({
        ...realisticEvents(1)[0]!,
        metadata: { blob: "é".repeat(150_000) },
      });
      await spool.accept([big, ...audit(3, 3)]);
      let parts = 0;
      for await (const _ of kv.list({ prefix: ["harombe-siem", "outbox"] })) {
        parts++;
      }
      assert.ok(parts >= 6, `${parts} parts`);
      spool.start();
      await advanceUntil(
        clock,
        () => siems.elasticsearch.documents.length === 4,
        "delivery",
      );
      const stored = siems.elasticsearch.documents.find((d) =>
        d.id === big.event_id
      );
      assert.equal(
        (stored!.source.metadata as { blob: string }).blob,
        "é".repeat(150_000),
      );
      await stopOn(clock, spool);
    });
  },
);

clockTest(
  "KvSpool: another instance takes over the events of one that died, after its lease",
  async () => {
    await using siems = startReceivers();
    siems.elasticsearch.down({ status: 503 });
    // The lease, its polls and the retries run on a fake clock: the lease is
    // held up to the millisecond it expires, whatever the machine's load.
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [, elasticsearch] = siems.configs();
      const first = new KvSpool(kv, fast([elasticsearch!]), {
        ...FAST,
        clock,
        instanceId: "first",
      });
      first.start();
      const events = audit(25);
      await first.accept(events);
      await advanceUntil(
        clock,
        () =>
          first.getStats().perDestination.elasticsearch!.spool?.leaseHeld ===
            true,
        "first lease",
      );
      // The first instance "dies": its timers stop, its lease stays behind.
      await stopOn(clock, first, { timeoutMs: 1 }).catch(() => {});
      await kv.set(["harombe-siem", "lease", "elasticsearch"], {
        owner: "first",
        expiresAt: clock.now() + 300,
      });
      const second = new KvSpool(kv, fast([elasticsearch!]), {
        ...FAST,
        clock,
        instanceId: "second",
      });
      second.start();
      await advanceBy(clock, 290);
      assert.equal(
        second.getStats().perDestination.elasticsearch!.spool?.leaseHeld,
        false,
        "the lease is respected until it expires",
      );
      siems.elasticsearch.down(null);
      await advanceUntil(
        clock,
        () => siems.elasticsearch.documents.length === 25,
        "takeover",
      );
      assert.deepEqual(
        esIds(siems).sort(),
        events.map((e) => e.event_id).sort(),
      );
      await stopOn(clock, second);
    });
  },
);

clockTest(
  "KvSpool: two instances on one store deliver every event once in the normal case",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const configs = fast(siems.configs());
      const a = new KvSpool(kv, configs, { ...FAST, clock, instanceId: "a" });
      const b = new KvSpool(kv, configs, { ...FAST, clock, instanceId: "b" });
      a.start();
      b.start();
      const events = audit(200, 4);
      for (let i = 0; i < 200; i += 20) {
        await (i % 40 === 0 ? a : b).accept(events.slice(i, i + 20));
      }
      await advanceUntil(
        clock,
        () =>
          siems.splunk.events.length >= 200 &&
          siems.datadog.logs.length >= 200 &&
          siems.elasticsearch.documents.length === 200,
        "delivery",
      );
      await Promise.all([stopOn(clock, a), stopOn(clock, b)]);
      assert.equal(siems.splunk.events.length, 200, "no duplicate at Splunk");
      assert.equal(siems.datadog.logs.length, 200, "no duplicate at Datadog");
      // Each destination was delivered by the one instance holding its lease.
      const posts = siems.elasticsearch.requests.length;
      assert.ok(posts >= 1);
    });
  },
);

// Issue 9.2: the spool loads from its outbox only what the destination's
// buffer can take, so the in-memory overflow policy never refuses (and
// dead-letters) an event that is stored.
for (
  const [count, batchSize, maxBufferedEvents] of [
    [100, 10, 10],
    [5000, 1000, 1000],
  ] as const
) {
  clockTest(
    `KvSpool with batchSize ${batchSize} and maxBufferedEvents ${maxBufferedEvents} delivers all ${count} stored events, none dead-lettered`,
    async () => {
      await using siems = startReceivers();
      const sink = deadLetterSink();
      const clock = new FakeClock();
      await withKv(async (kv) => {
        const [, elasticsearch] = siems.configs();
        const spool = new KvSpool(
          kv,
          fast([{ ...elasticsearch!, batchSize, maxBufferedEvents }]),
          { ...FAST, clock, onDeadLetter: sink.onDeadLetter },
        );
        const events = audit(count, 5);
        for (let i = 0; i < count; i += 1000) {
          await spool.accept(events.slice(i, i + 1000));
        }
        spool.start();
        await advanceUntil(
          clock,
          () =>
            siems.elasticsearch.documents.length === count ||
            sink.letters.length > 0,
          "delivery",
        );
        assert.deepEqual(
          [...new Set(sink.letters.map((letter) => letter.reason))],
          [],
          "nothing dead-lettered",
        );
        await advanceUntil(
          clock,
          () => spool.getStats().perDestination.elasticsearch!.buffered === 0,
          "outbox emptied",
        );
        await stopOn(clock, spool);
        assert.deepEqual(
          esIds(siems).sort(),
          events.map((e) => e.event_id).sort(),
        );
        assert.equal(spool.getStats().eventsFailed, 0);
        const left = [];
        for await (
          const entry of kv.list({ prefix: ["harombe-siem", "outbox"] })
        ) left.push(entry.key);
        assert.deepEqual(left, [], "outbox empty");
        const counted = await kv.get<Deno.KvU64>([
          "harombe-siem",
          "count",
          "elasticsearch",
        ]);
        assert.equal(counted.value?.value, 0n);
      });
    },
  );
}

clockTest(
  "KvSpool with a small buffer and a SIEM down keeps every stored event, none dead-lettered",
  async () => {
    await using siems = startReceivers();
    siems.elasticsearch.down({ status: 503 });
    const sink = deadLetterSink();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [, elasticsearch] = siems.configs();
      const spool = new KvSpool(
        kv,
        fast([{ ...elasticsearch!, batchSize: 10, maxBufferedEvents: 10 }]),
        { ...FAST, clock, onDeadLetter: sink.onDeadLetter },
      );
      await spool.accept(audit(100, 7));
      spool.start();
      await advanceUntil(
        clock,
        () => siems.elasticsearch.requests.length >= 2,
        "attempts",
      );
      await stopOn(clock, spool, { timeoutMs: 10 });
      assert.deepEqual(sink.letters.map((l) => l.reason), []);
      assert.equal(spool.getStats().eventsFailed, 0);
      const counted = await kv.get<Deno.KvU64>([
        "harombe-siem",
        "count",
        "elasticsearch",
      ]);
      assert.equal(counted.value?.value, 100n, "all 100 still stored");
    });
  },
);

async function outboxCount(kv: Deno.Kv, destination: string): Promise<number> {
  const counted = await kv.get<Deno.KvU64>([
    "harombe-siem",
    "count",
    destination,
  ]);
  return Number(counted.value?.value ?? 0n);
}

Deno.test("KvSpool.accept() with extras stores the events and the extra writes in one transaction", async () => {
  await using siems = startReceivers();
  await withKv(async (kv) => {
    const spool = new KvSpool(kv, fast(siems.configs()), FAST);
    const mark = ["importer", "checkpoint"];
    await spool.accept(audit(20), {
      checks: [{ key: mark, versionstamp: null }],
      sets: [{ key: mark, value: { at: 20 } }],
    });
    assert.deepEqual((await kv.get(mark)).value, { at: 20 });
    assert.equal(await outboxCount(kv, "splunk"), 20);
    assert.equal(await outboxCount(kv, "datadog"), 20);
  });
});

Deno.test("KvSpool.accept() with extras stores nothing when a check fails", async () => {
  await using siems = startReceivers();
  await withKv(async (kv) => {
    const spool = new KvSpool(kv, fast(siems.configs()), FAST);
    const mark = ["importer", "checkpoint"];
    await kv.set(mark, { at: 5 });
    await assert.rejects(
      spool.accept(audit(10), {
        checks: [{ key: mark, versionstamp: null }],
        sets: [{ key: mark, value: { at: 15 } }],
      }),
      /a check of the transaction failed/,
    );
    assert.deepEqual((await kv.get(mark)).value, { at: 5 });
    assert.equal(await outboxCount(kv, "splunk"), 0);
  });
});

Deno.test("KvSpool.accept() with extras refuses, storing nothing, what does not fit in one transaction", async () => {
  await using siems = startReceivers();
  await withKv(async (kv) => {
    const spool = new KvSpool(kv, fast(siems.configs()), FAST);
    const mark = ["importer", "checkpoint"];
    // 600 events of about 1.4 KB, stored once for the 3 destinations: more
    // than one transaction.
    const events = audit(600).map((event) => ({
      ...event,
      metadata: { padding: "x".repeat(1000) },
    }));
    await assert.rejects(
      spool.accept(events, { sets: [{ key: mark, value: 1 }] }),
      RangeError,
    );
    assert.equal((await kv.get(mark)).value, null);
    assert.equal(await outboxCount(kv, "splunk"), 0);
    // Without extras the same events are stored, in several transactions.
    await spool.accept(events);
    assert.equal(await outboxCount(kv, "splunk"), 600);
  });
});

clockTest(
  "KvSpool delivers a destination's events in the order they were accepted, across groups",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [es] = fast(siems.configs()).filter((c) =>
        c.platform === "elasticsearch"
      );
      const spool = new KvSpool(kv, [{ ...es!, batchSize: 500 }], {
        ...FAST,
        clock,
      });
      // About 1.5 MB: some 25 outbox groups from one accept, more from the next.
      const events = audit(1500).map((event) => ({
        ...event,
        metadata: { padding: "x".repeat(1000) },
      }));
      await spool.accept(events.slice(0, 1000));
      await spool.accept(events.slice(1000));
      spool.start();
      await advanceUntil(
        clock,
        () => siems.elasticsearch.documents.length === 1500,
        "delivery",
      );
      await stopOn(clock, spool);
      assert.deepEqual(esIds(siems), events.map((e) => e.event_id));
    });
  },
);

Deno.test("KvSpool.accept() refuses with 400, naming the field, metadata an Elasticsearch destination without its template can never index", async () => {
  await withKv(async (kv) => {
    const spool = new KvSpool(kv, [
      { platform: "splunk", endpoint: "http://127.0.0.1:1" },
      { platform: "elasticsearch", endpoint: "http://127.0.0.1:2" },
    ], FAST);
    for (const { label, metadata, path } of unmappableMetadata()) {
      const events = audit(2);
      events[1] = { ...events[1]!, metadata };
      await assert.rejects(
        spool.accept(events),
        (error: unknown) => {
          assert.ok(error instanceof IngestError, label);
          assert.equal(error.status, 400, label);
          assert.equal(error.code, "invalid_events", label);
          assert.equal(error.details.events?.[0]?.index, 1, label);
          assert.equal(error.details.events?.[0]?.path, path, label);
          return true;
        },
      );
    }
    assert.equal(spool.getStats().eventsAccepted, 0);
    assert.equal(await outboxCount(kv, "splunk"), 0);
    await spool.stop();
  });
});

Deno.test("KvSpool counts settled events off its outbox count as it records them, before any poll reads the store", async () => {
  await using siems = startReceivers();
  await withKv(async (kv) => {
    const spool = new KvSpool(kv, fast(siems.configs()), {
      ...FAST,
      maxSpooledEvents: 100,
    });
    await spool.accept(audit(12));
    assert.equal(spool.getStats().perPlatform.splunk!.buffered, 12);
    assert.equal(spool.capacity(), 88);
    // Not started: no poll round reads the counts again after the flush;
    // the spool's own count must come down as it records each batch.
    await spool.flush();
    assert.equal(siems.splunk.events.length, 12);
    for (const name of ["splunk", "elasticsearch", "datadog"]) {
      assert.equal(spool.getStats().perPlatform[name]!.buffered, 0, name);
    }
    assert.equal(spool.capacity(), 100);
    await spool.stop();
  });
});

Deno.test("KvSpool full: the ingest app's 503 says when to come back in whole seconds, five polls away", async () => {
  await withKv(async (kv) => {
    const splunk: SIEMConfigInput = {
      platform: "splunk",
      endpoint: "http://127.0.0.1:1",
    };
    // One instance filled the shared outbox; the other has not counted it
    // yet, so its app lets the request through to the spool, which counts
    // again and refuses.
    const filler = new KvSpool(kv, [splunk], { ...FAST, maxSpooledEvents: 10 });
    const token = "kv-spool-ingest-token-0123";
    for (const [pollMs, seconds] of [[30, "5"], [2500, "15"]] as const) {
      const spool = new KvSpool(kv, [splunk], {
        ...FAST,
        pollMs,
        maxSpooledEvents: 10,
      });
      assert.equal(spool.capacity(), 10, "nothing counted yet");
      if (pollMs === 30) await filler.accept(audit(8));
      const app = createIngestApp({
        sink: spool,
        tokens: [token],
        logger: quiet,
      });
      const response = await app.request("/events", {
        method: "POST",
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify(realisticEvents(5, 2)),
      });
      assert.equal(response.status, 503, `pollMs ${pollMs}`);
      assert.equal(response.headers.get("retry-after"), seconds);
      assert.equal((await response.json()).error.code, "overloaded");
      await spool.stop({ timeoutMs: 10 });
    }
    await filler.stop({ timeoutMs: 10 });
  });
});

clockTest(
  "KvSpool capacity is the room of its fullest outbox: a destination that is down bounds what is accepted",
  async () => {
    await using siems = startReceivers();
    siems.elasticsearch.down({ status: 503 });
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [splunk, elasticsearch] = siems.configs();
      // The fullest first: the least room of all counts, not the last's.
      const spool = new KvSpool(kv, fast([elasticsearch!, splunk!]), {
        ...FAST,
        clock,
        maxSpooledEvents: 10,
      });
      await spool.accept(audit(6));
      spool.start();
      await using _stop = {
        [Symbol.asyncDispose]: async () => void await stopOn(clock, spool),
      };
      const stats = () => spool.getStats().perDestination;
      await advanceUntil(
        clock,
        () =>
          siems.splunk.events.length === 6 && stats().splunk!.buffered === 0,
        "splunk delivered",
      );
      assert.equal(stats().elasticsearch!.buffered, 6);
      // Splunk's outbox is empty, Elasticsearch's holds 6 of 10.
      assert.equal(spool.capacity(), 4);
      await assert.rejects(
        () => spool.accept(audit(5, 2)),
        (error: unknown) =>
          error instanceof IngestError && error.status === 503 &&
          /spool of elasticsearch is full \(6 of 10 events\)/.test(
            error.message,
          ),
      );
      await spool.accept(audit(4, 3));
      assert.equal(spool.capacity(), 0);
    });
  },
);

clockTest(
  "KvSpool refuses with 503 and Retry-After while stopped, and takes and delivers events again once restarted",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [, elasticsearch] = siems.configs();
      const spool = new KvSpool(kv, fast([elasticsearch!]), { ...FAST, clock });
      spool.start();
      spool.start(); // Already running: no second loop.
      await spool.accept(audit(2));
      await advanceUntil(clock, () => esIds(siems).length === 2, "delivered");
      await stopOn(clock, spool);
      await assert.rejects(
        () => spool.accept(audit(1, 2)),
        (error: unknown) =>
          error instanceof IngestError && error.status === 503 &&
          error.code === "overloaded" && /stopping/.test(error.message) &&
          error.headers["Retry-After"] === "5",
      );
      spool.start();
      await using _stop = {
        [Symbol.asyncDispose]: async () => void await stopOn(clock, spool),
      };
      const more = audit(3, 3);
      await spool.accept(more);
      await advanceUntil(clock, () => esIds(siems).length === 5, "restarted");
      assert.deepEqual(
        esIds(siems).slice(2).sort(),
        more.map((e) => e.event_id).sort(),
      );
    });
  },
);

clockTest(
  "KvSpool stores a dead letter and logs the failure when its onDeadLetter callback rejects",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    const logger = new MemoryLogger();
    await withKv(async (kv) => {
      const [, elasticsearch] = siems.configs();
      const spool = new KvSpool(kv, fast([elasticsearch!]), {
        ...FAST,
        logger,
        clock,
        onDeadLetter: () => Promise.reject(new Error("webhook is down")),
      });
      const events = audit(3);
      siems.elasticsearch.failItemsNext(({ index }) =>
        index === 0
          ? { status: 400, type: "mapper_parsing_exception", reason: "bad" }
          : undefined
      );
      await spool.accept(events);
      spool.start();
      await using _stop = {
        [Symbol.asyncDispose]: async () => void await stopOn(clock, spool),
      };
      await advanceUntil(
        clock,
        () =>
          spool.getStats().perDestination.elasticsearch!.spool
              ?.deadLettersStored === 1 &&
          logger.lines.some((line) =>
            line.includes("dead-letter callback failed")
          ),
        "dead letter stored, failure logged",
      );
      const line = logger.lines.find((l) =>
        l.includes("dead-letter callback failed")
      )!;
      assert.match(line, /webhook is down/);
      const letters = [];
      for await (const letter of spool.deadLetters()) letters.push(letter);
      assert.deepEqual(
        letters.map((l) => l.events.map((e) => e.event_id)),
        [[events[0]!.event_id]],
      );
      assert.equal(esIds(siems).length, 2);
    });
  },
);

clockTest(
  "KvSpool purges or replays only the dead letter named by its id, leaving the others stored and counted",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [, elasticsearch] = siems.configs();
      const spool = new KvSpool(kv, fast([elasticsearch!]), { ...FAST, clock });
      const events = audit(6);
      // Two refusals: a group of two events and a group of one.
      siems.elasticsearch.failItemsNext(({ index }) =>
        index === 1 || index === 4
          ? { status: 400, type: "mapper_parsing_exception", reason: "bad" }
          : index === 3
          ? { status: 400, type: "document_parsing_exception", reason: "x" }
          : undefined
      );
      await spool.accept(events);
      spool.start();
      await using _stop = {
        [Symbol.asyncDispose]: async () => void await stopOn(clock, spool),
      };
      const dead = (): number | undefined =>
        spool.getStats().perDestination.elasticsearch!.spool?.deadLettersStored;
      await advanceUntil(clock, () => dead() === 3, "3 dead letters stored");
      const list = async () => {
        const letters = [];
        for await (const letter of spool.deadLetters()) letters.push(letter);
        return letters;
      };
      const letters = await list();
      assert.equal(letters.length, 2);
      const pair = letters.find((letter) => letter.events.length === 2)!;
      const single = letters.find((letter) => letter.events.length === 1)!;
      assert.deepEqual(
        pair.events.map((e) => e.event_id),
        [events[1]!.event_id, events[4]!.event_id],
      );
      // An id of no stored letter purges nothing.
      assert.equal(
        await spool.purgeDeadLetters("elasticsearch", "no-such-id"),
        0,
      );
      assert.equal(await spool.purgeDeadLetters("elasticsearch", pair.id), 2);
      assert.deepEqual((await list()).map((letter) => letter.id), [single.id]);
      await advanceUntil(clock, () => dead() === 1, "the pair off the count");
      assert.equal(
        await spool.replayDeadLetters("elasticsearch", "no-such-id"),
        0,
      );
      assert.equal(
        await spool.replayDeadLetters("elasticsearch", single.id),
        1,
      );
      await advanceUntil(
        clock,
        () => siems.elasticsearch.documents.length === 4,
        "the single one replayed",
      );
      assert.deepEqual(
        siems.elasticsearch.documents.map((d) => d.id).sort(),
        events.filter((_, i) => i !== 1 && i !== 4).map((e) => e.event_id)
          .sort(),
      );
      assert.deepEqual(await list(), []);
      await advanceUntil(clock, () => dead() === 0, "none counted");
    });
  },
);

clockTest(
  "KvSpool: purging a dead letter another instance has just replayed deletes nothing and leaves the dead-letter count alone",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [, elasticsearch] = siems.configs();
      const configs = fast([elasticsearch!]);
      const server = new KvSpool(kv, configs, { ...FAST, clock });
      siems.elasticsearch.failItemsNext(({ index }) =>
        index === 0
          ? { status: 400, type: "mapper_parsing_exception", reason: "bad" }
          : undefined
      );
      await server.accept(audit(2));
      server.start();
      const dead = (): number | undefined =>
        server.getStats().perDestination.elasticsearch!.spool
          ?.deadLettersStored;
      await advanceUntil(clock, () => dead() === 1, "1 dead letter stored");
      await stopOn(clock, server);
      const [letter] = await Array.fromAsync(server.deadLetters());
      // The operator's tool lists the letter and purges it; between its
      // read and its commit, the server replays the same letter.
      let meanwhile: (() => Promise<unknown>) | undefined = () =>
        server.replayDeadLetters("elasticsearch", letter!.id);
      const racing = {
        list: kv.list.bind(kv),
        get: kv.get.bind(kv),
        atomic: () => {
          const op = kv.atomic();
          const commit = op.commit.bind(op);
          op.commit = async () => {
            const run = meanwhile;
            meanwhile = undefined;
            await run?.();
            return await commit();
          };
          return op;
        },
      } as unknown as Deno.Kv;
      const tool = new KvSpool(racing, configs, { ...FAST, clock });
      assert.equal(
        await tool.purgeDeadLetters("elasticsearch", letter!.id),
        0,
        "the letter was gone when the purge committed",
      );
      assert.equal(meanwhile, undefined, "the replay ran");
      const count = await kv.get<Deno.KvU64>([
        "harombe-siem",
        "deadcount",
        "elasticsearch",
      ]);
      assert.equal(count.value?.value ?? 0n, 0n);
      // The replayed event is in the outbox, to be sent.
      const outbox = await kv.get<Deno.KvU64>([
        "harombe-siem",
        "count",
        "elasticsearch",
      ]);
      assert.equal(outbox.value?.value, 1n);
      await tool.stop({ timeoutMs: 0 });
    });
  },
);

clockTest(
  "KvSpool: a replayed dead-letter group of several events takes all of them off the dead-letter count",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [, elasticsearch] = siems.configs();
      const spool = new KvSpool(kv, fast([elasticsearch!]), { ...FAST, clock });
      const events = audit(6);
      // Three documents refused for one reason: one stored group of three.
      siems.elasticsearch.failItemsNext(({ index }) =>
        index % 2 === 1
          ? { status: 400, type: "mapper_parsing_exception", reason: "bad" }
          : undefined
      );
      await spool.accept(events);
      spool.start();
      // Stopped whatever the asserts say: a failing one leaks no timer into
      // the next test.
      await using _stop = {
        [Symbol.asyncDispose]: async () => void await stopOn(clock, spool),
      };
      const dead = (): number | undefined =>
        spool.getStats().perDestination.elasticsearch!.spool?.deadLettersStored;
      await advanceUntil(clock, () => dead() === 3, "3 dead letters stored");
      const letters = [];
      for await (const letter of spool.deadLetters()) letters.push(letter);
      assert.equal(letters.length, 1, "one group");
      assert.equal(letters[0]!.events.length, 3);
      assert.equal(await spool.replayDeadLetters("elasticsearch"), 3);
      await advanceUntil(
        clock,
        () => siems.elasticsearch.documents.length === 6,
        "replayed",
      );
      await spool.flush();
      assert.equal(dead(), 0, "every replayed event is off the count");
    });
  },
);

clockTest(
  "KvSpool: an instance that lost its lease drops the events it had loaded, so that only the new holder sends them",
  async () => {
    await using siems = startReceivers();
    siems.elasticsearch.down({ status: 503 });
    const clock = new FakeClock();
    await withKv(async (kv) => {
      const [, elasticsearch] = siems.configs();
      // One try, then a long backoff: the events wait in the buffer.
      const config = {
        ...elasticsearch!,
        maxRetries: 0,
        retryDelayMs: 60_000,
        maxRetryDelayMs: 60_000,
      };
      const first = new KvSpool(kv, fast([config]), {
        ...FAST,
        clock,
        instanceId: "first",
      });
      first.start();
      await using _stop = {
        [Symbol.asyncDispose]: async () => void await stopOn(clock, first),
      };
      const events = audit(25);
      await first.accept(events);
      // The events are loaded and tried (the SIEM is down), then wait.
      await advanceUntil(
        clock,
        () =>
          first.getStats().perDestination.elasticsearch!.state ===
            "backing_off",
        "backing off",
      );
      // The instance stalls past its lease and another takes it over.
      await kv.set(["harombe-siem", "lease", "elasticsearch"], {
        owner: "other",
        expiresAt: clock.now() + 60_000,
      });
      await advanceUntil(
        clock,
        () =>
          first.getStats().perDestination.elasticsearch!.spool?.leaseHeld ===
            false,
        "lease lost",
      );
      siems.elasticsearch.down(null);
      // A flush sends what this instance holds: nothing, the events belong to
      // the lease holder now (they stay stored for it).
      await first.flush();
      assert.equal(siems.elasticsearch.documents.length, 0);
      assert.equal(first.getStats().perDestination.elasticsearch!.buffered, 25);
      await stopOn(clock, first);
      assert.equal(siems.elasticsearch.documents.length, 0);
    });
  },
);
