import assert from "node:assert/strict";
import { DestinationBuffer } from "../../src/delivery/destination_buffer.ts";
import { nextDue } from "../../src/delivery/drain_buffer.ts";
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
  target.startFlight(3, target.bufferedBytes);
  assert.equal(target.buffered, 6);
  assert.ok("refuse" in target.overflow(10));
  target.endFlight();
  assert.equal(target.buffered, 3);
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
