import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
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
  const stats = integrator.getStats().perPlatform.splunk!;
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
  assert.equal(integrator.getStats().perPlatform.splunk!.buffered, 5);
  assert.equal(integrator.getStats().perPlatform.splunk!.eventsFailed, 1);
  // stop() ends the held request at its deadline and reports the batch.
  const report = await integrator.stop({ timeoutMs: 100 });
  assert.deepEqual(
    report.destinations[0]!.undelivered.map((e) => e.event_id),
    events.slice(0, 5).map((e) => e.event_id),
  );
});
