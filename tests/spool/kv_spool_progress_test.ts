import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { clockTest, FakeClock } from "../support/fake_clock.ts";
import { advanceUntil, stopOn } from "../support/fake_clock_io.ts";
import { MemoryLogger } from "../support/receivers.ts";
import { countingKv } from "../support/counting_kv.ts";

// Each batch's delivery is recorded as soon as its answer arrives, not when
// its whole stored group (about 60 KB of events) is done: an instance that
// dies mid-group leaves only the batch in flight to be sent again.

const TOKEN = "progress-test-hec-token";

function splunkIds(events: Array<Record<string, unknown>>): string[] {
  return events.map((env) => (env.event as { event_id: string }).event_id);
}

clockTest(
  "KvSpool records each delivered batch at once: the next instance resends none of them",
  async () => {
    await using hec = startFakeSplunk({ token: TOKEN });
    const config: SIEMConfigInput = {
      platform: "splunk",
      endpoint: hec.url,
      token: TOKEN,
      batchSize: 10,
      flushIntervalMs: 100,
      maxRetries: 0,
    };
    // The first instance delivers three batches, then its SIEM hangs (a
    // request that never answers until aborted) and the instance stops at
    // once, as if it died: its lease is free, the group half delivered.
    let requests = 0;
    const hangAfterThree: typeof fetch = async (input, init) => {
      if (++requests <= 3) return await fetch(input, init);
      const signal = init?.signal;
      await new Promise((_, reject) => {
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener("abort", () => reject(signal.reason), {
          once: true,
        });
      });
      throw new Error("unreachable");
    };
    // Polls, flush intervals and stops run on a fake clock.
    const clock = new FakeClock();
    const kv = await Deno.openKv(":memory:");
    try {
      const events = realisticEvents(100, 51).map((e) => parseAuditEvent(e));
      const first = new KvSpool(kv, [config], {
        logger: new MemoryLogger(),
        pollMs: 20,
        clock,
        fetch: hangAfterThree,
      });
      // One stored group: 100 small events are far under 60 KB.
      await first.accept(events);
      first.start();
      await advanceUntil(clock, () => requests >= 4, "three batches delivered");
      await stopOn(clock, first, { timeoutMs: 0 });
      assert.equal(hec.events.length, 30);

      const second = new KvSpool(kv, [config], {
        logger: new MemoryLogger(),
        pollMs: 20,
        clock,
      });
      second.start();
      // The events it had loaded are delivered, the group settled.
      const stored = async (): Promise<number> => {
        let n = 0;
        for await (const _ of kv.list({ prefix: ["harombe-siem", "outbox"] })) {
          n++;
        }
        return n;
      };
      await advanceUntil(
        clock,
        async () => await stored() === 0,
        "the group settled",
      );
      await stopOn(clock, second);
      const ids = splunkIds(hec.events);
      assert.equal(ids.length - new Set(ids).size, 0, "duplicates");
      assert.deepEqual(
        [...new Set(ids)].sort(),
        events.map((e) => e.event_id).sort(),
      );
      // Nothing is left behind: no outbox entry, no progress record.
      const left = [];
      for await (const entry of kv.list({ prefix: ["harombe-siem"] })) {
        if (entry.key[1] === "outbox" || entry.key[1] === "progress") {
          left.push(entry.key);
        }
      }
      assert.deepEqual(left, []);
    } finally {
      kv.close();
    }
  },
);

clockTest(
  "KvSpool counts off only batches not recorded already: a batch another instance recorded meanwhile is not subtracted twice",
  async () => {
    await using hec = startFakeSplunk({ token: TOKEN });
    const config: SIEMConfigInput = {
      platform: "splunk",
      endpoint: hec.url,
      token: TOKEN,
      batchSize: 10,
      flushIntervalMs: 100,
      maxRetries: 0,
    };
    // The first request is held until the test lets it go.
    let requests = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => release = resolve);
    const holdFirst: typeof fetch = async (input, init) => {
      if (++requests === 1) await held;
      return await fetch(input, init);
    };
    // Polls, flush intervals and stops run on a fake clock.
    const clock = new FakeClock();
    const kv = await Deno.openKv(":memory:");
    try {
      const events = realisticEvents(100, 51).map((e) => parseAuditEvent(e));
      const logger = new MemoryLogger();
      const spool = new KvSpool(kv, [config], {
        logger,
        pollMs: 20,
        clock,
        fetch: holdFirst,
      });
      await spool.accept(events);
      spool.start();
      await advanceUntil(clock, () => requests >= 1, "the first batch sent");
      // Meanwhile another instance (after a lease change) delivered and
      // recorded the same first batch, positions 0-9, and counted it off.
      const ids = new Set<string>();
      for await (
        const entry of kv.list({ prefix: ["harombe-siem", "outbox"] })
      ) {
        ids.add(entry.key[4] as string);
      }
      // The first stored group (keys sort in accept order) holds the first
      // batch.
      const id = [...ids][0]!;
      await kv.atomic()
        .set(
          ["harombe-siem", "progress", "splunk", id],
          Array.from({ length: 10 }, (_, i) => i),
        )
        .sum(["harombe-siem", "count", "splunk"], (1n << 64n) - 10n)
        .commit();
      release();
      // The events it had loaded are delivered, the group settled.
      const stored = async (): Promise<number> => {
        let n = 0;
        for await (const _ of kv.list({ prefix: ["harombe-siem", "outbox"] })) {
          n++;
        }
        return n;
      };
      await advanceUntil(
        clock,
        async () => await stored() === 0,
        "the group settled",
      );
      await stopOn(clock, spool);
      const count = await kv.get<Deno.KvU64>([
        "harombe-siem",
        "count",
        "splunk",
      ]);
      assert.equal(count.value?.value, 0n);
    } finally {
      kv.close();
    }
  },
);

Deno.test("KvSpool records a batch that spans several stored groups in one transaction, not one per group", async () => {
  await using hec = startFakeSplunk({ token: TOKEN });
  const kv = await Deno.openKv(":memory:");
  const counted = countingKv(kv);
  try {
    const spool = new KvSpool(counted.kv, [{
      platform: "splunk",
      endpoint: hec.url,
      token: TOKEN,
      batchSize: 100,
      flushIntervalMs: 100,
      maxRetries: 0,
    }], { logger: new MemoryLogger(), pollMs: 20 });
    // 20 groups of 25 events: each batch of 100 spans four of them.
    const events = realisticEvents(500, 17).map((e) => parseAuditEvent(e));
    for (let i = 0; i < 500; i += 25) {
      await spool.accept(events.slice(i, i + 25));
    }
    const beforeDelivery = counted.commits();
    spool.start();
    await spool.stop({ timeoutMs: 10_000 });
    assert.equal(hec.events.length, 500);
    // Five batches' records, and a lease taken and given up: well under
    // the 20 transactions of one per group.
    const delivering = counted.commits() - beforeDelivery;
    assert.ok(delivering <= 10, `${delivering} transactions while delivering`);
  } finally {
    kv.close();
  }
});
