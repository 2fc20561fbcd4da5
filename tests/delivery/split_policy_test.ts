import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import {
  MAX_ISOLATIONS,
  MAX_SPLIT_REQUESTS,
  REFUSED_STREAM_LEVELS,
  SplitTree,
} from "../../src/delivery/split_policy.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { startFakeProxy } from "../fakes/fake_proxy.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { destinationHealth } from "../../src/ingest/health.ts";
import { FakeClock } from "../support/fake_clock.ts";
import {
  deadLetterSink,
  MemoryLogger,
  type Receivers,
  startReceivers,
  TOKENS,
} from "../support/receivers.ts";

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

Deno.test("Destination backs off from a HEC that names the first event of every request as invalid", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  hec.down({
    status: 400,
    body: JSON.stringify({
      text: "Invalid data format",
      code: 6,
      "invalid-event-number": 0,
    }),
  });
  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: hec.url,
    token: TOKENS.splunk,
    batchSize: 1000,
  }], {
    clock: new FakeClock(),
    logger: quiet,
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  for (const event of realisticEvents(1000)) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  // MAX_ISOLATIONS events refused one by one, then one more answer alike:
  // the rest is kept and the destination backs off.
  assert.equal(hec.requests.length, MAX_ISOLATIONS + 1);
  assert.equal(result!.eventsFailed, MAX_ISOLATIONS);
  assert.equal(result!.eventsQueued, 1000 - MAX_ISOLATIONS);
  const stats = integrator.getStats().perDestination.splunk!;
  assert.equal(stats.state, "backing_off");
  assert.match(stats.setupError!, /refused 16 events in a row one by one/);
  assert.equal(destinationHealth(stats, 3), "failing");
});

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
  const stats = integrator.getStats().perDestination.elasticsearch!;
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

type Platform = "splunk" | "elasticsearch" | "datadog";
const PLATFORMS: readonly Platform[] = ["splunk", "elasticsearch", "datadog"];

function deliveredIds(siems: Receivers, platform: Platform): string[] {
  switch (platform) {
    case "splunk":
      return splunkIds(siems.splunk.events);
    case "elasticsearch":
      return siems.elasticsearch.documents.map((d) => d.id);
    case "datadog":
      return siems.datadog.logs.map((log) =>
        (log.audit as { event_id: string }).event_id
      );
  }
}

// Each fake answers 400 with its platform's own payload-error body (HEC code
// 6 without an event number, ES illegal_argument_exception, Datadog
// {"errors":[...]}), which splits a batch: a SIEM refusing everything that
// way must cost a bounded number of requests, dead-letter nothing, and keep
// the backlog until it accepts again.
for (const platform of PLATFORMS) {
  for (const batchSize of [1000, 50]) {
    Deno.test(`Destination backs off from a ${platform} that answers 400 to everything, in at most 64 requests per 1000 events (batchSize ${batchSize})`, async () => {
      await using siems = startReceivers();
      const fake = siems[platform];
      fake.down({ status: 400 });
      const sink = deadLetterSink();
      const logger = new MemoryLogger();
      const config = siems.configs({ batchSize, maxBufferedEvents: 1000 })
        .find((c) => c.platform === platform)!;
      await using integrator = new SIEMIntegrator([config], {
        clock: new FakeClock(),
        logger,
        autoFlush: false,
        onDeadLetter: sink.onDeadLetter,
      });
      const events = realisticEvents(1000);
      for (const event of events) integrator.exportEvent(event);
      const [result] = await integrator.flushAll();
      // The whole batch, then both halves at 3 levels: 7 requests (the
      // issue's bound is 64), then the destination backs off.
      assert.equal(fake.requests.length, 7);
      assert.deepEqual(sink.letters, []);
      assert.equal(result!.eventsFailed, 0);
      assert.equal(result!.eventsQueued, 1000);
      const stats = integrator.getStats().perDestination[platform]!;
      assert.equal(stats.state, "backing_off");
      assert.match(stats.setupError!, /refuses the stream/);
      assert.equal(destinationHealth(stats, 3), "failing");
      assert.ok(
        logger.lines.some((line) =>
          line.startsWith("error destination setup error") &&
          line.includes("refused alike (HTTP 400)")
        ),
      );
      fake.down(null);
      await integrator.flushAll();
      assert.deepEqual(
        deliveredIds(siems, platform).sort(),
        events.map((e) => e.event_id).sort(),
      );
      const after = integrator.getStats().perDestination[platform]!;
      assert.equal(after.setupError, undefined);
      assert.equal(destinationHealth(after, 3), "delivering");
    });
  }
}

// One event the SIEM refuses for its content, with the platform's own
// payload-error answer (no event number), among 1000: the split isolates
// it and delivers the other 999.
for (const platform of PLATFORMS) {
  Deno.test(`Destination isolates the one event ${platform} refuses among 1000 and delivers the 999 others`, async () => {
    await using siems = startReceivers();
    const fake = siems[platform];
    const events = realisticEvents(1000);
    const bad = events[617]!.event_id!;
    fake.refuseWhen((body) => body.includes(bad) ? { status: 400 } : undefined);
    const sink = deadLetterSink();
    const config = siems.configs({ batchSize: 1000 })
      .find((c) => c.platform === platform)!;
    await using integrator = new SIEMIntegrator([config], {
      clock: new FakeClock(),
      logger: quiet,
      autoFlush: false,
      onDeadLetter: sink.onDeadLetter,
    });
    for (const event of events) integrator.exportEvent(event);
    const [result] = await integrator.flushAll();
    assert.equal(result!.eventsSent, 999);
    assert.equal(result!.eventsFailed, 1);
    assert.equal(result!.eventsQueued, 0);
    assert.deepEqual(
      deliveredIds(siems, platform).sort(),
      events.map((e) => e.event_id).filter((id) => id !== bad).sort(),
    );
    assert.deepEqual(sink.letters.map((l) => l.events.map((e) => e.event_id)), [
      [bad],
    ]);
    assert.equal(sink.letters[0]!.status, 400);
    // The whole batch, then both halves at each of 10 levels.
    assert.ok(fake.requests.length <= 21, `${fake.requests.length} requests`);
    const stats = integrator.getStats().perDestination[platform]!;
    assert.equal(stats.setupError, undefined);
  });
}

// Setup errors: the request reached a server that is not the platform's
// intake (404/405 from a wrong path, an HTML page from a proxy), or TLS met
// plain HTTP. Retried with backoff and kept, never split or dead-lettered;
// the destination reports what to check and /health fails until a delivery.
const SETUP_CASES = [
  { name: "404 from a wrong path", status: 404, check: /check the endpoint/ },
  { name: "405", status: 405, check: /check the endpoint/ },
] as const;

for (const platform of PLATFORMS) {
  for (const { name, status, check } of SETUP_CASES) {
    Deno.test(`Destination keeps the backlog through a ${platform} ${name}, as a setup error`, async () => {
      await using siems = startReceivers();
      const fake = siems[platform];
      fake.down({ status });
      const sink = deadLetterSink();
      const logger = new MemoryLogger();
      const config = siems.configs({ maxRetries: 0 })
        .find((c) => c.platform === platform)!;
      await using integrator = new SIEMIntegrator([config], {
        clock: new FakeClock(),
        logger,
        autoFlush: false,
        onDeadLetter: sink.onDeadLetter,
      });
      const events = realisticEvents(8);
      for (const event of events) integrator.exportEvent(event);
      const [result] = await integrator.flushAll();
      assert.equal(fake.requests.length, 1, "not split");
      assert.deepEqual(sink.letters, []);
      assert.equal(result!.eventsFailed, 0);
      assert.equal(result!.eventsQueued, 8);
      const stats = integrator.getStats().perDestination[platform]!;
      assert.match(stats.setupError!, check);
      assert.equal(destinationHealth(stats, 3), "failing");
      assert.ok(
        logger.lines.some((line) =>
          line.startsWith("error destination setup error") &&
          check.test(line)
        ),
      );
      fake.down(null);
      await integrator.flushAll();
      assert.deepEqual(
        deliveredIds(siems, platform).sort(),
        events.map((e) => e.event_id).sort(),
      );
      const after = integrator.getStats().perDestination[platform]!;
      assert.equal(after.setupError, undefined);
      assert.equal(destinationHealth(after, 3), "delivering");
    });
  }

  Deno.test(`Destination keeps the backlog when a proxy in front of ${platform} answers an HTML page, as a setup error`, async () => {
    await using siems = startReceivers();
    await using proxy = startFakeProxy({ status: 400 });
    const sink = deadLetterSink();
    const logger = new MemoryLogger();
    const config = siems.configs({ maxRetries: 0 })
      .find((c) => c.platform === platform)!;
    await using integrator = new SIEMIntegrator([{
      ...config,
      endpoint: proxy.url,
    }], {
      clock: new FakeClock(),
      logger,
      autoFlush: false,
      onDeadLetter: sink.onDeadLetter,
    });
    for (const event of realisticEvents(8)) integrator.exportEvent(event);
    for (const answer of [400, 403, 413, 200]) {
      proxy.status = answer;
      const before = proxy.requests.length;
      const [result] = await integrator.flushAll();
      assert.deepEqual(sink.letters, [], `HTTP ${answer}`);
      assert.equal(result!.eventsQueued, 8, `HTTP ${answer}`);
      const stats = integrator.getStats().perDestination[platform]!;
      if (answer === 413) {
        // A 413 from a proxy is still about size: split, then stopped once
        // every part is refused alike, with nothing lost.
        assert.match(stats.setupError!, /refuses the stream/);
        assert.ok(proxy.requests.length - before <= 64);
      } else {
        assert.equal(proxy.requests.length - before, 1, `HTTP ${answer}`);
        assert.match(
          stats.setupError!,
          new RegExp(`HTTP ${answer}, text/html\\) is not .*proxy`),
        );
      }
      assert.equal(destinationHealth(stats, 3), "failing", `HTTP ${answer}`);
    }
    assert.ok(
      logger.lines.some((line) =>
        line.startsWith("error destination setup error") &&
        line.includes("load balancer")
      ),
    );
  });

  Deno.test(`Destination keeps the backlog through a TLS / plain-HTTP mix-up with ${platform}, as a setup error`, async () => {
    await using siems = startReceivers();
    const fake = siems[platform];
    const sink = deadLetterSink();
    const logger = new MemoryLogger();
    const config = siems.configs({ maxRetries: 0 })
      .find((c) => c.platform === platform)!;
    await using integrator = new SIEMIntegrator([{
      ...config,
      // https to a port that serves plain HTTP.
      endpoint: fake.url.replace("http:", "https:"),
    }], {
      clock: new FakeClock(),
      logger,
      autoFlush: false,
      onDeadLetter: sink.onDeadLetter,
    });
    for (const event of realisticEvents(3)) integrator.exportEvent(event);
    const [result] = await integrator.flushAll();
    assert.deepEqual(sink.letters, []);
    assert.equal(result!.eventsQueued, 3);
    const stats = integrator.getStats().perDestination[platform]!;
    assert.match(stats.setupError!, /TLS or plain-HTTP mix-up/);
    assert.equal(destinationHealth(stats, 3), "failing");
    assert.ok(
      logger.lines.some((line) =>
        line.startsWith("error destination setup error") &&
        line.includes("the endpoint uses https")
      ),
    );
  });
}

Deno.test("Destination settles a half delivered during a split even when the other half must wait", async () => {
  await using siems = startReceivers();
  const fake = siems.datadog;
  // The batch is refused for its content, its first half meets an outage,
  // its second half is accepted.
  fake.failNext({ status: 400 }, { status: 503 });
  const config = siems.configs({ maxRetries: 0 })
    .find((c) => c.platform === "datadog")!;
  await using integrator = new SIEMIntegrator([config], {
    clock: new FakeClock(),
    logger: quiet,
    autoFlush: false,
  });
  const events = realisticEvents(4);
  for (const event of events) integrator.exportEvent(event);
  const [result] = await integrator.flushAll();
  assert.equal(result!.eventsSent, 2);
  assert.equal(result!.eventsQueued, 2);
  assert.deepEqual(
    deliveredIds(siems, "datadog"),
    events.slice(2).map((e) => e.event_id),
  );
  await integrator.flushAll();
  // Each event reached Datadog once: the delivered half was not kept.
  assert.deepEqual(
    deliveredIds(siems, "datadog").sort(),
    events.map((e) => e.event_id).sort(),
  );
  assert.equal(integrator.getStats().eventsExported, 4);
});

Deno.test("Destination stops a split after 64 requests, keeps the rest, and goes on at the next try", async () => {
  await using siems = startReceivers();
  const fake = siems.datadog;
  const events = realisticEvents(1000);
  // 40 events Datadog refuses, each with its own reason: no two parts are
  // refused alike, so only the request budget bounds the split.
  const bad = events.filter((_, i) => i % 25 === 7).map((e) => e.event_id!);
  fake.refuseWhen((body) => {
    const id = bad.find((id) => body.includes(`"${id}"`));
    return id === undefined ? undefined : {
      status: 400,
      body: JSON.stringify({
        errors: [{ status: "400", title: "Bad Request", detail: `log ${id}` }],
      }),
    };
  });
  const sink = deadLetterSink();
  const logger = new MemoryLogger();
  const config = siems.configs({ batchSize: 1000 })
    .find((c) => c.platform === "datadog")!;
  await using integrator = new SIEMIntegrator([config], {
    clock: new FakeClock(),
    logger,
    autoFlush: false,
    onDeadLetter: sink.onDeadLetter,
  });
  for (const event of events) integrator.exportEvent(event);
  const [first] = await integrator.flushAll();
  assert.equal(fake.requests.length, MAX_SPLIT_REQUESTS);
  assert.ok(first!.eventsSent > 0);
  assert.ok(first!.eventsQueued > 0);
  assert.equal(
    first!.eventsSent + first!.eventsFailed + first!.eventsQueued,
    1000,
  );
  assert.ok(logger.lines.some((line) => line.startsWith("warn split stopped")));
  for (
    let round = 0;
    round < 40 && integrator.getStats().buffered > 0;
    round++
  ) {
    const before: number = fake.requests.length;
    await integrator.flushAll();
    assert.ok(fake.requests.length - before <= MAX_SPLIT_REQUESTS);
  }
  assert.equal(integrator.getStats().buffered, 0);
  assert.deepEqual(
    sink.letters.flatMap((l) => l.events.map((e) => e.event_id)).sort(),
    [...bad].sort(),
  );
  assert.equal(deliveredIds(siems, "datadog").length, 960);
});

Deno.test("SplitTree stops when both halves are refused like the whole at 3 levels, with nothing delivered", () => {
  const whole = { status: 400, reason: "HTTP 400: Bad Request" };
  const tree = new SplitTree();
  assert.equal(tree.goOn(whole, [whole, whole], 500), true);
  assert.equal(tree.goOn(whole, [whole, { ...whole }], 250), true);
  assert.equal(tree.goOn(whole, [whole, whole], 125), false);
  assert.deepEqual(tree.stopped, { kind: "refused_stream", refusal: whole });
  assert.equal(REFUSED_STREAM_LEVELS, 3);
});

Deno.test("SplitTree goes on when a half is accepted, refused otherwise, or something was delivered", () => {
  const whole = { status: 400, reason: "HTTP 400: line [3]" };
  const other = { status: 400, reason: "HTTP 400: line [7]" };
  const tree = new SplitTree();
  assert.equal(tree.goOn(whole, [whole, undefined], 500), true);
  assert.equal(tree.goOn(whole, [whole, other], 250), true);
  tree.delivered = true;
  for (let level = 0; level < 5; level++) {
    assert.equal(tree.goOn(whole, [whole, whole], 1), true);
  }
  assert.equal(tree.stopped, undefined);
});

Deno.test("SplitTree counts a 413 refused alike only for single events, and stops at the request budget", () => {
  const tooLarge = { status: 413, reason: "HTTP 413: (empty body)" };
  const tree = new SplitTree();
  for (const size of [500, 250, 125, 62, 31, 15, 7, 3]) {
    assert.equal(tree.goOn(tooLarge, [tooLarge, tooLarge], size), true);
  }
  assert.equal(tree.goOn(tooLarge, [tooLarge, tooLarge], 1), false);
  const spent = new SplitTree();
  assert.equal(spent.requests, 1, "the refused batch counts");
  spent.requests = MAX_SPLIT_REQUESTS - 1;
  assert.equal(spent.mayRequest(), true);
  spent.requests++;
  assert.equal(spent.mayRequest(), false);
  assert.deepEqual(spent.stopped, {
    kind: "budget",
    requests: MAX_SPLIT_REQUESTS,
  });
});
