import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
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

Deno.test("Destination retries an Elasticsearch request-level 404 and keeps the backlog", async () => {
  await using es = startFakeElasticsearch({ apiKey: TOKENS.elasticsearch });
  es.down({ status: 404 });
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "elasticsearch",
    endpoint: es.url,
    token: TOKENS.elasticsearch,
    maxRetries: 0,
  }], {
    clock: new FakeClock(),
    logger: quiet,
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  const events = realisticEvents(6);
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsFailed, 0);
  assert.equal(result!.eventsQueued, 6);
  assert.equal(es.requests.length, 1, "a 404 is not split");
  assert.deepEqual(sink.letters, []);
  const stats = integrator.getStats().perPlatform.elasticsearch!;
  assert.equal(stats.buffered, 6);
  assert.match(stats.lastError!, /HTTP 404: index_not_found_exception/);
  es.down(null);
  await integrator.flushAll();
  assert.deepEqual(
    es.documents.map((d) => d.id),
    events.map((e) => e.event_id),
  );
});

// Item-level 403 (a flood-stage disk block, a missing index privilege) and
// 404 (no index and auto-create off) clear when an operator acts, as the
// same causes do at request level (wire-specs §2.6): they are retried with
// backoff and kept, never dead-lettered.
for (
  const fault of [
    {
      status: 403,
      type: "cluster_block_exception",
      reason:
        "index [audit] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];",
    },
    {
      status: 403,
      type: "security_exception",
      reason:
        "action [indices:data/write/bulk[s]] is unauthorized for API key id [k] on indices [audit]",
    },
    {
      status: 404,
      type: "index_not_found_exception",
      reason: "no such index [audit]",
    },
  ]
) {
  Deno.test(`Destination retries Elasticsearch items failing with ${fault.status} ${fault.type} and keeps them`, async () => {
    await using es = startFakeElasticsearch({ apiKey: TOKENS.elasticsearch });
    const sink = deadLetterSink();
    const clock = new FakeClock();
    await using integrator = new SIEMIntegrator([{
      platform: "elasticsearch",
      endpoint: es.url,
      token: TOKENS.elasticsearch,
      retryDelayMs: 1000,
    }], {
      clock,
      random: () => 0,
      logger: quiet,
      autoFlush: false,
      onDeadLetter: sink.onDeadLetter,
    });
    const events = realisticEvents(4);
    for (const event of events) integrator.exportEvent(event);
    es.failItemsNext(({ index }) =>
      index === 1 || index === 2 ? fault : undefined
    );
    const flushing = integrator.flushAll();
    // The retry waits (backoff), as for a request-level 403 or 404.
    assert.equal(await clock.nextTimer(), 1000);
    await clock.advance(1000);
    const [result] = await flushing;
    assert.deepEqual(sink.letters, []);
    assert.equal(result!.eventsFailed, 0);
    assert.equal(result!.eventsSent, 4);
    assert.equal(es.requests.length, 2);
    assert.deepEqual(
      es.documents.map((d) => d.id).sort(),
      events.map((e) => e.event_id).sort(),
    );
  });
}
