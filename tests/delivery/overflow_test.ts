import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { acceptEvent } from "../../src/delivery/accepted_event.ts";
import {
  type AuditEventInput,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { waitFor } from "../support/fake_clock.ts";
import { deadLetterSink, MemoryLogger, TOKENS } from "../support/receivers.ts";

Deno.test("SIEMIntegrator overflow 'drop_oldest' refuses and dead-letters a new event while the whole buffer is in flight", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  // The first request is held open: the full batch stays in flight.
  hec.failNext({ hang: true });
  const sink = deadLetterSink();
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
    batchSize: 5,
    maxBufferedEvents: 5,
    overflow: "drop_oldest",
  }], { onDeadLetter: sink.onDeadLetter, logger: new MemoryLogger() });
  const events = realisticEvents(6);
  // A full batch starts a send at once (autoFlush is on).
  for (const event of events.slice(0, 5)) integrator.exportEvent(event);
  await waitFor(() => hec.requests.length === 1, 5000, "the held request");
  const stats = integrator.getStats().perDestination.splunk!;
  assert.equal(stats.state, "sending");
  assert.equal(stats.buffered, 5);
  // Nothing waits to be dropped: the new event is refused, not thrown on.
  const receipt = integrator.exportEvent(events[5]!);
  assert.deepEqual(receipt, {
    eventId: events[5]!.event_id,
    queued: [],
    refused: ["splunk"],
  });
  assert.deepEqual(
    sink.letters.map((letter) => letter.events.map((e) => e.event_id)),
    [[events[5]!.event_id]],
  );
  assert.match(sink.letters[0]!.reason, /buffer full/);
  assert.equal(integrator.getStats().perDestination.splunk!.buffered, 5);
  assert.equal(integrator.getStats().perDestination.splunk!.eventsFailed, 1);
  // stop() ends the held request at its deadline and reports the batch.
  const report = await integrator.stop({ timeoutMs: 100 });
  assert.deepEqual(
    report.destinations[0]!.undelivered.map((e) => e.event_id),
    events.slice(0, 5).map((e) => e.event_id),
  );
});

// Events whose JSON is a little over `size` bytes each.
function sizedEvents(
  count: number,
  size: number,
  seed = 1,
): AuditEventInput[] {
  return realisticEvents(count, seed).map((event) => ({
    ...event,
    metadata: { blob: "x".repeat(size) },
  }));
}

function offline(
  extra: Partial<SIEMConfigInput>,
): { integrator: SIEMIntegrator; sink: ReturnType<typeof deadLetterSink> } {
  const sink = deadLetterSink();
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
    token: TOKENS.splunk,
    ...extra,
  }], {
    autoFlush: false,
    logger: new MemoryLogger(),
    onDeadLetter: sink.onDeadLetter,
  });
  return { integrator, sink };
}

Deno.test("SIEMIntegrator bounds each buffer by maxBufferedBytes, counted on the events' JSON", () => {
  const { integrator, sink } = offline({ maxBufferedBytes: 1_000_000 });
  const events = sizedEvents(12, 100_000);
  const receipts = events.map((event) => integrator.exportEvent(event));
  // Ten events of a little over 100 KB fill 1 MB: nine fit.
  assert.deepEqual(
    receipts.map((receipt) => receipt.queued.length),
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
  );
  assert.deepEqual(
    sink.letters.flatMap((letter) => letter.events.map((e) => e.event_id)),
    events.slice(9).map((e) => e.event_id),
  );
  assert.match(
    sink.letters[0]!.reason,
    /^buffer full \(maxBufferedBytes 1000000, overflow "reject"\)$/,
  );
  const stats = integrator.getStats();
  assert.equal(stats.buffered, 9);
  assert.equal(stats.eventsFailed, 3);
  // capacity() counts the bytes too: not 99,991 free slots.
  assert.equal(integrator.capacity(), 0);
});

Deno.test("SIEMIntegrator.capacity() estimates free room in events of the average size buffered", () => {
  const { integrator } = offline({ maxBufferedBytes: 1_000_000 });
  assert.equal(integrator.capacity(), 100_000);
  for (const event of sizedEvents(2, 100_000)) integrator.exportEvent(event);
  // About 800 KB left, in events of about 100 KB.
  assert.equal(integrator.capacity(), 7);
  // No destination enabled: no room at all.
  assert.equal(offline({ enabled: false }).integrator.capacity(), 0);
});

Deno.test("SIEMIntegrator overflow 'drop_oldest' gives up as many of the oldest events as the bytes of a new one need", () => {
  const { integrator, sink } = offline({
    maxBufferedBytes: 1_000_000,
    overflow: "drop_oldest",
  });
  const events = sizedEvents(9, 100_000);
  for (const event of events) integrator.exportEvent(event);
  assert.equal(sink.letters.length, 0);
  const [large] = sizedEvents(1, 250_000, 2);
  assert.deepEqual(integrator.exportEvent(large!).queued, ["splunk"]);
  // About 150 KB were free: two of the oldest make room.
  assert.deepEqual(
    sink.letters.map((letter) => letter.events.map((e) => e.event_id)),
    [[events[0]!.event_id, events[1]!.event_id]],
  );
  assert.match(sink.letters[0]!.reason, /maxBufferedBytes 1000000/);
  assert.equal(integrator.getStats().buffered, 8);
});

Deno.test("SIEMIntegrator overflow 'drop_oldest' takes an event exactly as large as the whole buffer", () => {
  const { integrator, sink } = offline({
    maxBufferedBytes: 4096,
    overflow: "drop_oldest",
  });
  const bytesOf = (event: AuditEventInput): number =>
    acceptEvent(toSIEMEvent(parseAuditEvent(event))).bytes;
  const [small] = sizedEvents(1, 100);
  const [base] = sizedEvents(1, 0, 2);
  const exact = {
    ...base!,
    metadata: { blob: "x".repeat(4096 - bytesOf(base!)) },
  };
  assert.equal(bytesOf(exact), 4096);
  integrator.exportEvent(small!);
  assert.deepEqual(integrator.exportEvent(exact).queued, ["splunk"]);
  assert.deepEqual(
    sink.letters.map((letter) => letter.events.map((e) => e.event_id)),
    [[small!.event_id]],
  );
  assert.equal(integrator.getStats().buffered, 1);
});

Deno.test("SIEMIntegrator refuses an event larger than a whole buffer, and drops nothing for it", () => {
  const { integrator, sink } = offline({
    maxBufferedBytes: 100_000,
    overflow: "drop_oldest",
  });
  const [small] = sizedEvents(1, 1000);
  const [huge] = sizedEvents(1, 200_000, 2);
  integrator.exportEvent(small!);
  assert.deepEqual(integrator.exportEvent(huge!).refused, ["splunk"]);
  assert.equal(sink.letters.length, 1);
  assert.equal(sink.letters[0]!.events[0]!.event_id, huge!.event_id);
  assert.match(
    sink.letters[0]!.reason,
    /^event is \d+ bytes of JSON, more than the buffer holds \(maxBufferedBytes 100000\)$/,
  );
  assert.equal(integrator.getStats().buffered, 1);
});

Deno.test("SIEMIntegrator counts a batch's bytes until it is delivered, kept ones included", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  hec.failNext({ status: 503 });
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
    maxBufferedBytes: 1_000_000,
    maxRetries: 0,
  }], { autoFlush: false, logger: new MemoryLogger() });
  for (const event of sizedEvents(9, 100_000)) integrator.exportEvent(event);
  assert.equal(integrator.capacity(), 0);
  // Refused once: the batch is kept, and so are its bytes.
  await integrator.flushAll();
  assert.equal(integrator.getStats().buffered, 9);
  assert.equal(integrator.capacity(), 0);
  assert.deepEqual(
    integrator.exportEvent(sizedEvents(1, 100_000, 2)[0]!).refused,
    ["splunk"],
  );
  await integrator.flushAll();
  assert.equal(hec.events.length, 9);
  assert.equal(integrator.capacity(), 100_000);
  assert.deepEqual(
    integrator.exportEvent(sizedEvents(1, 100_000, 3)[0]!).queued,
    ["splunk"],
  );
  await integrator.stop({ timeoutMs: 1000 });
});
