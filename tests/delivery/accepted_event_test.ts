import assert from "node:assert/strict";
import { utf8Length } from "../../src/delivery/accepted_event.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { AuditEventInput } from "../../src/events/audit_event.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { deadLetterSink, MemoryLogger, TOKENS } from "../support/receivers.ts";

// A caller keeps the events it exported and, once the first request has
// failed, changes their metadata: into a BigInt (JSON cannot hold it) and a
// changed string. What is sent on every later attempt must be what was
// accepted, and every accepted event must stay accounted for.

type Metadata = Record<string, unknown>;

function keptEvents(count: number): AuditEventInput[] {
  return realisticEvents(count).map((event, i) => ({
    ...event,
    metadata: { kept: `original-${i}`, list: [i, "x"] },
  }));
}

function spoil(events: AuditEventInput[]): void {
  for (const event of events) {
    const metadata = event.metadata as Metadata;
    metadata.kept = "changed by the caller";
    metadata.big = 10n;
    (metadata.list as unknown[]).push(1n);
  }
}

// A fetch that changes the caller's events right after the first answer.
function spoilingFetch(events: AuditEventInput[]): typeof fetch {
  let answered = 0;
  return async (input, init) => {
    const response = await fetch(input, init);
    if (++answered === 1) spoil(events);
    return response;
  };
}

// Every accepted event is in exactly one of: delivered, dead-lettered,
// still buffered.
function assertAccounted(
  integrator: SIEMIntegrator,
  delivered: string[],
  deadLettered: string[],
  buffered: string[],
  accepted: string[],
): void {
  const stats = integrator.getStats();
  assert.equal(stats.eventsAccepted, accepted.length);
  assert.equal(
    stats.eventsExported + stats.eventsFailed + stats.buffered,
    accepted.length,
    "delivered + dead-lettered + buffered = accepted",
  );
  const all = [...delivered, ...deadLettered, ...buffered];
  assert.equal(new Set(all).size, all.length, "no event is in two places");
  assert.deepEqual([...all].sort(), [...accepted].sort());
}

function sentMetadata(
  hec: { events: Array<Record<string, unknown>> },
): Metadata[] {
  return hec.events.map((envelope) =>
    (envelope.event as { metadata: Metadata }).metadata
  );
}

Deno.test("SIEMIntegrator resends what it accepted when the caller changes an event after a 503", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  hec.failNext({ status: 503 });
  const events = keptEvents(10);
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
    maxRetries: 2,
    retryDelayMs: 10,
  }], {
    fetch: spoilingFetch(events),
    logger: new MemoryLogger(),
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsSent, 10);
  assert.equal(hec.requests.length, 2);
  assert.deepEqual(
    sentMetadata(hec),
    events.map((_, i) => ({ kept: `original-${i}`, list: [i, "x"] })),
  );
  assertAccounted(
    integrator,
    hec.events.map((e) => (e.event as { event_id: string }).event_id),
    sink.letters.flatMap((l) => l.events.map((e) => e.event_id)),
    [],
    events.map((e) => e.event_id!),
  );
});

Deno.test("SIEMIntegrator splits what it accepted when the caller changes an event after a 413", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  hec.failNext({ status: 413 });
  const events = keptEvents(10);
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
  }], {
    fetch: spoilingFetch(events),
    logger: new MemoryLogger(),
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsSent, 10);
  assert.equal(result!.eventsFailed, 0);
  // The refused request, then its two halves.
  assert.equal(hec.requests.length, 3);
  assert.deepEqual(
    sentMetadata(hec),
    events.map((_, i) => ({ kept: `original-${i}`, list: [i, "x"] })),
  );
  assertAccounted(
    integrator,
    hec.events.map((e) => (e.event as { event_id: string }).event_id),
    sink.letters.flatMap((l) => l.events.map((e) => e.event_id)),
    [],
    events.map((e) => e.event_id!),
  );
});

Deno.test("SIEMIntegrator keeps accepted events accounted for when changed under the background loop", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  hec.failNext({ status: 503 });
  const events = keptEvents(10);
  const sink = deadLetterSink();
  const logger = new MemoryLogger();
  await using integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
    batchSize: 10,
    maxRetries: 1,
    retryDelayMs: 10,
  }], {
    fetch: spoilingFetch(events),
    logger,
    onDeadLetter: sink.onDeadLetter,
  });
  // A full batch starts the background loop at once.
  for (const event of events) integrator.exportEvent(event);
  const deadline = Date.now() + 5000;
  while (hec.events.length < 10 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  while (integrator.getStats().buffered > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.deepEqual(logger.lines, []);
  assert.equal(hec.events.length, 10);
  assertAccounted(
    integrator,
    hec.events.map((e) => (e.event as { event_id: string }).event_id),
    sink.letters.flatMap((l) => l.events.map((e) => e.event_id)),
    [],
    events.map((e) => e.event_id!),
  );
});

Deno.test("SIEMIntegrator.stop() never rejects when the caller changes an event it holds", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  hec.failNext({ status: 503 }, { status: 413 });
  const events = keptEvents(10);
  const sink = deadLetterSink();
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
    maxRetries: 3,
    retryDelayMs: 10,
  }], {
    fetch: spoilingFetch(events),
    logger: new MemoryLogger(),
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  for (const event of events) integrator.exportEvent(event);
  const report = await integrator.stop({ timeoutMs: 3000 });
  assert.equal(report.undeliveredCount, 0);
  assert.equal(hec.events.length, 10);
  assert.deepEqual(
    sentMetadata(hec),
    events.map((_, i) => ({ kept: `original-${i}`, list: [i, "x"] })),
  );
  assertAccounted(
    integrator,
    hec.events.map((e) => (e.event as { event_id: string }).event_id),
    sink.letters.flatMap((l) => l.events.map((e) => e.event_id)),
    report.destinations.flatMap((d) => d.undelivered.map((e) => e.event_id)),
    events.map((e) => e.event_id!),
  );
});

Deno.test("SIEMIntegrator.stop() reports undelivered events as they were accepted", async () => {
  const events = keptEvents(3);
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
    token: TOKENS.splunk,
    maxRetries: 0,
  }], { logger: new MemoryLogger(), autoFlush: false });
  for (const event of events) integrator.exportEvent(event);
  spoil(events);
  const report = await integrator.stop({ timeoutMs: 1000 });
  const undelivered = report.destinations[0]!.undelivered;
  assert.equal(undelivered.length, 3);
  // Written as the server writes its undelivered-events file.
  assert.deepEqual(
    undelivered.map((event) => JSON.parse(JSON.stringify(event)).metadata),
    events.map((_, i) => ({ kept: `original-${i}`, list: [i, "x"] })),
  );
});

Deno.test("utf8Length() matches TextEncoder for ASCII, non-ASCII, pairs and lone surrogates", () => {
  for (
    const text of ["", "plain ascii", "é", "東京", "😀 x", "a\uD800b", "\uDC00"]
  ) {
    assert.equal(utf8Length(text), new TextEncoder().encode(text).length, text);
  }
});
