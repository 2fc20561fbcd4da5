/**
 * The http destination through the integrator, against the strict fake
 * receiver: batch limits split before sending, Retry-After honoured,
 * 413 split, 401 keeps the backlog as a setup error, other 4xx
 * dead-letter with the receiver's reason, and the statistics of each.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { DeadLetter } from "../../src/delivery/export_result.ts";
import { startFakeHttpReceiver } from "../fakes/fake_http_receiver.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { clockTest as test, FakeClock } from "../support/fake_clock.ts";
import { MemoryLogger } from "../support/receivers.ts";

const KEY = "delivery-key-0123456789";
const quiet = new MemoryLogger();

test("http: batchSize and maxBatchBytes (measured before gzip) split batches before sending; NDJSON gzip arrives whole", async () => {
  await using receiver = startFakeHttpReceiver({
    framing: "ndjson",
    requiredHeaders: { "x-api-key": KEY },
    maxBodyBytes: 4096,
  });
  await using integrator = new SIEMIntegrator([{
    platform: "http",
    endpoint: receiver.endpoint,
    compression: "gzip",
    batchSize: 7,
    maxBatchBytes: 4096,
    http: { framing: "ndjson", headers: { "X-API-Key": KEY } },
  }], { logger: quiet, autoFlush: false });
  const events = realisticEvents(60);
  const [result] = await integrator.exportEvents(events);
  assert.equal(result!.success, true, result!.error ?? "");
  assert.deepEqual(
    receiver.events.map((e) => e.event_id),
    events.map((e) => e.event_id),
  );
  for (const request of receiver.requests) {
    assert.equal(request.headers.get("content-encoding"), "gzip");
    assert.ok(request.body.byteLength <= 4096, `${request.body.byteLength}`);
    const lines = new TextDecoder().decode(request.body).split("\n");
    assert.ok(lines.length - 1 <= 7);
  }
  // Some batches were cut by bytes, not only by count.
  assert.ok(
    receiver.requests.some((r) =>
      new TextDecoder().decode(r.body).split("\n").length - 1 < 7 &&
      r !== receiver.requests.at(-1)
    ),
  );
  const stats = integrator.getStats().perPlatform.http!;
  assert.equal(stats.eventsExported, 60);
  assert.equal(stats.eventsFailed, 0);
});

test("http: 429 and 503 are retried after the Retry-After they ask for", async () => {
  await using receiver = startFakeHttpReceiver();
  receiver.failNext(
    { status: 429, headers: { "Retry-After": "7" } },
    { status: 503, headers: { "Retry-After": "3" } },
  );
  const clock = new FakeClock();
  await using integrator = new SIEMIntegrator([{
    platform: "http",
    endpoint: receiver.endpoint,
    retryDelayMs: 100,
  }], { clock, random: () => 0, logger: quiet, autoFlush: false });
  integrator.exportEvent(realisticEvents(1)[0]!);
  const flushing = integrator.flushAll();
  assert.equal(await clock.nextTimer(), 7000);
  await clock.advance(7000);
  assert.equal(await clock.nextTimer(), 3000);
  await clock.advance(3000);
  const [result] = await flushing;
  assert.equal(result!.success, true);
  assert.equal(result!.retries, 2);
  assert.equal(receiver.events.length, 1);
  assert.equal(integrator.getStats().perPlatform.http!.totalRetries, 2);
});

test("http: 413 splits the batch until the halves fit", async () => {
  await using receiver = startFakeHttpReceiver({ maxBodyBytes: 2500 });
  await using integrator = new SIEMIntegrator([{
    platform: "http",
    endpoint: receiver.endpoint,
    batchSize: 16,
  }], { logger: quiet, autoFlush: false });
  const events = realisticEvents(16);
  const [result] = await integrator.exportEvents(events);
  assert.equal(result!.success, true, result!.error ?? "");
  assert.equal(receiver.requests[0]!.status, 413);
  assert.deepEqual(
    receiver.events.map((e) => e.event_id).sort(),
    events.map((e) => e.event_id!).sort(),
  );
  assert.equal(integrator.getStats().perPlatform.http!.eventsFailed, 0);
});

test("http: 401 is a setup error that keeps the backlog; fixing the key delivers it", async () => {
  await using receiver = startFakeHttpReceiver({
    requiredHeaders: { "x-api-key": KEY },
  });
  const logger = new MemoryLogger();
  const letters: DeadLetter[] = [];
  await using integrator = new SIEMIntegrator([{
    platform: "http",
    endpoint: receiver.endpoint,
    maxRetries: 0,
    retryDelayMs: 10,
    maxRetryDelayMs: 10,
    http: { headers: { "X-API-Key": "revoked-key-0123456789" } },
  }], {
    logger,
    autoFlush: false,
    onDeadLetter: (letter) => void letters.push(letter),
  });
  const events = realisticEvents(5);
  const [result] = await integrator.exportEvents(events);
  assert.equal(result!.success, false);
  assert.equal(result!.eventsQueued, 5);
  assert.equal(result!.eventsFailed, 0);
  assert.equal(letters.length, 0);
  const stats = integrator.getStats().perPlatform.http!;
  assert.equal(stats.buffered, 5);
  assert.match(stats.setupError ?? "", /check the credential/);
  assert.ok(logger.lines.some((l) => l.includes("destination setup error")));
  // The fixed key, on a destination of the same name.
  await integrator.removePlatform("http");
  integrator.addPlatform({
    platform: "http",
    endpoint: receiver.endpoint,
    http: { headers: { "X-API-Key": KEY } },
  });
  const [fixed] = await integrator.exportEvents(events);
  assert.equal(fixed!.success, true);
  assert.equal(receiver.events.length, 5);
});

test("http: another 4xx dead-letters the batch with the receiver's reason and status; a proxy's HTML 200 keeps it", async () => {
  await using receiver = startFakeHttpReceiver();
  receiver.failNext({
    status: 422,
    body: '{"error":"schema mismatch: field actor"}',
  });
  const letters: DeadLetter[] = [];
  await using integrator = new SIEMIntegrator([{
    platform: "http",
    endpoint: receiver.endpoint,
    maxRetries: 0,
    retryDelayMs: 10,
    maxRetryDelayMs: 10,
  }], {
    logger: quiet,
    autoFlush: false,
    onDeadLetter: (letter) => void letters.push(letter),
  });
  const [result] = await integrator.exportEvents(realisticEvents(3));
  assert.equal(result!.eventsFailed, 3);
  assert.equal(letters.length, 1);
  assert.equal(letters[0]!.events.length, 3);
  assert.match(letters[0]!.reason, /HTTP 422: .*schema mismatch: field actor/);
  assert.equal(integrator.getStats().perPlatform.http!.eventsFailed, 3);

  receiver.failNext({
    status: 200,
    body: "<!DOCTYPE html><html><title>Login</title></html>",
    headers: { "content-type": "text/html" },
  });
  const [page] = await integrator.exportEvents(realisticEvents(2, 1));
  assert.equal(page!.success, false);
  assert.equal(page!.eventsQueued, 2);
  assert.equal(page!.eventsFailed, 0);
  assert.match(
    integrator.getStats().perPlatform.http!.setupError ?? "",
    /HTML page/,
  );
  assert.equal(letters.length, 1);
});

test("sumo_logic: an event above the 1 MB request limit is dead-lettered before sending; the rest is delivered", async () => {
  const code = "DeliverySumoCode0123456789abcdef==";
  await using sumo = startFakeHttpReceiver({
    sumo: true,
    framing: "ndjson",
    path: `/receiver/v1/http/${code}`,
  });
  const letters: DeadLetter[] = [];
  await using integrator = new SIEMIntegrator([{
    platform: "http",
    endpoint: sumo.endpoint,
    http: { preset: "sumo_logic", sumoCategory: "security/harombe" },
  }], {
    logger: quiet,
    autoFlush: false,
    onDeadLetter: (letter) => void letters.push(letter),
  });
  const [small, , other] = realisticEvents(3);
  const huge = {
    ...small!,
    event_id: "huge",
    metadata: { pad: "x".repeat(1_000_100) },
  };
  const [result] = await integrator.exportEvents([small!, huge, other!]);
  assert.equal(result!.eventsFailed, 1);
  assert.equal(letters.length, 1);
  assert.match(letters[0]!.reason, /Sumo Logic's limit per request/);
  assert.deepEqual(sumo.events.map((e) => e.event_id), [
    small!.event_id,
    other!.event_id,
  ]);
  assert.equal(
    sumo.requests[0]!.headers.get("x-sumo-category"),
    "security/harombe",
  );
  assert.equal(sumo.requests[0]!.headers.get("content-encoding"), "gzip");
});
