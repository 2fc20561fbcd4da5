/**
 * Regression test: the KV spool must drain a backlog as fast as a healthy
 * SIEM takes it, not a few batches per poll.
 *
 * Found by the soak run (`tests/soak/soak.ts --short`): after 5 s of load
 * (17,300 events acknowledged) the spool took 38.8 s more to deliver the
 * backlog to three healthy fakes, at exactly 400 events/s per destination
 * (4 x batchSize 100 per pollMs 1000). `#feed` loads outbox groups only
 * until the destination holds 4 x batchSize events, and it runs only from
 * `#round`, which runs on `accept()` and every `pollMs`: nothing loads more
 * when the destination's buffer runs low, so without incoming requests a
 * destination sends about 4 batches per `pollMs` (defaults: 200 events/s).
 * A backlog after an outage or a restart drains at that rate, and a
 * sustained ingest above it fills the spool to `MAX_SPOOLED_EVENTS`, after
 * which the ingest answers 503.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { clockTest, FakeClock } from "../support/fake_clock.ts";
import { advanceUntil, stopOn } from "../support/fake_clock_io.ts";
import { MemoryLogger, TOKENS } from "../support/receivers.ts";

clockTest(
  "KvSpool drains a stored backlog as fast as a healthy SIEM takes it, not 4 batches per pollMs",
  async () => {
    await using hec = startFakeSplunk({ token: TOKENS.splunk });
    const kv = await Deno.openKv(":memory:");
    // The spool's timers run on a fake clock that the wait below moves by at
    // most 60 s: the 600 s poll never comes, only loading on demand can
    // drain the backlog.
    const clock = new FakeClock();
    try {
      const spool = new KvSpool(kv, [{
        platform: "splunk",
        endpoint: hec.url,
        token: TOKENS.splunk,
        flushIntervalMs: 100,
      }], { logger: new MemoryLogger(), pollMs: 600_000, clock });
      const events = realisticEvents(2000, 21).map((e) => parseAuditEvent(e));
      // Stored before delivery starts, as after a restart or an outage.
      await spool.accept(events);
      spool.start();
      try {
        await advanceUntil(
          clock,
          () => hec.events.length >= events.length,
          "the backlog",
          10,
          60_000,
        );
      } finally {
        await stopOn(clock, spool, { timeoutMs: 5000 });
      }
      assert.equal(hec.events.length, events.length);
    } finally {
      kv.close();
    }
  },
);
