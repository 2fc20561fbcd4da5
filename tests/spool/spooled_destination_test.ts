import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
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
