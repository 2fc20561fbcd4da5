import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { clockTest, FakeClock } from "../support/fake_clock.ts";
import { advanceUntil, stopOn } from "../support/fake_clock_io.ts";
import {
  deadLetterSink,
  MemoryLogger,
  startReceivers,
} from "../support/receivers.ts";

// The spool's polls and flush intervals run on a fake clock.
clockTest(
  "KvSpool never lets maxBufferedBytes dead-letter events it has stored",
  async () => {
    await using siems = startReceivers();
    const clock = new FakeClock();
    const kv = await Deno.openKv(":memory:");
    try {
      const sink = deadLetterSink();
      const [splunk] = siems.configs({
        flushIntervalMs: 100,
        // Smaller than one event: the in-memory bound must not refuse what
        // the spool loads (storage holds it; the spool loads a few batches).
        maxBufferedBytes: 1024,
      });
      const spool = new KvSpool(kv, [splunk!], {
        logger: new MemoryLogger(),
        leaseMs: 400,
        pollMs: 30,
        stopTimeoutMs: 2000,
        onDeadLetter: sink.onDeadLetter,
        clock,
      });
      const events = realisticEvents(10).map((event) =>
        parseAuditEvent({ ...event, metadata: { blob: "x".repeat(2000) } })
      );
      await spool.accept(events);
      spool.start();
      await advanceUntil(
        clock,
        () => siems.splunk.events.length === 10,
        "delivery",
      );
      await stopOn(clock, spool);
      assert.equal(sink.letters.length, 0);
      assert.equal(spool.getStats().perDestination.splunk!.buffered, 0);
    } finally {
      kv.close();
    }
  },
);
