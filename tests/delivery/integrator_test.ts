import assert from "node:assert/strict";
import { InvalidAuditEventError } from "../../src/events/audit_event.ts";
import {
  IntegratorStoppedError,
  SIEMIntegrator,
} from "../../src/delivery/integrator.ts";
import { SIEMConfigError } from "../../src/platforms/siem_config.ts";
import { goldenEvents, realisticEvents } from "../fixtures/events.ts";
import { unmappableMetadata } from "../fixtures/unmappable_metadata.ts";
import {
  clockTest as test,
  FakeClock,
  waitFor,
} from "../support/fake_clock.ts";
import {
  deadLetterSink,
  MemoryLogger,
  startReceivers,
  TOKENS,
} from "../support/receivers.ts";

const quiet = new MemoryLogger();

Deno.test("SIEMIntegrator constructor makes no timer, request or random value", () => {
  const clock = {
    now: () => Date.now(),
    setTimeout: (): unknown => {
      throw new Error("timer in constructor");
    },
    clearTimeout: () => {},
  };
  const integrator = new SIEMIntegrator([
    { platform: "splunk", endpoint: "http://127.0.0.1:1" },
    { platform: "datadog", endpoint: "http://127.0.0.1:2" },
  ], {
    clock,
    fetch: () => Promise.reject(new Error("fetch in constructor")),
    random: () => {
      throw new Error("random in constructor");
    },
  });
  assert.deepEqual(integrator.destinations, ["splunk", "datadog"]);
  assert.equal(integrator.running, true);
});

Deno.test("SIEMIntegrator constructor refuses an invalid config and a duplicate name", () => {
  assert.throws(
    () =>
      new SIEMIntegrator([{
        platform: "splunk",
        endpoint: "http://127.0.0.1:1",
        batchSize: 0,
      }]),
    (error: unknown) =>
      error instanceof SIEMConfigError &&
      /batchSize must be at least 1/.test(error.message),
  );
  assert.throws(
    () =>
      new SIEMIntegrator([
        { platform: "splunk", endpoint: "http://127.0.0.1:1" },
        { platform: "splunk", endpoint: "http://127.0.0.1:2" },
      ]),
    /name "splunk" is taken/,
  );
  // Two clusters of one platform coexist under their own names.
  const two = new SIEMIntegrator([
    { platform: "splunk", endpoint: "http://127.0.0.1:1", name: "splunk-eu" },
    { platform: "splunk", endpoint: "http://127.0.0.1:2", name: "splunk-us" },
  ]);
  assert.deepEqual(two.destinations, ["splunk-eu", "splunk-us"]);
});

Deno.test("SIEMIntegrator.exportEvent() buffers without touching the network", () => {
  let calls = 0;
  const integrator = new SIEMIntegrator([
    { platform: "splunk", endpoint: "http://127.0.0.1:1" },
    { platform: "elasticsearch", endpoint: "http://127.0.0.1:2" },
    { platform: "datadog", endpoint: "http://127.0.0.1:3", enabled: false },
  ], {
    autoFlush: false,
    fetch: () => {
      calls++;
      return Promise.reject(new Error("no network"));
    },
  });
  const receipt = integrator.exportEvent(goldenEvents()[0]!);
  assert.deepEqual(receipt, {
    eventId: "0b5c7e3a-1f0e-4c1e-9a53-6f2d2a7c9e01",
    queued: ["splunk", "elasticsearch"],
    refused: [],
  });
  const stats = integrator.getStats();
  assert.equal(calls, 0);
  assert.equal(stats.eventsAccepted, 1);
  assert.equal(stats.eventsReceived, 2);
  assert.equal(stats.buffered, 2);
  assert.equal(stats.perDestination.splunk!.buffered, 1);
  assert.equal(stats.perDestination.datadog!.buffered, 0);
  assert.equal(stats.perDestination.datadog!.state, "disabled");
});

Deno.test("SIEMIntegrator.exportEvent() refuses an invalid event with the field and rule", () => {
  const integrator = new SIEMIntegrator([
    { platform: "splunk", endpoint: "http://127.0.0.1:1" },
  ], { autoFlush: false });
  assert.throws(
    () =>
      integrator.exportEvent({
        correlation_id: "c",
        event_type: "nope" as "request",
        actor: "a",
        action: "x",
        status: "success",
      }),
    (error: unknown) =>
      error instanceof InvalidAuditEventError &&
      error.issues[0]?.path === "event_type",
  );
  assert.equal(integrator.getStats().buffered, 0);
});

Deno.test("SIEMIntegrator.exportEvents() sends to all three platforms and returns each result", async () => {
  await using siems = startReceivers();
  await using integrator = new SIEMIntegrator(siems.configs(), {
    logger: quiet,
  });
  const results = await integrator.exportEvents(realisticEvents(120));
  assert.deepEqual(
    results.map((
      r,
    ) => [r.destination, r.success, r.eventsSent, r.eventsQueued]),
    [
      ["splunk", true, 120, 0],
      ["elasticsearch", true, 120, 0],
      ["datadog", true, 120, 0],
    ],
  );
  assert.equal(siems.splunk.events.length, 120);
  assert.equal(siems.elasticsearch.documents.length, 120);
  assert.equal(siems.datadog.logs.length, 120);
  // batchSize 50: three requests of 50, 50 and 20 per platform.
  assert.equal(siems.splunk.requests.length, 3);
  const ids = (list: unknown[]) => list.map((x) => x as string);
  assert.deepEqual(
    ids(siems.elasticsearch.documents.map((d) => d.id)),
    realisticEvents(120).map((e) => e.event_id),
  );
  assert.deepEqual(
    siems.datadog.logs.map((log) =>
      (log.audit as { event_id: string }).event_id
    ),
    realisticEvents(120).map((e) => e.event_id),
  );
  assert.deepEqual(
    siems.splunk.events.map((env) =>
      (env.event as { event_id: string }).event_id
    ),
    realisticEvents(120).map((e) => e.event_id),
  );
});

Deno.test("SIEMIntegrator.exportEvents() is all-or-nothing on validation", async () => {
  const integrator = new SIEMIntegrator([
    { platform: "splunk", endpoint: "http://127.0.0.1:1" },
  ], { autoFlush: false });
  const events = realisticEvents(3);
  events[1] = { ...events[1]!, actor: "" };
  await assert.rejects(
    () => integrator.exportEvents(events),
    (error: unknown) =>
      error instanceof InvalidAuditEventError &&
      error.issues[0]?.path === "1.actor" && /1\.actor/.test(error.message),
  );
  assert.equal(integrator.getStats().buffered, 0);
  assert.equal(integrator.getStats().eventsAccepted, 0);
});

Deno.test("SIEMIntegrator sends a full batch on its own, without a flush", async () => {
  await using siems = startReceivers();
  await using integrator = new SIEMIntegrator(
    siems.configs({ batchSize: 5, flushIntervalMs: 300_000 }),
    { logger: quiet },
  );
  for (const event of realisticEvents(5)) integrator.exportEvent(event);
  await waitFor(
    () =>
      siems.splunk.events.length === 5 &&
      siems.elasticsearch.documents.length === 5 &&
      siems.datadog.logs.length === 5,
    5000,
    "the full batch",
  );
  // A receiver holds the events before its answer reaches the integrator.
  await waitFor(
    () => integrator.getStats().eventsExported === 15,
    5000,
    "the answers",
  );
  assert.equal(integrator.getStats().eventsExported, 15);
});

test("SIEMIntegrator flushes a partial batch once its oldest event has waited flushIntervalMs", async () => {
  await using siems = startReceivers();
  const clock = new FakeClock();
  await using integrator = new SIEMIntegrator(
    siems.configs({ flushIntervalMs: 2000 }),
    { clock, logger: quiet },
  );
  integrator.exportEvent(goldenEvents()[0]!);
  assert.deepEqual(clock.pending, [2000, 2000, 2000]);
  await clock.advance(1000);
  integrator.exportEvent(goldenEvents()[1]!);
  // The timer follows the oldest event, not the newest.
  assert.deepEqual(clock.pending, [1000, 1000, 1000]);
  assert.equal(siems.splunk.requests.length, 0);
  await clock.advance(1000);
  await waitFor(
    () =>
      siems.splunk.events.length === 2 && siems.datadog.logs.length === 2 &&
      siems.elasticsearch.documents.length === 2,
    5000,
    "the timed flush",
  );
  assert.equal(siems.splunk.requests.length, 1);
});

Deno.test("SIEMIntegrator with autoFlush off sends only on flushAll()", async () => {
  await using siems = startReceivers();
  await using integrator = new SIEMIntegrator(
    siems.configs({ batchSize: 2, flushIntervalMs: 100 }),
    { autoFlush: false, logger: quiet },
  );
  for (const event of realisticEvents(5)) integrator.exportEvent(event);
  await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal(siems.splunk.requests.length, 0);
  const results = await integrator.flushAll();
  assert.deepEqual(results.map((r) => r.eventsSent), [5, 5, 5]);
  assert.equal(siems.splunk.requests.length, 3);
});

test("SIEMIntegrator.getStats() counts per destination and in total", async () => {
  await using siems = startReceivers();
  const clock = new FakeClock();
  // Each request takes 10 ms, then 30 ms, on the fake clock.
  const latencies = [10, 30, 10, 30, 10, 30];
  const timedFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (String(input).startsWith(siems.splunk.url)) {
      await clock.advance(latencies.shift() ?? 0);
    }
    return response;
  };
  await using integrator = new SIEMIntegrator(
    siems.configs({ batchSize: 2, maxRetries: 0 }),
    { clock, fetch: timedFetch, logger: quiet, autoFlush: false },
  );
  for (const event of realisticEvents(4)) integrator.exportEvent(event);
  siems.datadog.failNext({ status: 400 }, { status: 400 });
  await integrator.flushAll();
  const stats = integrator.getStats();
  assert.equal(stats.eventsAccepted, 4);
  assert.equal(stats.eventsReceived, 12);
  const splunk = stats.perDestination.splunk!;
  assert.equal(splunk.exportsTotal, 2);
  assert.equal(splunk.exportsSuccessful, 2);
  assert.equal(splunk.eventsExported, 4);
  assert.equal(splunk.avgLatencyMs, 20);
  assert.equal(splunk.state, "idle");
  // Datadog refused the first batch with 400, so it was split; the first
  // event alone was refused again (dead-lettered), the second accepted.
  const datadog = stats.perDestination.datadog!;
  assert.equal(datadog.exportsTotal, 4);
  assert.equal(datadog.exportsFailed, 2);
  assert.equal(datadog.eventsExported, 3);
  assert.equal(datadog.eventsFailed, 1);
  assert.match(datadog.lastError ?? "", /^HTTP 400: Bad Request/);
  assert.equal(stats.eventsExported, 11);
  assert.equal(stats.eventsFailed, 1);
  assert.equal(stats.exportsTotal, 2 + 2 + 4);
  assert.equal(stats.buffered, 0);
});

Deno.test("SIEMIntegrator.stop() delivers what is buffered, then refuses events; start() reopens", async () => {
  await using siems = startReceivers();
  const integrator = new SIEMIntegrator(siems.configs(), { logger: quiet });
  for (const event of realisticEvents(7)) integrator.exportEvent(event);
  const report = await integrator.stop();
  assert.equal(report.undeliveredCount, 0);
  assert.deepEqual(
    report.destinations.map((d) => [d.result.destination, d.result.eventsSent]),
    [["splunk", 7], ["elasticsearch", 7], ["datadog", 7]],
  );
  assert.equal(siems.datadog.logs.length, 7);
  assert.equal(integrator.running, false);
  assert.throws(
    () => integrator.exportEvent(goldenEvents()[0]!),
    IntegratorStoppedError,
  );
  await assert.rejects(
    () => integrator.exportEvents(goldenEvents()),
    IntegratorStoppedError,
  );
  const again = await integrator.stop();
  assert.equal(again.undeliveredCount, 0);
  integrator.start();
  integrator.start();
  assert.equal(integrator.running, true);
  integrator.exportEvent(goldenEvents()[0]!);
  await integrator.stop();
  assert.equal(siems.datadog.logs.length, 8);
});

Deno.test("SIEMIntegrator.stop() reports the events it could not deliver by its deadline", async () => {
  await using siems = startReceivers();
  siems.splunk.down({ status: 503 });
  const integrator = new SIEMIntegrator(
    siems.configs({ retryDelayMs: 50, maxRetries: 10 }),
    { logger: quiet },
  );
  const events = realisticEvents(3);
  for (const event of events) integrator.exportEvent(event);
  const started = Date.now();
  const report = await integrator.stop({ timeoutMs: 400 });
  assert.ok(Date.now() - started < 3000, "stop() kept its deadline");
  const splunk = report.destinations.find((d) =>
    d.result.destination === "splunk"
  )!;
  assert.deepEqual(
    splunk.undelivered.map((e) => e.event_id),
    events.map((e) => e.event_id),
  );
  assert.equal(splunk.result.success, false);
  assert.match(splunk.result.error ?? "", /HEC code 9: Server is busy/);
  assert.equal(report.undeliveredCount, 3);
  assert.equal(siems.datadog.logs.length, 3);
});

Deno.test("SIEMIntegrator.stop() ends a background request that hangs, at its deadline", async () => {
  await using siems = startReceivers();
  siems.splunk.down({ hang: true });
  const [splunk] = siems.configs({ batchSize: 1, timeoutMs: 60_000 });
  const integrator = new SIEMIntegrator([splunk!], { logger: quiet });
  integrator.exportEvent(goldenEvents()[0]!);
  await waitFor(() => siems.splunk.requests.length === 1, 5000, "the send");
  const started = Date.now();
  const report = await integrator.stop({ timeoutMs: 300 });
  assert.ok(Date.now() - started < 5000, "stop() kept its deadline");
  assert.deepEqual(
    report.destinations[0]!.undelivered.map((e) => e.event_id),
    [goldenEvents()[0]!.event_id],
  );
  // A second stop gets a fresh deadline and reports the same event.
  const again = await integrator.stop({ timeoutMs: 100 });
  assert.equal(again.undeliveredCount, 1);
});

Deno.test("SIEMIntegrator [Symbol.asyncDispose] flushes on scope exit", async () => {
  await using siems = startReceivers();
  {
    await using integrator = new SIEMIntegrator(siems.configs(), {
      logger: quiet,
    });
    integrator.exportEvent(goldenEvents()[1]!);
  }
  assert.equal(siems.elasticsearch.documents.length, 1);
});

Deno.test("SIEMIntegrator.addDestination() and removeDestination() change destinations at run time", async () => {
  await using siems = startReceivers();
  const [splunk, elasticsearch] = siems.configs();
  await using integrator = new SIEMIntegrator([splunk!], {
    autoFlush: false,
    logger: quiet,
  });
  integrator.exportEvent(goldenEvents()[0]!);
  integrator.addDestination(elasticsearch!);
  assert.throws(() => integrator.addDestination(elasticsearch!), /is taken/);
  integrator.exportEvent(goldenEvents()[1]!);
  assert.deepEqual(integrator.destinations, ["splunk", "elasticsearch"]);
  assert.equal(integrator.getStats().perDestination.elasticsearch!.buffered, 1);
  // Removing delivers what the destination holds and keeps its counters.
  const report = await integrator.removeDestination("splunk");
  assert.equal(report?.result.eventsSent, 2);
  assert.deepEqual(report?.undelivered, []);
  assert.equal(siems.splunk.events.length, 2);
  assert.deepEqual(integrator.destinations, ["elasticsearch"]);
  assert.equal(integrator.getStats().eventsExported, 2);
  assert.equal(integrator.getStats().perDestination.splunk, undefined);
  assert.equal(await integrator.removeDestination("splunk"), undefined);
});

Deno.test("SIEMIntegrator overflow 'reject' refuses the new event and dead-letters it", () => {
  const sink = deadLetterSink();
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
    batchSize: 2,
    maxBufferedEvents: 2,
  }], { autoFlush: false, onDeadLetter: sink.onDeadLetter, logger: quiet });
  const [a, b, c] = realisticEvents(3);
  integrator.exportEvent(a!);
  integrator.exportEvent(b!);
  const receipt = integrator.exportEvent(c!);
  assert.deepEqual(receipt.refused, ["splunk"]);
  assert.deepEqual(receipt.queued, []);
  assert.equal(sink.letters.length, 1);
  assert.equal(sink.letters[0]!.events[0]!.event_id, c!.event_id);
  assert.match(sink.letters[0]!.reason, /buffer full \(maxBufferedEvents 2/);
  const stats = integrator.getStats().perDestination.splunk!;
  assert.equal(stats.eventsFailed, 1);
  assert.equal(stats.buffered, 2);
});

Deno.test("SIEMIntegrator overflow 'drop_oldest' gives up the oldest event instead", async () => {
  await using siems = startReceivers();
  const sink = deadLetterSink();
  const [config] = siems.configs({
    batchSize: 2,
    maxBufferedEvents: 2,
    overflow: "drop_oldest",
  });
  await using integrator = new SIEMIntegrator([config!], {
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
    logger: quiet,
  });
  const events = realisticEvents(3);
  for (const event of events) integrator.exportEvent(event);
  assert.deepEqual(
    sink.letters.flatMap((l) => l.events.map((e) => e.event_id)),
    [events[0]!.event_id],
  );
  await integrator.flushAll();
  assert.deepEqual(
    siems.splunk.events.map((env) =>
      (env.event as { event_id: string }).event_id
    ),
    [events[1]!.event_id, events[2]!.event_id],
  );
  assert.equal(integrator.getStats().eventsFailed, 1);
});

Deno.test("SIEMIntegrator never writes a token in logs, stats, errors or dead letters", async () => {
  await using siems = startReceivers();
  siems.splunk.down({ status: 503 });
  siems.elasticsearch.down({ status: 401 });
  siems.datadog.down({ status: 403 });
  const logger = new MemoryLogger();
  const sink = deadLetterSink();
  const integrator = new SIEMIntegrator(
    siems.configs({ maxRetries: 1, retryDelayMs: 10 }),
    { logger, onDeadLetter: sink.onDeadLetter },
  );
  for (const event of realisticEvents(3)) integrator.exportEvent(event);
  const results = await integrator.flushAll();
  const report = await integrator.stop({ timeoutMs: 100 });
  const everything = JSON.stringify([
    logger.lines,
    integrator.getStats(),
    results,
    report.destinations.map((d) => d.result),
    sink.letters.map((l) => l.reason),
  ]);
  assert.ok(logger.lines.length > 0);
  assert.ok(everything.includes("HTTP 401"));
  for (const token of Object.values(TOKENS)) {
    assert.equal(everything.includes(token), false, `leaked ${token}`);
  }
});

Deno.test("exportEvent() refuses metadata an Elasticsearch destination without its template can never index, naming the field", async () => {
  await using integrator = new SIEMIntegrator([
    { platform: "splunk", endpoint: "http://127.0.0.1:1" },
    { platform: "elasticsearch", name: "es", endpoint: "http://127.0.0.1:2" },
  ], { autoFlush: false, logger: quiet });
  for (const { label, metadata, path, message } of unmappableMetadata()) {
    const event = { ...realisticEvents(1)[0]!, metadata };
    assert.throws(
      () => integrator.exportEvent(event),
      (error: unknown) => {
        assert.ok(error instanceof InvalidAuditEventError, label);
        assert.equal(error.issues.length, 1, label);
        assert.equal(error.issues[0]!.path, path, label);
        assert.match(error.issues[0]!.message, message, label);
        assert.match(error.message, /indexTemplate: true/, label);
        return true;
      },
    );
    // exportEvents() refuses the whole call, naming the event's position.
    await assert.rejects(
      integrator.exportEvents([realisticEvents(1)[0]!, event]),
      (error: unknown) =>
        error instanceof InvalidAuditEventError &&
        error.issues[0]!.path === `1.${path}`,
    );
  }
  assert.equal(integrator.getStats().eventsAccepted, 0);
  assert.equal(integrator.getStats().buffered, 0);
});

Deno.test("exportEvent() takes such metadata when no enabled destination maps it dynamically", async () => {
  const { metadata } = unmappableMetadata()[0]!;
  const event = { ...realisticEvents(1)[0]!, metadata };
  await using templated = new SIEMIntegrator([
    {
      platform: "elasticsearch",
      endpoint: "http://127.0.0.1:2",
      indexTemplate: true,
    },
    { platform: "splunk", endpoint: "http://127.0.0.1:1" },
  ], { autoFlush: false, logger: quiet });
  assert.deepEqual(templated.exportEvent(event).queued, [
    "elasticsearch",
    "splunk",
  ]);
  await using disabled = new SIEMIntegrator([
    {
      platform: "elasticsearch",
      endpoint: "http://127.0.0.1:2",
      enabled: false,
    },
    { platform: "datadog", endpoint: "http://127.0.0.1:3" },
  ], { autoFlush: false, logger: quiet });
  assert.deepEqual(disabled.exportEvent(event).queued, ["datadog"]);
  await templated.stop({ timeoutMs: 0 });
  await disabled.stop({ timeoutMs: 0 });
});
