import assert from "node:assert/strict";
import { destination, integratorStats } from "../support/stats.ts";
import { destinationHealth, healthReport } from "../../src/ingest/health.ts";

Deno.test("destinationHealth() reports a disabled destination as disabled", () => {
  assert.equal(
    destinationHealth(destination({ name: "a", enabled: false }), 3),
    "disabled",
  );
  assert.equal(
    destinationHealth(
      destination({
        name: "a",
        enabled: false,
        state: "disabled",
        consecutiveFailures: 9,
      }),
      3,
    ),
    "disabled",
  );
});

Deno.test("destinationHealth() reports failing from failingAfter failures in a row", () => {
  const at = (consecutiveFailures: number): string =>
    destinationHealth(
      destination({ name: "a", consecutiveFailures, state: "backing_off" }),
      3,
    );
  assert.equal(at(2), "backing_off");
  assert.equal(at(3), "failing");
  assert.equal(at(4), "failing");
  assert.equal(
    destinationHealth(destination({ name: "a", consecutiveFailures: 1 }), 1),
    "failing",
  );
});

Deno.test("destinationHealth() reports failing at once while a setup error lasts", () => {
  assert.equal(
    destinationHealth(
      destination({
        name: "a",
        setupError: "check the endpoint",
        consecutiveFailures: 0,
        state: "retrying",
      }),
      3,
    ),
    "failing",
  );
});

Deno.test("destinationHealth() reports backing_off after a failure or while retrying", () => {
  assert.equal(
    destinationHealth(destination({ name: "a", consecutiveFailures: 1 }), 3),
    "backing_off",
  );
  assert.equal(
    destinationHealth(destination({ name: "a", state: "retrying" }), 3),
    "backing_off",
  );
  assert.equal(
    destinationHealth(destination({ name: "a", state: "backing_off" }), 3),
    "backing_off",
  );
});

Deno.test("destinationHealth() reports delivering otherwise", () => {
  assert.equal(destinationHealth(destination({ name: "a" }), 3), "delivering");
  assert.equal(
    destinationHealth(destination({ name: "a", state: "sending" }), 3),
    "delivering",
  );
});

Deno.test("healthReport() is ok when every destination delivers", () => {
  const report = healthReport(
    integratorStats([
      destination({ name: "splunk", buffered: 4 }),
      destination({ name: "es", platform: "elasticsearch", state: "sending" }),
    ]),
    100,
  );
  assert.deepEqual(report, {
    status: "ok",
    capacity: 100,
    destinations: {
      splunk: {
        status: "delivering",
        buffered: 4,
        consecutiveFailures: 0,
        deadLettered: 0,
      },
      es: {
        status: "delivering",
        buffered: 0,
        consecutiveFailures: 0,
        deadLettered: 0,
      },
    },
  });
});

Deno.test("healthReport() is degraded when one destination backs off", () => {
  const report = healthReport(
    integratorStats([
      destination({ name: "splunk" }),
      destination({ name: "es", consecutiveFailures: 1, state: "backing_off" }),
    ]),
    100,
  );
  assert.equal(report.status, "degraded");
  assert.equal(report.destinations.es?.status, "backing_off");
  assert.equal(report.destinations.es?.consecutiveFailures, 1);
});

Deno.test("healthReport() is degraded when only some destinations fail", () => {
  const report = healthReport(
    integratorStats([
      destination({ name: "splunk" }),
      destination({ name: "es", consecutiveFailures: 5 }),
    ]),
    100,
  );
  assert.equal(report.status, "degraded");
  assert.equal(report.destinations.es?.status, "failing");
});

Deno.test("healthReport() is failing when every enabled destination fails", () => {
  const report = healthReport(
    integratorStats([
      destination({ name: "splunk", consecutiveFailures: 3 }),
      destination({ name: "es", consecutiveFailures: 7 }),
    ]),
    100,
  );
  assert.equal(report.status, "failing");
});

Deno.test("healthReport() honours failingAfter", () => {
  const stats = integratorStats([
    destination({ name: "splunk", consecutiveFailures: 3 }),
  ]);
  assert.equal(healthReport(stats, 100, 5).status, "degraded");
  assert.equal(healthReport(stats, 100, 3).status, "failing");
  assert.equal(healthReport(stats, 100).status, "failing");
});

Deno.test("healthReport() is failing when no destination is enabled", () => {
  assert.equal(healthReport(integratorStats([]), 100).status, "failing");
  const report = healthReport(
    integratorStats([destination({ name: "splunk", enabled: false })]),
    100,
  );
  assert.equal(report.status, "failing");
  assert.equal(report.destinations.splunk?.status, "disabled");
});

Deno.test("healthReport() is failing when no event can be accepted", () => {
  const report = healthReport(
    integratorStats([destination({ name: "splunk" })]),
    0,
  );
  assert.equal(report.status, "failing");
  assert.equal(report.capacity, 0);
});

Deno.test("healthReport() leaves disabled destinations out of the status", () => {
  const failingButDisabled = destination({
    name: "old",
    enabled: false,
    state: "disabled",
    consecutiveFailures: 10,
  });
  assert.equal(
    healthReport(
      integratorStats([destination({ name: "splunk" }), failingButDisabled]),
      100,
    ).status,
    "ok",
  );
  assert.equal(
    healthReport(
      integratorStats([
        destination({ name: "splunk", consecutiveFailures: 3 }),
        destination({ name: "other", enabled: false }),
      ]),
      100,
    ).status,
    "failing",
  );
});

Deno.test("healthReport() shows no error text", () => {
  const secret = "secret-ish text";
  const report = healthReport(
    integratorStats([
      destination({
        name: "splunk",
        consecutiveFailures: 1,
        state: "backing_off",
        lastError: secret,
        lastErrorAt: "2026-01-31T12:00:00.000Z",
        retryAt: "2026-01-31T12:01:00.000Z",
      }),
      destination({ name: "es", consecutiveFailures: 4, lastError: secret }),
    ]),
    100,
  );
  const json = JSON.stringify(report);
  assert.ok(!json.includes(secret), json);
  assert.ok(!json.includes("secret"), json);
  assert.ok(!json.includes("lastError"), json);
  assert.ok(!json.includes("retryAt"), json);
});

Deno.test("healthReport() shows stored dead letters for a spool, else failed events", () => {
  const report = healthReport(
    integratorStats([
      destination({ name: "memory", eventsFailed: 3 }),
      destination({
        name: "spooled",
        eventsFailed: 1,
        spool: { leaseHeld: true, deadLettersStored: 7 },
      }),
    ]),
    10,
  );
  assert.equal(report.destinations.memory!.deadLettered, 3);
  assert.equal(report.destinations.spooled!.deadLettered, 7);
});

Deno.test("healthReport() shows degraded for a while after dead letters, with their count and last status", () => {
  const now = Date.parse("2026-01-31T12:00:00.000Z");
  const letter = (minutesAgo: number, events: number, status?: number) => ({
    at: new Date(now - minutesAgo * 60_000).toISOString(),
    events,
    reason: "HTTP 400: mapper_parsing_exception",
    status,
  });
  const stats = integratorStats([
    destination({
      name: "es",
      eventsFailed: 12,
      recentDeadLetters: [
        letter(40, 2, 400),
        letter(10, 3, 400),
        letter(
          5,
          4,
        ),
      ],
    }),
    destination({ name: "splunk" }),
  ]);
  const report = healthReport(stats, 100, { now });
  assert.equal(report.status, "degraded");
  assert.equal(report.destinations.es!.status, "delivering");
  assert.deepEqual(report.destinations.es!.recentDeadLetters, {
    events: 7,
    lastAt: letter(5, 4).at,
    lastStatus: undefined,
  });
  assert.equal(report.destinations.splunk!.recentDeadLetters, undefined);
  // The reason stays out of the open route.
  assert.ok(!JSON.stringify(report).includes("mapper_parsing"));
  // Past the window (15 minutes by default, or as configured), ok again.
  assert.equal(
    healthReport(stats, 100, { now: now + 11 * 60_000 }).status,
    "ok",
  );
  assert.equal(
    healthReport(stats, 100, { now, deadLetterWindowMs: 60_000 }).status,
    "ok",
  );
  assert.equal(
    healthReport(stats, 100, { now, deadLetterWindowMs: 6 * 60_000 })
      .destinations.es!.recentDeadLetters?.events,
    4,
  );
});

Deno.test("healthReport() counts a dead letter exactly at the window's start", () => {
  const now = Date.parse("2026-01-31T12:00:00.000Z");
  const stats = integratorStats([
    destination({
      name: "es",
      recentDeadLetters: [{
        at: new Date(now - 60_000).toISOString(),
        events: 2,
        reason: "HTTP 400",
        status: 400,
      }],
    }),
  ]);
  // The window includes its first millisecond.
  const report = healthReport(stats, 100, { now, deadLetterWindowMs: 60_000 });
  assert.equal(report.status, "degraded");
  assert.equal(report.destinations.es!.recentDeadLetters?.events, 2);
  assert.equal(
    healthReport(stats, 100, { now: now + 1, deadLetterWindowMs: 60_000 })
      .status,
    "ok",
  );
});
