import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { DeadLetter } from "../../src/delivery/export_result.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { realisticEvents } from "../fixtures/events.ts";
import {
  clockTest as test,
  FakeClock,
  waitFor,
} from "../support/fake_clock.ts";
import { MemoryLogger, TOKENS } from "../support/receivers.ts";

// One event buffered, the next refused by the full buffer: a dead letter
// with one event, and a destination that delivers what it holds.
function fullBuffer(endpoint: string): SIEMConfigInput {
  return {
    platform: "splunk",
    endpoint,
    token: TOKENS.splunk,
    batchSize: 1,
    maxBufferedEvents: 1,
    retryDelayMs: 1000,
    maxRetryDelayMs: 60_000,
  };
}

test("Destination offers a dead letter again with backoff until the callback takes it", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const taken: DeadLetter[] = [];
  let calls = 0;
  await using integrator = new SIEMIntegrator([fullBuffer(hec.url)], {
    clock,
    random: () => 0,
    logger,
    onDeadLetter: (letter) => {
      calls++;
      if (calls === 1 || calls === 4) throw new Error("sink down");
      if (calls === 2) return Promise.reject(new Error("sink still down"));
      taken.push(letter);
    },
  });
  const [sent, refused] = realisticEvents(2);
  // A full batch leaves at once; while it is in flight the buffer is full.
  integrator.exportEvent(sent!);
  integrator.exportEvent(refused!);
  assert.equal(calls, 1);
  // Logged by id (never the events' content), and offered again later.
  const failure = logger.lines.find((line) =>
    line.includes("dead-letter callback failed")
  );
  assert.ok(
    failure?.includes(refused!.event_id!),
    failure ?? "no failure line",
  );
  assert.ok(failure?.includes("sink down"), failure ?? "no failure line");
  assert.equal(await clock.nextTimer(), 1000);
  await clock.advance(1000);
  assert.equal(calls, 2);
  assert.equal(await clock.nextTimer(), 2000);
  await clock.advance(2000);
  assert.equal(calls, 3);
  assert.deepEqual(
    taken.map((letter) => letter.events.map((e) => e.event_id)),
    [[refused!.event_id]],
  );
  assert.deepEqual(clock.pending, []);
  // Once a letter was taken, the next failure starts the backoff over.
  const [next, refusedLater] = realisticEvents(2, 2);
  integrator.exportEvent(next!);
  integrator.exportEvent(refusedLater!);
  assert.equal(calls, 4);
  assert.equal(await clock.nextTimer(), 1000);
  await clock.advance(1000);
  assert.equal(calls, 5);
  assert.deepEqual(
    taken.map((letter) => letter.events.map((e) => e.event_id)),
    [[refused!.event_id], [refusedLater!.event_id]],
  );
  const report = await integrator.stop({ timeoutMs: 1000 });
  assert.equal(report.undeliveredCount, 0);
  await waitFor(() => hec.events.length === 2, 5000, "both delivered");
});

test("SIEMIntegrator.stop() reports the events of dead letters the callback never took", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  let calls = 0;
  const integrator = new SIEMIntegrator([fullBuffer(hec.url)], {
    clock,
    random: () => 0,
    logger,
    autoFlush: false,
    onDeadLetter: () => {
      calls++;
      // An error that echoes the credential: it must not reach the log.
      throw new Error(`sink refused ${TOKENS.splunk}`);
    },
  });
  const [kept, refused] = realisticEvents(2);
  integrator.exportEvent(kept!);
  integrator.exportEvent(refused!);
  // With autoFlush off no timer runs: each flush offers kept letters again.
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(clock.pending, []);
  await integrator.flushAll();
  assert.equal(calls, 2);
  const report = await integrator.stop({ timeoutMs: 1000 });
  // stop() offered it once more, then reported it with the undelivered.
  assert.equal(calls, 3);
  assert.equal(hec.events.length, 1);
  assert.deepEqual(
    report.destinations[0]!.undelivered.map((e) => e.event_id),
    [refused!.event_id],
  );
  assert.equal(report.undeliveredCount, 1);
  assert.deepEqual(clock.pending, []);
  assert.ok(logger.lines.length >= 3);
  for (const line of logger.lines) {
    assert.ok(!line.includes(TOKENS.splunk), line);
  }
  assert.ok(logger.lines.every((line) => line.includes(refused!.event_id!)));
});

test("SIEMIntegrator.stop() does not wait past its deadline on a dead-letter callback that never settles", async () => {
  const clock = new FakeClock();
  let calls = 0;
  const integrator = new SIEMIntegrator([{
    ...fullBuffer("http://127.0.0.1:1"),
    maxRetries: 0,
  }], {
    clock,
    random: () => 0,
    logger: new MemoryLogger(),
    autoFlush: false,
    onDeadLetter: () => {
      if (++calls === 1) throw new Error("sink down");
      return new Promise<void>(() => {});
    },
  });
  const [kept, refused] = realisticEvents(2);
  integrator.exportEvent(kept!);
  integrator.exportEvent(refused!);
  const stopping = integrator.stop({ timeoutMs: 500 });
  // The buffered event's last try fails at once (nothing listens on port
  // 1); then the kept letter is offered again, and that call never settles.
  await waitFor(() => calls === 2, 5000, "the last offer");
  assert.deepEqual(clock.pending, [500]);
  await clock.advance(500);
  const report = await stopping;
  assert.deepEqual(
    report.destinations[0]!.undelivered.map((e) => e.event_id),
    [kept!.event_id, refused!.event_id],
  );
});
