/**
 * The producers where the main tests do not go: JSON-safe copies of
 * booleans and unreadable values, the Hono middleware's option functions
 * that throw, and LogTape records with nothing to name them by.
 */
import assert from "node:assert/strict";
import { Hono } from "hono";
import type { AuditEventInput } from "../../src/events/audit_event.ts";
import { toJsonSafe } from "../../src/producers/json_safe.ts";
import { siemAudit } from "../../src/producers/hono.ts";
import { auditSink } from "../../src/producers/logtape_sink.ts";

function recorder(): {
  events: AuditEventInput[];
  exportEvent(event: AuditEventInput): void;
} {
  const events: AuditEventInput[] = [];
  return { events, exportEvent: (event) => void events.push(event) };
}

Deno.test("toJsonSafe() keeps booleans, writes bigints and non-finite numbers as text, and an unreadable object as [unreadable]", () => {
  const unreadable = new Proxy({}, {
    ownKeys(): never {
      throw new Error("no");
    },
  });
  assert.deepEqual(
    toJsonSafe({
      yes: true,
      no: false,
      list: [true, false],
      big: -5n,
      inf: -Infinity,
      unreadable,
    }),
    {
      yes: true,
      no: false,
      list: [true, false],
      big: "-5",
      inf: "-Infinity",
      unreadable: "[unreadable]",
    },
  );
  assert.equal(toJsonSafe(false), false);
  assert.equal(toJsonSafe(undefined), undefined);
  assert.equal(toJsonSafe(() => 1), undefined);
});

Deno.test("siemAudit(): a sessionId or metadata option that throws goes to onError; the event is still recorded without it", async () => {
  const target = recorder();
  const errors: unknown[] = [];
  const app = new Hono();
  app.use(siemAudit({
    integrator: target,
    sessionId: () => {
      throw new Error("no session store");
    },
    metadata: () => {
      throw new TypeError("bad metadata");
    },
    onError: (error) => void errors.push(error),
  }));
  app.get("/a", (c) => c.text("a"));
  assert.equal((await app.request("/a")).status, 200);
  assert.equal(target.events.length, 1);
  assert.equal(target.events[0]!.session_id, undefined);
  assert.deepEqual(target.events[0]!.metadata, {
    method: "GET",
    route: "/a",
    path: "/a",
    http_status: 200,
  });
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ["no session store", "bad metadata"],
  );
});

Deno.test("siemAudit(): an empty session id is left out; a metadata answer that is not an object adds nothing", async () => {
  const target = recorder();
  const app = new Hono();
  app.use(siemAudit({
    integrator: target,
    sessionId: () => "",
    metadata: () => "text" as never,
  }));
  app.get("/a", (c) => c.text("a"));
  await app.request("/a");
  assert.equal("session_id" in target.events[0]!, false);
  assert.deepEqual(Object.keys(target.events[0]!.metadata!), [
    "method",
    "route",
    "path",
    "http_status",
  ]);
});

Deno.test("siemAudit(): with recordRequests, a request answered by an app.all() handler names that route", async () => {
  const target = recorder();
  const app = new Hono();
  app.use(siemAudit({ integrator: target, recordRequests: true }));
  app.all("/any/:id", (c) => c.text("any"));
  await app.request("/any/7", { method: "PATCH" });
  assert.deepEqual(
    target.events.map((e) => [e.event_type, e.action, e.status]),
    [
      ["request", "PATCH /any/:id", "pending"],
      ["response", "PATCH /any/:id", "success"],
    ],
  );
});

Deno.test("auditSink(): a record with no category below an empty prefix and an empty template is actor unknown, action log; a value JSON cannot hold is written as text", () => {
  const events: AuditEventInput[] = [];
  const sink = auditSink({
    integrator: { exportEvent: (event) => void events.push(event) },
    category: [],
  });
  const fn = function named(): void {};
  sink({
    category: [],
    level: "warning",
    message: ["value ", fn, ""],
    rawMessage: "",
    timestamp: Date.UTC(2026, 0, 31),
    properties: {},
  });
  assert.equal(events.length, 1);
  assert.equal(events[0]!.actor, "unknown");
  assert.equal(events[0]!.action, "log");
  // A warning is no failure.
  assert.equal(events[0]!.status, "success");
  assert.equal(events[0]!.metadata?.message, `value ${String(fn)}`);
  assert.equal(events[0]!.timestamp, "2026-01-31T00:00:00.000Z");
});

Deno.test("siemAudit(): a correlation header of exactly 200 characters is used, 201 is not", async () => {
  const target = recorder();
  const app = new Hono();
  app.use(siemAudit({ integrator: target }));
  app.get("/", (c) => c.text("ok"));
  const longest = "r".repeat(200);
  await app.request("/", { headers: { "x-request-id": longest } });
  await app.request("/", { headers: { "x-request-id": longest + "r" } });
  assert.equal(target.events[0]!.correlation_id, longest);
  assert.notEqual(target.events[1]!.correlation_id, longest + "r");
  assert.equal(target.events[1]!.correlation_id.length, 36);
});

Deno.test("siemAudit() refuses to record any credential header, in any case, as a header or as the correlation header", () => {
  for (
    const name of [
      "Authorization",
      "proxy-authorization",
      "Proxy-Authorization",
      "COOKIE",
      "Set-Cookie",
    ]
  ) {
    for (
      const options of [
        { recordHeaders: ["user-agent", name] },
        { correlationHeader: name },
      ]
    ) {
      assert.throws(
        () => siemAudit({ integrator: recorder(), ...options }),
        (error: unknown) =>
          error instanceof TypeError &&
          error.message.includes(
            `the ${name.toLowerCase()} header is never recorded`,
          ),
        name,
      );
    }
  }
});

Deno.test("siemAudit(): an actor function that answers an empty string gives anonymous; one that throws gives unknown", async () => {
  const target = recorder();
  const errors: unknown[] = [];
  const app = new Hono();
  let throws = false;
  app.use(siemAudit({
    integrator: target,
    actor: () => {
      if (throws) throw new Error("no user store");
      return "";
    },
    onError: (error) => void errors.push(error),
  }));
  app.get("/", (c) => c.text("ok"));
  await app.request("/");
  throws = true;
  await app.request("/");
  assert.deepEqual(target.events.map((e) => e.actor), ["anonymous", "unknown"]);
  assert.equal(errors.length, 1);
});

Deno.test("auditSink(): the actor is the category below the prefix joined with dots", () => {
  const events: AuditEventInput[] = [];
  const sink = auditSink({
    integrator: { exportEvent: (event) => void events.push(event) },
  });
  sink({
    category: ["audit", "billing", "refunds"],
    level: "info",
    message: ["m"],
    rawMessage: "m",
    timestamp: 0,
    properties: {},
  });
  sink({
    category: ["audit"],
    level: "info",
    message: ["m"],
    rawMessage: "m",
    timestamp: 0,
    properties: {},
  });
  assert.deepEqual(events.map((e) => e.actor), ["billing.refunds", "audit"]);
});

Deno.test("auditSink(): correlation_id wins over correlationId and requestId; a session id or correlation id that is not well-formed stays in metadata; error_message is lifted", () => {
  const events: AuditEventInput[] = [];
  const sink = auditSink({
    integrator: { exportEvent: (event) => void events.push(event) },
  });
  const record = (properties: Record<string, unknown>) =>
    sink({
      category: ["audit"],
      level: "info",
      message: ["m"],
      rawMessage: "m",
      timestamp: 0,
      properties,
    });
  record({ requestId: "r-1", correlationId: "c-2", correlation_id: "c-3" });
  record({ requestId: "r-1", correlationId: "c-2" });
  record({
    session_id: "s-\uD800",
    correlation_id: "c-\uDC00",
    requestId: "r-9",
    error_message: "disk full",
  });
  assert.deepEqual(events.map((e) => e.correlation_id), ["c-3", "c-2", "r-9"]);
  // The keys not taken stay in metadata.
  assert.deepEqual(events[0]!.metadata?.requestId, "r-1");
  assert.deepEqual(events[0]!.metadata?.correlationId, "c-2");
  assert.equal(events[2]!.session_id, undefined);
  assert.equal(events[2]!.metadata?.session_id, "s-\uFFFD");
  assert.equal(events[2]!.metadata?.correlation_id, "c-\uFFFD");
  assert.equal(events[2]!.error_message, "disk full");
  assert.equal("error_message" in events[2]!.metadata!, false);
});

Deno.test("siemAudit() records every header it is asked for, in the names given", async () => {
  const target = recorder();
  const app = new Hono();
  app.use(siemAudit({
    integrator: target,
    recordHeaders: ["User-Agent", "X-Forwarded-For", "X-Missing"],
  }));
  app.get("/", (c) => c.text("ok"));
  await app.request("/", {
    headers: { "user-agent": "curl/8", "x-forwarded-for": "203.0.113.9" },
  });
  assert.deepEqual(target.events[0]!.metadata?.headers, {
    "user-agent": "curl/8",
    "x-forwarded-for": "203.0.113.9",
  });
});
