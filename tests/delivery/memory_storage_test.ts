import assert from "node:assert/strict";
import type { SIEMEvent } from "../../src/events/siem_event.ts";
import { MemoryStorage } from "../../src/delivery/memory_storage.ts";

const events = (n: number, tag: string): { event: SIEMEvent }[] =>
  Array.from(
    { length: n },
    (_, i) => ({ event: { event_id: `${tag}-${i}` } as SIEMEvent }),
  );
const ids = (handed: { event: SIEMEvent }[]): string[] =>
  handed.map((e) => e.event.event_id);

Deno.test("MemoryStorage.handOut() hands out at most room events, oldest first, and keeps the rest in order", () => {
  const storage = new MemoryStorage();
  storage.store({ destinations: ["splunk"], events: events(5, "a") });
  assert.deepEqual(ids(storage.handOut("splunk", 2)), ["a-0", "a-1"]);
  assert.deepEqual(ids(storage.handOut("splunk", 0)), []);
  assert.deepEqual(ids(storage.handOut("splunk", 2)), ["a-2", "a-3"]);
  assert.deepEqual(ids(storage.handOut("splunk", 2)), ["a-4"]);
  assert.deepEqual(storage.handOut("splunk", 2), []);
});

Deno.test("MemoryStorage keeps one queue per destination: handing out to one takes nothing from another", () => {
  const storage = new MemoryStorage();
  storage.store({
    destinations: ["splunk", "datadog"],
    events: events(3, "a"),
  });
  storage.store({ destinations: ["datadog"], events: events(1, "b") });
  assert.deepEqual(ids(storage.handOut("splunk", Infinity)), [
    "a-0",
    "a-1",
    "a-2",
  ]);
  assert.deepEqual(ids(storage.handOut("datadog", 3)), ["a-0", "a-1", "a-2"]);
  assert.deepEqual(ids(storage.handOut("datadog", 3)), ["b-0"]);
  assert.deepEqual(storage.handOut("elasticsearch", 3), []);
});
