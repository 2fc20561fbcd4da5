import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { deadLetterSink, MemoryLogger, TOKENS } from "../support/receivers.ts";

const quiet = new MemoryLogger();

function splunkIds(events: Array<Record<string, unknown>>): string[] {
  return events.map((env) => (env.event as { event_id: string }).event_id);
}

// HEC's event-level codes (wire-specs §1.8: 6 "Invalid data format", 12
// "Event field is required", 13 "Event field cannot be blank", 15 "Error in
// handling indexed fields") name the bad event by its 0-based
// `invalid-event-number`; HEC indexes nothing of the request, so the others
// are resent at once: two requests, not a split.
for (
  const [code, text] of [
    [6, "Invalid data format"],
    [12, "Event field is required"],
    [13, "Event field cannot be blank"],
    [15, "Error in handling indexed fields"],
  ] as const
) {
  Deno.test(`Destination isolates the event HEC names with code ${code} in two requests`, async () => {
    await using hec = startFakeSplunk({ token: TOKENS.splunk });
    hec.failNext({
      status: 400,
      body: JSON.stringify({ text, code, "invalid-event-number": 2 }),
    });
    const sink = deadLetterSink();
    const clock = new FakeClock();
    await using integrator = new SIEMIntegrator([{
      platform: "splunk",
      endpoint: hec.url,
      token: TOKENS.splunk,
    }], {
      clock,
      logger: quiet,
      autoFlush: false,
      onDeadLetter: sink.onDeadLetter,
    });
    const events = realisticEvents(5);
    for (const event of events) integrator.exportEvent(event);
    const [result] = await integrator.flushAll();
    assert.equal(hec.requests.length, 2);
    assert.deepEqual(
      splunkIds(hec.events),
      events.filter((_, i) => i !== 2).map((e) => e.event_id),
    );
    assert.deepEqual(
      sink.letters.map((l) => l.events.map((e) => e.event_id)),
      [[events[2]!.event_id]],
    );
    assert.equal(
      sink.letters[0]!.reason,
      `HEC code ${code}: ${text} (HTTP 400)`,
    );
    assert.equal(result!.eventsSent, 4);
    assert.equal(result!.eventsFailed, 1);
  });
}

Deno.test("Destination keeps a batch whose HEC answer names an event outside it", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
  }], {
    clock: new FakeClock(),
    logger: quiet,
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  // One past the last event, then a negative number: neither is an event of
  // the batch of 3, so no event may be dead-lettered by it and none lost.
  for (const [round, bad] of [3, -1].entries()) {
    hec.failNext({
      status: 400,
      body: JSON.stringify({
        text: "Invalid data format",
        code: 6,
        "invalid-event-number": bad,
      }),
    });
    const events = realisticEvents(3, round + 1);
    for (const event of events) integrator.exportEvent(event);
    const [result] = await integrator.flushAll();
    assert.deepEqual(
      splunkIds(hec.events.splice(0)).sort(),
      events.map((e) => e.event_id).sort(),
      `invalid-event-number ${bad}`,
    );
    assert.equal(result!.eventsSent, 3);
    assert.equal(result!.eventsFailed, 0);
  }
  assert.deepEqual(sink.letters, []);
  const stats = integrator.getStats();
  assert.equal(stats.eventsExported, 6);
  assert.equal(stats.buffered, 0);
});
