import assert from "node:assert/strict";
import { acceptEvent } from "../../src/delivery/accepted_event.ts";
import type { Batch, Entry } from "../../src/delivery/batch_builder.ts";
import { DestinationBuffer } from "../../src/delivery/destination_buffer.ts";
import { drainBuffer } from "../../src/delivery/drain_buffer.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { realisticEvents } from "../fixtures/events.ts";

const config = parseSIEMConfig({
  platform: "splunk",
  endpoint: "http://127.0.0.1:1",
  batchSize: 2,
});

function filled(
  count: number,
  seed = 1,
): { buffer: DestinationBuffer; ids: string[] } {
  const buffer = new DestinationBuffer(() => config);
  const ids: string[] = [];
  for (const raw of realisticEvents(count, seed)) {
    const accepted = acceptEvent(toSIEMEvent(parseAuditEvent(raw)));
    buffer.queue.push({ ...accepted, at: 0 });
    ids.push(accepted.event.event_id);
  }
  return { buffer, ids };
}

function takeTwo(buffer: DestinationBuffer): () => Batch | undefined {
  return () => {
    const entries: Entry[] = [];
    while (entries.length < 2 && buffer.queue.length > 0) {
      entries.push(buffer.queue.shift()!);
    }
    const bytes = entries.reduce((sum, entry) => sum + entry.bytes, 0);
    return entries.length === 0
      ? undefined
      : { entries, bytes, body: new Uint8Array() };
  };
}

/** Deliveries that the test answers one by one. */
class HeldDeliveries {
  readonly open: Array<
    { ids: string[]; entries: Entry[]; answer: (left: Entry[]) => void }
  > = [];
  mostOpen = 0;
  started: string[][] = [];

  deliver = (batch: Batch): Promise<Entry[]> => {
    const ids = batch.entries.map((entry) => entry.event.event_id);
    this.started.push(ids);
    const { promise, resolve } = Promise.withResolvers<Entry[]>();
    this.open.push({
      ids,
      entries: batch.entries,
      answer: (left) => {
        this.open.splice(this.open.findIndex((d) => d.ids === ids), 1);
        resolve(left);
      },
    });
    this.mostOpen = Math.max(this.mostOpen, this.open.length);
    return promise;
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

const options = {
  force: true,
  config,
  now: () => 0,
  retryAt: () => 0,
};

Deno.test("drainBuffer sends up to `concurrency` batches at once, the next as soon as one comes back", async () => {
  const { buffer, ids } = filled(10);
  const held = new HeldDeliveries();
  const done = drainBuffer(buffer, {
    ...options,
    concurrency: 2,
    take: takeTwo(buffer),
    deliver: held.deliver,
  });
  await settle();
  assert.deepEqual(held.started, [[ids[0], ids[1]], [ids[2], ids[3]]]);
  // Both batches in flight still count as buffered.
  assert.equal(buffer.buffered, 10);
  // The second answers first: the third batch starts without waiting for
  // the first.
  held.open[1]!.answer([]);
  await settle();
  assert.deepEqual(held.started.at(-1), [ids[4], ids[5]]);
  assert.equal(buffer.buffered, 8);
  while (held.open.length > 0) {
    held.open[0]!.answer([]);
    await settle();
  }
  await done;
  assert.equal(held.started.length, 5);
  assert.equal(held.mostOpen, 2);
  assert.equal(buffer.buffered, 0);
  assert.equal(buffer.bufferedBytes, 0);
});

Deno.test("drainBuffer with concurrency 1 has one batch in flight at a time", async () => {
  const { buffer } = filled(6);
  const held = new HeldDeliveries();
  const done = drainBuffer(buffer, {
    ...options,
    take: takeTwo(buffer),
    deliver: held.deliver,
  });
  while (held.started.length < 3 || held.open.length > 0) {
    await settle();
    held.open[0]?.answer([]);
  }
  await done;
  assert.equal(held.mostOpen, 1);
  assert.equal(held.started.length, 3);
});

Deno.test("drainBuffer: a batch left undelivered ends the drain once the batches in flight are back, and none starts meanwhile", async () => {
  const { buffer, ids } = filled(8);
  const held = new HeldDeliveries();
  let ended = false;
  const done = drainBuffer(buffer, {
    ...options,
    concurrency: 2,
    take: takeTwo(buffer),
    deliver: held.deliver,
  }).then(() => ended = true);
  await settle();
  const [first, second] = held.open;
  // The SIEM refuses the first batch for now (retries ran out).
  first!.answer(first!.entries);
  await settle();
  assert.equal(held.started.length, 2, "no batch starts after a failure");
  assert.equal(ended, false, "the batch still in flight is waited for");
  second!.answer([]);
  await done;
  assert.equal(held.started.length, 2);
  // The undelivered batch is back at the front, before those never sent.
  assert.deepEqual(
    buffer.queue.toArray().map((entry) => entry.event.event_id),
    [ids[0], ids[1], ids[4], ids[5], ids[6], ids[7]],
  );
  assert.equal(buffer.buffered, 6);
});

Deno.test("drainBuffer: a delivery that throws ends the drain with its error once the others are back", async () => {
  const { buffer } = filled(6);
  const held = new HeldDeliveries();
  let calls = 0;
  const done = drainBuffer(buffer, {
    ...options,
    concurrency: 2,
    take: takeTwo(buffer),
    deliver: (batch) =>
      calls++ === 0 ? Promise.reject(new Error("defect")) : held.deliver(batch),
  });
  let settledWith: unknown;
  done.catch((error) => settledWith = error);
  await settle();
  assert.equal(held.open.length, 1);
  assert.equal(settledWith, undefined, "waits for the batch in flight");
  held.open[0]!.answer([]);
  await assert.rejects(done, /defect/);
  assert.equal(held.started.length, 1, "no batch starts after the error");
});

Deno.test("drainBuffer: events buffered while a batch is in flight go out at once in another request when the destination calls `running`'s launch", async () => {
  // Only the first batch is buffered when the drain begins.
  const { buffer } = filled(2);
  const held = new HeldDeliveries();
  let launch: (() => void) | undefined;
  const done = drainBuffer(buffer, {
    ...options,
    force: false,
    concurrency: 2,
    take: takeTwo(buffer),
    deliver: held.deliver,
    running: (start) => launch = start,
  });
  await settle();
  assert.equal(held.open.length, 1);
  assert.ok(launch !== undefined);
  launch();
  assert.equal(held.open.length, 1, "nothing due: nothing starts");
  for (const entry of filled(2, 7).buffer.queue.toArray()) {
    buffer.queue.push(entry);
  }
  launch();
  assert.equal(held.open.length, 2, "the new full batch starts at once");
  held.open[0]!.answer([]);
  held.open[0]!.answer([]);
  await done;
  assert.equal(launch, undefined, "taken back once the drain ended");
});

Deno.test("drainBuffer: a batch is never taken while another is being taken, even when taking it buffers more (a dead-letter callback that exports again)", async () => {
  const { buffer } = filled(8);
  const held = new HeldDeliveries();
  let launch: (() => void) | undefined;
  let depth = 0;
  let deepest = 0;
  const take = takeTwo(buffer);
  const done = drainBuffer(buffer, {
    ...options,
    concurrency: 3,
    take: () => {
      depth++;
      deepest = Math.max(deepest, depth);
      // What a dead letter's callback may do: buffer an event, which
      // starts a batch when a drain runs with requests to spare.
      launch?.();
      const batch = take();
      depth--;
      return batch;
    },
    deliver: held.deliver,
    running: (start) => launch = start,
  });
  await settle();
  while (held.open.length > 0) {
    held.open[0]!.answer([]);
    await settle();
  }
  await done;
  assert.equal(deepest, 1);
  assert.equal(held.started.length, 4);
});
