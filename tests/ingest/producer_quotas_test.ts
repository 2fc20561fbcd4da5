import assert from "node:assert/strict";
import type { AuditEvent } from "../../src/events/audit_event.ts";
import type { DeliveryStats } from "../../src/delivery/stats.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import type { IngestSink } from "../../src/ingest/sink.ts";
import { serverConfig } from "../../src/ingest/server_config.ts";
import type { IngestError } from "../../src/ingest/ingest_error.ts";
import {
  checkQuotas,
  parseQuotas,
  producerLimiter,
  renderProducerMetrics,
} from "../../src/ingest/producer_quotas.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { serveIngest } from "../support/serve_ingest.ts";

const A = "producer-a-token-0123456789";
const B = "producer-b-token-0123456789";
const TOKENS = [{ name: "a", token: A }, { name: "b", token: B }];

function events(count: number, tag = "x"): unknown[] {
  return Array.from({ length: count }, (_, i) => ({
    correlation_id: `${tag}-${i}`,
    event_type: "request",
    actor: "agent-7",
    action: "read",
    status: "success",
  }));
}

/** A sink of `size` events that drains only when the test says so. */
function boundedSink(size: number): IngestSink & { drain(): void } {
  let held: AuditEvent[] = [];
  const stats: DeliveryStats = {
    eventsAccepted: 0,
    buffered: 0,
    eventsReceived: 0,
    eventsExported: 0,
    eventsFailed: 0,
    exportsTotal: 0,
    exportsSuccessful: 0,
    exportsFailed: 0,
    totalRetries: 0,
    eventsAged: 0,
    avgLatencyMs: 0,
    perDestination: {},
    perPlatform: {},
  };
  return {
    accept(accepted: readonly AuditEvent[]): Promise<void> {
      held = [...held, ...accepted];
      return Promise.resolve();
    },
    capacity: (): number => size - held.length,
    getStats: (): DeliveryStats => ({ ...stats, buffered: held.length }),
    flush: (): Promise<unknown> => Promise.resolve(),
    drain(): void {
      held = [];
    },
  };
}

Deno.test("quotas: producer A at 10x its events/s gets 429 with Retry-After; every request of B within its quota is accepted; /stats and /metrics count both", async () => {
  const clock = new FakeClock(0);
  const app = createIngestApp({
    sink: boundedSink(100_000),
    tokens: TOKENS,
    clock,
    quotas: { "*": { eventsPerSecond: 10 } },
  });
  await using served = serveIngest(app);
  const statuses = { a: [] as number[], b: [] as number[] };
  const retryAfter = new Set<string | null>();
  for (let second = 0; second < 10; second++) {
    for (let i = 0; i < 10; i++) { // A: 100 events a second, 10x its quota
      const answer = await served.post(A, events(10, `a${second}-${i}`));
      statuses.a.push(answer.status);
      if (answer.status === 429) {
        retryAfter.add(answer.headers.get("retry-after"));
        assert.equal((await answer.json()).error.code, "rate_limited");
      }
    }
    const answer = await served.post(B, events(5, `b${second}`)); // within
    statuses.b.push(answer.status);
    await clock.advance(1000);
  }
  assert.equal(statuses.a.filter((s) => s === 202).length, 10);
  assert.equal(statuses.a.filter((s) => s === 429).length, 90);
  assert.deepEqual(statuses.b, Array(10).fill(202));
  // A whole number of seconds (RFC 9110 delay-seconds): the bucket refills
  // 10 events in 1 s.
  assert.deepEqual([...retryAfter], ["1"]);

  const stats = await (await served.get(A, "/stats")).json();
  assert.deepEqual(stats.producers, {
    a: {
      accepted: 10,
      eventsAccepted: 100,
      refusedByQuota: 90,
      refusedOverShare: 0,
      refusedInvalid: 0,
    },
    b: {
      accepted: 10,
      eventsAccepted: 50,
      refusedByQuota: 0,
      refusedOverShare: 0,
      refusedInvalid: 0,
    },
  });
  const metrics = await (await served.get(A, "/metrics")).text();
  assert.match(
    metrics,
    /^harombe_siem_ingest_producer_requests_total\{producer="a",outcome="rate_limited"\} 90$/m,
  );
  assert.match(
    metrics,
    /^harombe_siem_ingest_producer_events_accepted_total\{producer="b"\} 50$/m,
  );
});

Deno.test("quotas: bytes/s with a burst: a body over the burst passes on a full bucket and is paid for; invalid requests are counted per producer", async () => {
  const clock = new FakeClock(0);
  const app = createIngestApp({
    sink: boundedSink(100_000),
    tokens: TOKENS,
    clock,
    quotas: { a: { bytesPerSecond: 1000, burstBytes: 2000 } },
  });
  await using served = serveIngest(app);
  const big = events(25); // over the burst
  assert.ok(JSON.stringify(big).length > 2000);
  assert.equal((await served.post(A, big)).status, 202);
  const refused = await served.post(A, events(1));
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get("retry-after")) >= 1);
  // B has no quota of its own and there is no "*": unlimited.
  for (let i = 0; i < 5; i++) {
    assert.equal((await served.post(B, big)).status, 202);
  }
  await clock.advance(5000);
  assert.equal((await served.post(A, events(1))).status, 202);
  assert.equal((await served.post(A, [{ actor: "" }])).status, 400);
  const stats = await (await served.get(A, "/stats")).json();
  assert.equal(stats.producers.a.refusedByQuota, 1);
  assert.equal(stats.producers.a.refusedInvalid, 1);
  assert.equal(stats.producers.a.accepted, 2);
  assert.equal(stats.producers.b.accepted, 5);
});

Deno.test("quotas: a producer holding its maxShare of the buffers gets 503 while another keeps being accepted; it is accepted again once they drain", async () => {
  const sink = boundedSink(100);
  const app = createIngestApp({
    sink,
    tokens: TOKENS,
    quotas: { "*": { maxShare: 0.5 } },
  });
  await using served = serveIngest(app);
  const a: number[] = [];
  for (let i = 0; i < 8; i++) {
    a.push((await served.post(A, events(10, `a${i}`))).status);
  }
  assert.deepEqual(a, [202, 202, 202, 202, 202, 503, 503, 503]);
  const over = await served.post(A, events(1));
  assert.equal(over.status, 503);
  assert.ok(over.headers.get("retry-after"));
  assert.match(
    (await over.json()).error.message,
    /producer "a" holds its share/,
  );
  for (let i = 0; i < 5; i++) {
    assert.equal((await served.post(B, events(10, `b${i}`))).status, 202);
  }
  sink.drain();
  assert.equal((await served.post(A, events(10))).status, 202);
  const stats = await (await served.get(B, "/stats")).json();
  assert.equal(stats.producers.a.refusedOverShare, 4);
  assert.equal(stats.producers.b.refusedOverShare, 0);
  assert.equal(stats.producers.b.eventsAccepted, 50);
});

Deno.test("quotas: the bucket refills at its rate per second, pro rata: 100 ms at 10 events/s gives back one event", async () => {
  const clock = new FakeClock(0);
  const app = createIngestApp({
    sink: boundedSink(100_000),
    tokens: TOKENS,
    clock,
    quotas: { a: { eventsPerSecond: 10 } },
  });
  await using served = serveIngest(app);
  const post = async (count: number, tag: string): Promise<number> => {
    const answer = await served.post(A, events(count, tag));
    return answer.status;
  };
  assert.equal(await post(10, "burst"), 202, "a full bucket takes its burst");
  assert.equal(await post(1, "empty"), 429, "then the bucket is empty");
  await clock.advance(100);
  assert.equal(await post(2, "two"), 429, "100 ms refills one event, not two");
  assert.equal(await post(1, "one"), 202, "100 ms refills one event");
  await clock.advance(50);
  assert.equal(await post(1, "half"), 429, "50 ms refills half an event");
  await clock.advance(50);
  assert.equal(await post(1, "whole"), 202);
  // A long pause refills the burst, not more: a body above it passes on a
  // full bucket (documented) and is paid for, 100 ms per event.
  await clock.advance(10_000);
  assert.equal(await post(11, "over"), 202);
  await clock.advance(100);
  assert.equal(await post(1, "paying"), 429, "the 11th event is paid for");
  await clock.advance(100);
  assert.equal(await post(1, "paid"), 202);
  const stats = await (await served.get(A, "/stats")).json();
  assert.equal(stats.producers.a.refusedByQuota, 4);
  assert.equal(stats.producers.a.eventsAccepted, 24);
});

Deno.test("quotas: read from INGEST_QUOTAS or the file's quotas, and checked", () => {
  assert.deepEqual(
    serverConfig({ INGEST_QUOTAS: '{"*":{"eventsPerSecond":5}}' }).quotas,
    { "*": { eventsPerSecond: 5 } },
  );
  assert.deepEqual(
    serverConfig({}, { quotas: { a: { maxShare: 0.2 } } }).quotas,
    { a: { maxShare: 0.2 } },
  );
  assert.throws(
    () => serverConfig({ INGEST_QUOTAS: "[1]" }),
    /INGEST_QUOTAS must be a JSON object/,
  );
  assert.throws(
    () =>
      createIngestApp({
        sink: boundedSink(1),
        tokens: TOKENS,
        quotas: { a: { maxShare: 2 } },
      }),
    /maxShare must be more than 0 and at most 1/,
  );
});

/** The 429 a limiter throws, as `[status, Retry-After]`, or "ok". */
function outcome(run: () => void): string {
  try {
    run();
    return "ok";
  } catch (error) {
    const e = error as IngestError;
    return `${e.status} ${e.headers["Retry-After"] ?? "-"}`;
  }
}

Deno.test("quotas: Retry-After is the whole seconds until the request fits, rounded up, at least 1, from the bucket that waits longest", () => {
  const limiter = producerLimiter({
    slow: { eventsPerSecond: 0.4, burstEvents: 1 },
    bytes: { eventsPerSecond: 100, bytesPerSecond: 100, burstBytes: 1000 },
  }, 5);
  assert.equal(outcome(() => limiter.take("slow", 1, 10, 0)), "ok");
  // One event at 0.4/s: 2.5 s, sent as 3 (never 2, which is too early).
  assert.equal(outcome(() => limiter.take("slow", 1, 10, 0)), "429 3");
  assert.equal(outcome(() => limiter.precheck("slow", 0)), "429 3");
  // 1 s later: 1.5 s left, sent as 2.
  assert.equal(outcome(() => limiter.precheck("slow", 1000)), "429 2");
  // 2.4 s later: 0.1 s left, sent as 1 (never 0).
  assert.equal(outcome(() => limiter.precheck("slow", 2400)), "429 1");
  assert.equal(outcome(() => limiter.take("slow", 1, 10, 2500)), "ok");
  // The events bucket has room; the bytes bucket needs 5 s for 500 more.
  assert.equal(outcome(() => limiter.take("bytes", 1, 1000, 0)), "ok");
  assert.equal(outcome(() => limiter.take("bytes", 1, 500, 0)), "429 5");
  assert.equal(limiter.snapshot().slow?.refusedByQuota, 4);
  assert.equal(limiter.snapshot().bytes?.refusedByQuota, 1);
});

Deno.test("quotas: burstBytes defaults to bytesPerSecond, burstEvents to eventsPerSecond", () => {
  const limiter = producerLimiter({
    a: { bytesPerSecond: 1000 },
    b: { eventsPerSecond: 4 },
  }, 5);
  assert.equal(outcome(() => limiter.take("a", 1, 1000, 0)), "ok");
  assert.equal(outcome(() => limiter.take("a", 1, 1, 0)), "429 1");
  // A second later: 1000 bytes again, not more.
  assert.equal(outcome(() => limiter.take("a", 1, 1000, 60_000)), "ok");
  assert.equal(outcome(() => limiter.take("a", 1, 1, 60_000)), "429 1");
  assert.equal(outcome(() => limiter.take("b", 4, 1, 0)), "ok");
  assert.equal(outcome(() => limiter.take("b", 1, 1, 0)), "429 1");
});

Deno.test('quotas: a producer\'s own quota wins over "*"; "*" applies to every other producer', () => {
  const limiter = producerLimiter({
    "*": { eventsPerSecond: 1 },
    bulk: { eventsPerSecond: 100 },
  }, 5);
  assert.equal(outcome(() => limiter.take("bulk", 100, 1, 0)), "ok");
  // A second later, 100 more (at 1/s that would wait 100 s).
  assert.equal(outcome(() => limiter.take("bulk", 100, 1, 1000)), "ok");
  assert.equal(outcome(() => limiter.take("other", 1, 1, 0)), "ok");
  assert.equal(outcome(() => limiter.take("other", 1, 1, 0)), "429 1");
  assert.equal(outcome(() => limiter.take("third", 2, 1, 0)), "ok");
});

Deno.test("quotas: a producer may fill exactly its share, not one event more; the 503 carries the app's Retry-After", () => {
  const limiter = producerLimiter({ a: { maxShare: 0.5 } }, 9);
  limiter.checkShare("a", 50, 100);
  limiter.accepted("a", 50);
  assert.equal(outcome(() => limiter.checkShare("a", 1, 50)), "503 9");
  const fresh = producerLimiter({ a: { maxShare: 0.5 } }, 9);
  fresh.checkShare("a", 49, 100);
  fresh.accepted("a", 49);
  assert.equal(outcome(() => fresh.checkShare("a", 1, 51)), "ok");
  assert.equal(outcome(() => fresh.checkShare("a", 2, 51)), "503 9");
  assert.equal(fresh.snapshot().a?.refusedOverShare, 1);
  // As the sink drains, the producer's held events drain with it.
  assert.equal(outcome(() => fresh.checkShare("a", 50, 100)), "ok");
});

Deno.test("quotas: maxShare is in (0, 1]; a rate must be a positive finite number", () => {
  assert.doesNotThrow(() => checkQuotas({ a: { maxShare: 1 } }));
  for (const maxShare of [0, -0.1, 1.01, NaN]) {
    assert.throws(
      () => checkQuotas({ a: { maxShare } }),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message ===
          `quotas["a"].maxShare must be more than 0 and at most 1: current value is ${maxShare}`,
    );
  }
  for (
    const field of [
      "eventsPerSecond",
      "burstEvents",
      "bytesPerSecond",
      "burstBytes",
    ]
  ) {
    for (const value of [0, -1, Infinity, NaN]) {
      assert.throws(
        () => checkQuotas({ b: { [field]: value } }),
        new RegExp(`quotas\\["b"\\]\\.${field} must be a positive number`),
      );
    }
    assert.doesNotThrow(() => checkQuotas({ b: { [field]: 0.5 } }));
  }
});

Deno.test("quotas: INGEST_QUOTAS must be a JSON object of objects", () => {
  for (
    const text of [
      "",
      "{",
      "[]",
      "null",
      "5",
      '{"a":1}',
      '{"a":null}',
      '{"a":"x"}',
    ]
  ) {
    assert.throws(
      () => parseQuotas(text),
      (error: unknown) =>
        error instanceof TypeError &&
        /^INGEST_QUOTAS must be a JSON object of quotas by producer/.test(
          error.message,
        ),
      text,
    );
  }
  assert.deepEqual(parseQuotas('{"a":{"maxShare":0.5},"*":{}}'), {
    a: { maxShare: 0.5 },
    "*": {},
  });
});

Deno.test("renderProducerMetrics() writes each producer's count under its own outcome, exactly", () => {
  const text = renderProducerMetrics({
    a: {
      accepted: 1,
      eventsAccepted: 2,
      refusedByQuota: 3,
      refusedOverShare: 4,
      refusedInvalid: 5,
    },
    b: {
      accepted: 6,
      eventsAccepted: 7,
      refusedByQuota: 8,
      refusedOverShare: 9,
      refusedInvalid: 10,
    },
  }, "x");
  assert.equal(
    text,
    [
      "# HELP x_ingest_producer_requests_total POST /events requests by producer and outcome.",
      "# TYPE x_ingest_producer_requests_total counter",
      'x_ingest_producer_requests_total{producer="a",outcome="accepted"} 1',
      'x_ingest_producer_requests_total{producer="a",outcome="rate_limited"} 3',
      'x_ingest_producer_requests_total{producer="a",outcome="over_share"} 4',
      'x_ingest_producer_requests_total{producer="a",outcome="invalid"} 5',
      'x_ingest_producer_requests_total{producer="b",outcome="accepted"} 6',
      'x_ingest_producer_requests_total{producer="b",outcome="rate_limited"} 8',
      'x_ingest_producer_requests_total{producer="b",outcome="over_share"} 9',
      'x_ingest_producer_requests_total{producer="b",outcome="invalid"} 10',
      "# HELP x_ingest_producer_events_accepted_total Events accepted by producer.",
      "# TYPE x_ingest_producer_events_accepted_total counter",
      'x_ingest_producer_events_accepted_total{producer="a"} 2',
      'x_ingest_producer_events_accepted_total{producer="b"} 7',
      "",
    ].join("\n"),
  );
  assert.equal(renderProducerMetrics({}), "");
});

Deno.test("quotas: bytes/s counts the decoded body, not the gzip bytes on the wire", async () => {
  const app = createIngestApp({
    sink: boundedSink(100_000),
    tokens: TOKENS,
    clock: { now: () => 0 },
    quotas: { a: { bytesPerSecond: 4000 } },
  });
  await using served = serveIngest(app);
  // About 3000 bytes decoded, a few hundred compressed.
  const text = JSON.stringify(events(20, "gz"));
  const decoded = new TextEncoder().encode(text).length;
  assert.ok(decoded > 2000 && decoded <= 4000, String(decoded));
  const compressed = new Uint8Array(
    await new Response(
      new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  assert.ok(compressed.length * 2 < 4000 - decoded);
  const post = async (): Promise<number> => {
    const answer = await fetch(`${served.url}/events`, {
      method: "POST",
      body: compressed,
      headers: {
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        Authorization: `Bearer ${A}`,
      },
    });
    await answer.body?.cancel();
    return answer.status;
  };
  assert.equal(await post(), 202);
  // The second would fit if only the compressed bytes were paid for.
  assert.equal(await post(), 429);
});
