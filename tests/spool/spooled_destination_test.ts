import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import type {
  KvKey,
  KvLike,
  KvMaybeEntryLike,
} from "../../src/spool/kv_like.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { clockTest, FakeClock } from "../support/fake_clock.ts";
import { advanceBy, advanceUntil, stopOn } from "../support/fake_clock_io.ts";
import { MemoryLogger, startReceivers } from "../support/receivers.ts";

const quiet = new MemoryLogger();

clockTest(
  "KvSpool: events loaded from the store keep the age they had when accepted, so flushIntervalMs counts from acceptance, not from loading",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    const kv = await Deno.openKv(":memory:");
    try {
      const [, elasticsearch] = siems.configs();
      const config = {
        ...elasticsearch!,
        flushIntervalMs: 5_000,
        batchSize: 100,
      };
      const options = {
        logger: quiet,
        clock,
        leaseMs: 400,
        pollMs: 30,
        stopTimeoutMs: 2000,
      };
      // Accepted by an instance that stops (or dies) before sending them.
      const first = new KvSpool(kv, [config], options);
      await first.accept(
        realisticEvents(3).map((event) => parseAuditEvent(event)),
      );
      await stopOn(clock, first);
      // Past their flush interval; then another instance starts.
      await advanceBy(clock, 6_000, 500);
      const second = new KvSpool(kv, [config], options);
      second.start();
      await using _stop = {
        [Symbol.asyncDispose]: async () => void await stopOn(clock, second),
      };
      const started = clock.now();
      // They have waited their interval already: the batch leaves as soon
      // as they are loaded, not one more flushIntervalMs after.
      await advanceUntil(
        clock,
        () => siems.elasticsearch.documents.length === 3,
        "the aged batch sent",
        10,
        1_000,
      );
      assert.ok(clock.now() - started < 1_000);
    } finally {
      kv.close();
    }
  },
);

clockTest(
  "KvSpool deletes a stored group whose every event is recorded as settled, sending none of it again",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    const kv = await Deno.openKv(":memory:");
    try {
      const [, elasticsearch] = siems.configs();
      const config = { ...elasticsearch!, flushIntervalMs: 100 };
      const options = { logger: quiet, clock, leaseMs: 400, pollMs: 30 };
      const first = new KvSpool(kv, [config], options);
      await first.accept(
        realisticEvents(3).map((event) => parseAuditEvent(event)),
      );
      await stopOn(clock, first);
      // [prefix, "outbox", destination, at, id, index, total] and
      // [prefix, "progress", destination, id].
      const stored = async (what: string): Promise<Set<string>> => {
        const ids = new Set<string>();
        for await (const entry of kv.list({ prefix: ["harombe-siem", what] })) {
          ids.add(entry.key[what === "outbox" ? 4 : 3] as string);
        }
        return ids;
      };
      const [id] = await stored("outbox").then((ids) => [...ids]);
      assert.ok(id !== undefined);
      // Another instance delivered and recorded all three, counted them
      // off, and stopped before it deleted the group.
      await kv.atomic()
        .set(["harombe-siem", "progress", "elasticsearch", id], [0, 1, 2])
        .sum(["harombe-siem", "count", "elasticsearch"], (1n << 64n) - 3n)
        .commit();
      const second = new KvSpool(kv, [config], options);
      second.start();
      await using _stop = {
        [Symbol.asyncDispose]: async () => void await stopOn(clock, second),
      };
      await advanceUntil(
        clock,
        async () => (await stored("outbox")).size === 0,
        "the group deleted",
        10,
        2_000,
      );
      assert.equal((await stored("progress")).size, 0, "its progress too");
      await advanceBy(clock, 500);
      assert.equal(siems.elasticsearch.requests.length, 0, "none sent again");
      const count = await kv.get<Deno.KvU64>([
        "harombe-siem",
        "count",
        "elasticsearch",
      ]);
      assert.equal(count.value?.value, 0n);
    } finally {
      kv.close();
    }
  },
);

// Counted short, the backlog looked delivered while a group was still
// stored: the soak stopped before it was sent (100 events "lost" in one run
// of four), and a stop's drain would have given up on it.
Deno.test("KvSpool counts events another accept stored while its count was being read", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // The next read of the outbox counter reads at once, then answers only
    // when the test lets it: another accept commits in between.
    let gate: PromiseWithResolvers<void> | undefined;
    const read = Promise.withResolvers<void>();
    const slowKv: KvLike = {
      atomic: () => kv.atomic(),
      list: (selector, options) => kv.list(selector, options),
      async get<T = unknown>(key: KvKey): Promise<KvMaybeEntryLike<T>> {
        const entry = await kv.get<T>(key);
        const held = gate;
        if (held !== undefined && key.includes("count")) {
          gate = undefined;
          read.resolve();
          await held.promise;
        }
        return entry;
      },
    };
    const spool = new KvSpool(slowKv, [{
      platform: "splunk",
      endpoint: "http://127.0.0.1:9",
    }], { logger: quiet });
    const events = realisticEvents(20).map((event) => parseAuditEvent(event));
    const release = Promise.withResolvers<void>();
    gate = release;
    const first = spool.accept(events.slice(0, 10));
    await read.promise;
    await spool.accept(events.slice(10));
    release.resolve();
    await first;
    const stored = await kv.get<Deno.KvU64>([
      "harombe-siem",
      "count",
      "splunk",
    ]);
    assert.equal(stored.value?.value, 20n);
    assert.equal(spool.getStats().perDestination.splunk!.buffered, 20);
  } finally {
    kv.close();
  }
});
