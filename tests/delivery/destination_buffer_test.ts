import assert from "node:assert/strict";
import { DestinationBuffer } from "../../src/delivery/destination_buffer.ts";
import { drainBuffer, nextDue } from "../../src/delivery/drain_buffer.ts";
import { acceptEvent } from "../../src/delivery/accepted_event.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import { realisticEvents } from "../fixtures/events.ts";

function buffer(extra: Partial<SIEMConfigInput> = {}): DestinationBuffer {
  const config = parseSIEMConfig({
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
    batchSize: 2,
    maxBufferedEvents: 3,
    ...extra,
  } as SIEMConfigInput);
  return new DestinationBuffer(() => config);
}

function fill(target: DestinationBuffer, count: number, at = 0): string[] {
  const ids: string[] = [];
  for (const raw of realisticEvents(count)) {
    const accepted = acceptEvent(toSIEMEvent(parseAuditEvent(raw)));
    target.queue.push({ ...accepted, at });
    ids.push(accepted.event.event_id);
  }
  return ids;
}

Deno.test("DestinationBuffer: reject refuses the new event, naming the limit", () => {
  const target = buffer({ overflow: "reject" });
  fill(target, 3);
  assert.equal(target.fits(1, 10), false);
  assert.deepEqual(target.overflow(10), {
    refuse: 'buffer full (maxBufferedEvents 3, overflow "reject")',
  });
  assert.equal(target.buffered, 3);
});

Deno.test("DestinationBuffer: drop_oldest gives up the oldest waiting events until the new one fits", () => {
  const target = buffer({ overflow: "drop_oldest" });
  const ids = fill(target, 3);
  const overflow = target.overflow(10);
  assert.ok("dropped" in overflow);
  assert.deepEqual(overflow.dropped.map((e) => e.event_id), [ids[0]]);
  assert.equal(target.buffered, 2);
});

Deno.test("DestinationBuffer: drop_oldest refuses when only a batch in flight could make room", () => {
  const target = buffer({ overflow: "drop_oldest" });
  fill(target, 3);
  // The whole buffer is in flight: nothing waiting can be given up.
  const bytes = target.bufferedBytes;
  target.startFlight(3, bytes);
  assert.equal(target.buffered, 6);
  assert.ok("refuse" in target.overflow(10));
  target.endFlight(3, bytes);
  assert.equal(target.buffered, 3);
});

Deno.test("DestinationBuffer: batches in flight at once all count as buffered until each has left", () => {
  const target = buffer();
  target.startFlight(2, 100);
  target.startFlight(3, 150);
  assert.equal(target.buffered, 5);
  assert.equal(target.bufferedBytes, 250);
  target.endFlight(2, 100);
  assert.equal(target.buffered, 3);
  assert.equal(target.bufferedBytes, 150);
  target.endFlight(3, 150);
  assert.equal(target.buffered, 0);
});

Deno.test("DestinationBuffer: an event larger than the byte bound is refused, whatever the policy", () => {
  const target = buffer({ overflow: "drop_oldest", maxBufferedBytes: 2048 });
  assert.deepEqual(target.overflow(2049), {
    refuse:
      "event is 2049 bytes of JSON, more than the buffer holds (maxBufferedBytes 2048)",
  });
});

Deno.test("nextDue: a full batch is due at once, a partial one after flushIntervalMs, never before a backoff ends", () => {
  const target = buffer({ flushIntervalMs: 500 });
  const config = { batchSize: 2, flushIntervalMs: 500 };
  assert.equal(nextDue(target, config, 0), undefined);
  fill(target, 1, 1000);
  assert.equal(nextDue(target, config, 0), 1500);
  assert.equal(nextDue(target, config, 9000), 9000);
  fill(target, 1, 1200);
  assert.equal(nextDue(target, config, 0), 0);
});

Deno.test("drainBuffer: a batch in flight when the buffer is cleared is not put back when it comes back undelivered", async () => {
  // A spool that lost its lease clears its destination while a batch is in
  // flight: its events belong to the new lease holder, which sends them
  // from storage; putting them back would send them twice.
  const target = buffer({ maxBufferedEvents: 10 });
  const ids = fill(target, 4);
  const options = {
    force: true,
    config: { batchSize: 2, flushIntervalMs: 1000 },
    now: () => 0,
    retryAt: () => 0,
  };
  const sent: string[][] = [];
  await drainBuffer(target, {
    ...options,
    take: () => {
      const entries = [target.queue.shift()!, target.queue.shift()!];
      return { entries, bytes: 0, body: new Uint8Array() };
    },
    deliver: (batch) => {
      sent.push(batch.entries.map((entry) => entry.event.event_id));
      assert.deepEqual(target.clear().map((event) => event.event_id), [
        ids[2],
        ids[3],
      ]);
      return Promise.resolve(batch.entries); // undelivered (the SIEM is down)
    },
  });
  assert.deepEqual(sent, [[ids[0], ids[1]]]);
  assert.equal(target.queue.length, 0, "the batch in flight is not put back");
  assert.equal(target.buffered, 0);
  // Without a clear, an undelivered batch goes back to the front.
  const kept = buffer({ maxBufferedEvents: 10 });
  const keptIds = fill(kept, 3);
  await drainBuffer(kept, {
    ...options,
    take: () => {
      const entries = [kept.queue.shift()!, kept.queue.shift()!];
      return { entries, bytes: 0, body: new Uint8Array() };
    },
    deliver: (batch) => Promise.resolve(batch.entries),
  });
  assert.deepEqual(
    kept.queue.toArray().map((entry) => entry.event.event_id),
    keptIds,
  );
});
