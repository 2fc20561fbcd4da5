/**
 * The LogTape sink, driven by the real LogTape from npm (the sink itself
 * imports nothing of LogTape).
 *
 * @module
 */
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import {
  configure,
  getLogger,
  type LogRecord,
  reset,
  type Sink,
  withContext,
} from "npm:@logtape/logtape@2.4.2";
import {
  type AuditEventInput,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import {
  auditSink,
  type AuditSinkOptions,
} from "../../src/producers/logtape_sink.ts";
import { MemoryLogger } from "../support/receivers.ts";

const UUID =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Configures LogTape with the audit sink on the root logger, runs `body`, resets LogTape. */
async function withLogTape(
  options: Partial<AuditSinkOptions>,
  body: (events: AuditEventInput[], meta: LogRecord[]) => void | Promise<void>,
): Promise<void> {
  const events: AuditEventInput[] = [];
  const meta: LogRecord[] = [];
  const metaSink: Sink = (record) => void meta.push(record);
  await configure({
    sinks: {
      siem: auditSink({
        integrator: { exportEvent: (event) => events.push(event) },
        ...options,
      }),
      meta: metaSink,
    },
    loggers: [
      // The root logger: the sink itself keeps only its category.
      { category: [], sinks: ["siem"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: ["meta"], lowestLevel: "info" },
    ],
    contextLocalStorage: new AsyncLocalStorage(),
  });
  try {
    await body(events, meta);
  } finally {
    await reset();
  }
}

Deno.test("auditSink() turns the audit category's records into audit events, and no other record", async () => {
  const before = Date.now();
  await withLogTape({}, (events) => {
    getLogger(["audit", "billing"]).info(
      "Refund {amount} granted to {customer}",
      { amount: 40, customer: "c-17", actor: "alice", correlation_id: "req-9" },
    );
    getLogger(["app"]).info("not an audit record");
    getLogger(["auditor"]).info("a different category");
    getLogger(["audit"]).debug("debug, but audit: recorded too");

    assert.equal(events.length, 2);
    const [refund, debug] = events;
    const time = Date.parse(String(refund!.timestamp));
    assert.ok(time >= before && time <= Date.now());
    assert.deepEqual({ ...refund, timestamp: undefined }, {
      correlation_id: "req-9",
      timestamp: undefined,
      event_type: "tool_call",
      actor: "alice",
      action: "Refund {amount} granted to {customer}",
      metadata: {
        amount: 40,
        customer: "c-17",
        message: 'Refund 40 granted to "c-17"',
        level: "info",
        category: ["audit", "billing"],
      },
      status: "success",
    });
    // No actor property: the category below the prefix, else the category.
    assert.equal(debug!.actor, "audit");
    assert.match(debug!.correlation_id, UUID);
    for (const event of events) parseAuditEvent(event);
  });
});

Deno.test("auditSink() records error and fatal records as errors, with the error's message", async () => {
  await withLogTape({}, (events) => {
    const audit = getLogger(["audit", "auth"]);
    audit.error("Login failed for {user}", {
      user: "bob",
      error: new TypeError("bad password"),
    });
    audit.fatal("Key store unreadable");
    audit.warn`Account ${"bob"} locked`;

    assert.deepEqual(
      events.map((e) => [e.actor, e.action, e.status, e.error_message]),
      [
        ["auth", "Login failed for {user}", "error", "bad password"],
        ["auth", "Key store unreadable", "error", undefined],
        ["auth", "Account {} locked", "success", undefined],
      ],
    );
    assert.deepEqual(events[0]!.metadata?.error, {
      name: "TypeError",
      message: "bad password",
    });
    assert.equal(events[2]!.metadata?.message, 'Account "bob" locked');
    assert.equal(events[2]!.metadata?.level, "warning");
  });
});

Deno.test("auditSink() lifts event fields from properties of their names and types, and keeps the rest", async () => {
  await withLogTape({}, (events) => {
    const audit = getLogger(["audit"]);
    withContext({ requestId: "req-ctx-1" }, () => {
      audit.info("Tool ran", {
        event_type: "security_decision",
        action: "deny_tool",
        status: "denied",
        session_id: "sess-3",
        tool_name: "shell",
        duration_ms: 12,
      });
    });
    audit.info("Wrong types stay metadata", {
      event_type: "not-a-type",
      duration_ms: -1,
      actor: 42,
    });

    const [lifted, kept] = events;
    assert.deepEqual(
      {
        ...lifted,
        timestamp: undefined,
        metadata: undefined,
      },
      {
        correlation_id: "req-ctx-1",
        timestamp: undefined,
        event_type: "security_decision",
        actor: "audit",
        action: "deny_tool",
        metadata: undefined,
        status: "denied",
        session_id: "sess-3",
        tool_name: "shell",
        duration_ms: 12,
      },
    );
    assert.deepEqual(Object.keys(lifted!.metadata!), [
      "message",
      "level",
      "category",
    ]);
    assert.equal(kept!.event_type, "tool_call");
    assert.equal(kept!.duration_ms, undefined);
    assert.equal(kept!.actor, "audit");
    assert.equal(kept!.metadata?.event_type, "not-a-type");
    assert.equal(kept!.metadata?.duration_ms, -1);
    assert.equal(kept!.metadata?.actor, 42);
  });
});

Deno.test("auditSink() copies properties that are not JSON data, so the integrator takes every record", async () => {
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
  }], { autoFlush: false, logger: new MemoryLogger() });
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  await configure({
    sinks: { siem: auditSink({ integrator }) },
    loggers: [{ category: ["audit"], sinks: ["siem"], lowestLevel: "info" }, {
      category: ["logtape", "meta"],
      sinks: [],
    }],
  });
  try {
    getLogger(["audit"]).info("Odd values {big}", {
      big: 2n ** 70n,
      when: new Date(Date.UTC(2026, 0, 1)),
      ratio: Infinity,
      callback: () => {},
      tags: new Set(["a", "b"]),
      cyclic,
    });
    assert.equal(integrator.getStats().buffered, 1);
  } finally {
    await reset();
    await integrator.stop({ timeoutMs: 0 });
  }
  const [undelivered] = (await integrator.stop({ timeoutMs: 0 }))
    .destinations[0]!.undelivered;
  assert.deepEqual(undelivered!.metadata, {
    big: "1180591620717411303424",
    when: "2026-01-01T00:00:00.000Z",
    ratio: "Infinity",
    tags: ["a", "b"],
    cyclic: { name: "loop", self: "[circular]" },
    message: 'Odd values "1180591620717411303424"',
    level: "info",
    category: ["audit"],
  });
});

Deno.test("auditSink() takes its category prefix and default event type from the options", async () => {
  await withLogTape(
    { category: ["myapp", "audit"], eventType: "security_decision" },
    (events) => {
      getLogger(["myapp", "audit", "admin"]).info("Role granted");
      getLogger(["audit"]).info("not under myapp.audit");
      assert.deepEqual(
        events.map((e) => [e.actor, e.event_type]),
        [["admin", "security_decision"]],
      );
    },
  );
  assert.throws(
    () =>
      auditSink({
        integrator: { exportEvent: () => {} },
        eventType: "audit" as never,
      }),
    TypeError,
  );
  assert.throws(() => auditSink({ integrator: {} as never }), TypeError);
});

Deno.test("auditSink() lets LogTape report a refused event on its meta logger", async () => {
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
  }], { autoFlush: false, logger: new MemoryLogger() });
  await integrator.stop();
  const meta: LogRecord[] = [];
  await configure({
    sinks: {
      siem: auditSink({ integrator }),
      meta: (record) => void meta.push(record),
    },
    loggers: [
      { category: ["audit"], sinks: ["siem"], lowestLevel: "info" },
      { category: ["logtape", "meta"], sinks: ["meta"], lowestLevel: "info" },
    ],
  });
  try {
    // Logging never throws into the caller.
    getLogger(["audit"]).info("After stop");
  } finally {
    await reset();
  }
  const report = meta.find((record) => record.level === "fatal");
  assert.ok(report, JSON.stringify(meta.map((r) => r.message)));
  assert.equal(
    (report.properties.error as Error).name,
    "IntegratorStoppedError",
  );
});
