import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import {
  type AuditEventInput,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import { siemAudit, type SIEMAuditOptions } from "../../src/producers/hono.ts";
import { MemoryLogger } from "../support/receivers.ts";

const START = Date.UTC(2026, 0, 31, 12, 0, 0);
const UUID =
  /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** An event target that keeps what it is given. */
function recorder(): {
  events: AuditEventInput[];
  exportEvent(event: AuditEventInput): void;
  next(): Promise<AuditEventInput>;
} {
  const events: AuditEventInput[] = [];
  const waiting: ((event: AuditEventInput) => void)[] = [];
  return {
    events,
    exportEvent(event): void {
      events.push(event);
      waiting.shift()?.(event);
    },
    // The next event recorded (for events recorded after the response).
    next: () => new Promise((resolve) => void waiting.push(resolve)),
  };
}

/** A clock the handlers move. */
function manualClock(): { now(): number; advance(ms: number): void } {
  let now = START;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

type AppEnv = { Variables: { user: string } };

function auditedApp(
  options: Partial<SIEMAuditOptions<AppEnv>> = {},
): { app: Hono<AppEnv>; events: AuditEventInput[]; errors: unknown[] } {
  const target = recorder();
  const errors: unknown[] = [];
  const app = new Hono<AppEnv>();
  app.onError((error, c) => c.text(`handled: ${error.message}`, 500));
  app.use("/api/*", async (c, next) => {
    const user = c.req.header("x-user");
    if (user) c.set("user", user);
    await next();
  });
  app.use(
    "/api/*",
    siemAudit<AppEnv>({
      integrator: target,
      actor: (c) => c.get("user"),
      onError: (error) => void errors.push(error),
      ...options,
    }),
  );
  return { app, events: target.events, errors };
}

Deno.test("siemAudit() records one response event: route pattern, correlation id, actor, duration, status", async () => {
  const clock = manualClock();
  const { app, events } = auditedApp({ clock });
  app.get("/api/orders/:id", (c) => {
    clock.advance(37);
    return c.json({ id: c.req.param("id") });
  });

  const response = await app.request("/api/orders/42?debug=1", {
    headers: {
      "x-request-id": "req-42",
      "x-user": "alice",
      "user-agent": "curl/8.5.0",
    },
  });

  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { id: "42" });
  assert.deepEqual(events, [{
    correlation_id: "req-42",
    timestamp: "2026-01-31T12:00:00.000Z",
    event_type: "response",
    actor: "alice",
    action: "GET /api/orders/:id",
    metadata: {
      method: "GET",
      route: "/api/orders/:id",
      path: "/api/orders/42",
      headers: { "user-agent": "curl/8.5.0" },
      http_status: 200,
    },
    duration_ms: 37,
    status: "success",
  }]);
  // What the middleware writes is a valid audit event.
  parseAuditEvent(events[0]);
});

Deno.test("siemAudit() names the route that answered, across sub-apps, and 'anonymous' without an actor", async () => {
  const { app, events } = auditedApp();
  const v1 = new Hono();
  v1.delete("/items/:id", (c) => c.body(null, 204));
  app.route("/api/v1", v1);

  await app.request("/api/v1/items/7", { method: "DELETE" });
  await app.request("/api/v1/items/8", { method: "DELETE" });

  assert.deepEqual(
    events.map((e) => [e.action, e.actor, e.metadata?.path]),
    [
      ["DELETE /api/v1/items/:id", "anonymous", "/api/v1/items/7"],
      ["DELETE /api/v1/items/:id", "anonymous", "/api/v1/items/8"],
    ],
  );
});

Deno.test("siemAudit() marks 4xx and 5xx answers as errors, and a 404 by the pattern it was mounted on", async () => {
  const { app, events } = auditedApp();
  app.get("/api/admin", (c) => c.text("forbidden", 403));
  app.get("/api/moved", (c) => c.redirect("/api/new", 301));

  await app.request("/api/admin");
  await app.request("/api/moved");
  await app.request("/api/nowhere");

  assert.deepEqual(
    events.map((e) => [
      e.event_type,
      e.status,
      e.metadata?.http_status,
      e.action,
    ]),
    [
      ["response", "error", 403, "GET /api/admin"],
      ["response", "success", 301, "GET /api/moved"],
      ["response", "error", 404, "GET /api/*"],
    ],
  );
});

Deno.test("siemAudit() records a thrown error as an error event and leaves the answer to app.onError", async () => {
  const { app, events } = auditedApp();
  app.get("/api/crash", () => {
    throw new Error("database is down");
  });
  app.get("/api/deny", () => {
    throw new HTTPException(401, { message: "token expired" });
  });

  const crash = await app.request("/api/crash");
  assert.equal(crash.status, 500);
  assert.equal(await crash.text(), "handled: database is down");
  await app.request("/api/deny");

  assert.deepEqual(
    events.map((e) => [
      e.event_type,
      e.status,
      e.error_message,
      e.metadata?.http_status,
    ]),
    [
      ["error", "error", "database is down", 500],
      ["error", "error", "token expired", 500],
    ],
  );
});

Deno.test("siemAudit() records what Hono does not handle and throws it on unchanged", async () => {
  const { app, events } = auditedApp();
  app.get("/api/odd", () => {
    throw "not an Error";
  });

  await assert.rejects(
    Promise.resolve(app.request("/api/odd")),
    (thrown) => thrown === "not an Error",
  );
  assert.equal(events.length, 1);
  assert.equal(events[0]!.event_type, "error");
  assert.equal(events[0]!.error_message, "not an Error");
  // Nothing in the app answered: no HTTP status to report.
  assert.equal(events[0]!.metadata?.http_status, undefined);
});

Deno.test("siemAudit() takes the correlation id from the configured header, else Hono's requestId, else a UUID", async () => {
  const custom = auditedApp({ correlationHeader: "X-Correlation-ID" });
  custom.app.get("/api/a", (c) => c.text("a"));
  await custom.app.request("/api/a", {
    headers: { "x-correlation-id": "corr-1", "x-request-id": "ignored" },
  });
  await custom.app.request("/api/a", {
    headers: { "x-correlation-id": "x".repeat(201) },
  });
  await custom.app.request("/api/a");
  const [given, tooLong, none] = custom.events.map((e) => e.correlation_id);
  assert.equal(given, "corr-1");
  assert.match(tooLong!, UUID);
  assert.match(none!, UUID);
  assert.notEqual(tooLong, none);

  const target = recorder();
  const app = new Hono();
  app.use(requestId(), siemAudit({ integrator: target }));
  app.get("/", (c) => c.text(c.var.requestId));
  const answer = await (await app.request("/")).text();
  assert.equal(target.events[0]!.correlation_id, answer);
});

Deno.test("siemAudit() never records Authorization, Cookie, the query string or bodies unless asked", async () => {
  const { app, events } = auditedApp({
    recordHeaders: ["User-Agent", "X-Forwarded-For"],
  });
  app.post("/api/login", async (c) => {
    const { password } = await c.req.json();
    c.header("Set-Cookie", "session=COOKIE-OUT-5");
    return c.json({ token: `TOKEN-OUT-4-${password}` });
  });

  await app.request("/api/login?api_key=QUERY-SECRET-6", {
    method: "POST",
    headers: {
      "authorization": "Bearer AUTH-SECRET-1",
      "cookie": "session=COOKIE-SECRET-2",
      "x-forwarded-for": "203.0.113.9",
      "content-type": "application/json",
    },
    body: JSON.stringify({ password: "BODY-SECRET-3" }),
  });

  assert.equal(events.length, 1);
  const written = JSON.stringify(events);
  for (const secret of ["SECRET", "OUT-4", "OUT-5"]) {
    assert.ok(!written.includes(secret), `${secret} in ${written}`);
  }
  assert.deepEqual(events[0]!.metadata?.headers, {
    "x-forwarded-for": "203.0.113.9",
  });

  for (const name of ["Authorization", "cookie", "set-cookie"]) {
    assert.throws(
      () => siemAudit({ integrator: recorder(), recordHeaders: [name] }),
      (error) =>
        error instanceof TypeError &&
        error.message.includes("never recorded"),
    );
  }
  assert.throws(
    () => siemAudit({ integrator: recorder(), correlationHeader: "Cookie" }),
    TypeError,
  );
});

Deno.test("siemAudit() records bodies when asked, cut at maxBodyBytes, and the handler still reads its body", async () => {
  const target = recorder();
  const app = new Hono();
  app.use(
    siemAudit({ integrator: target, recordBodies: true, maxBodyBytes: 16 }),
  );
  app.post("/echo", async (c) => c.json(await c.req.json()));
  app.post("/raw", async (c) => c.text(await c.req.raw.text()));

  let recorded = target.next();
  const echo = await app.request("/echo", {
    method: "POST",
    body: JSON.stringify({ note: "é".repeat(20) }),
  });
  assert.deepEqual(await echo.json(), { note: "é".repeat(20) });
  const cut = await recorded;
  // 16 bytes: `{"note":"` (9) and three "é" (2 bytes each); the fourth is cut.
  assert.equal(cut.metadata?.request_body, '{"note":"ééé');
  assert.equal(cut.metadata?.request_body_truncated, true);
  assert.equal(cut.metadata?.response_body, '{"note":"ééé');
  assert.equal(cut.metadata?.response_body_truncated, true);

  recorded = target.next();
  const raw = await app.request("/raw", { method: "POST", body: "short" });
  assert.equal(await raw.text(), "short");
  const whole = await recorded;
  assert.equal(whole.metadata?.request_body, "short");
  assert.equal(whole.metadata?.response_body, "short");
  assert.equal(whole.metadata?.request_body_truncated, undefined);
});

Deno.test("siemAudit() with recordRequests records a pending request event first, with the same correlation id", async () => {
  const clock = manualClock();
  const { app, events } = auditedApp({ recordRequests: true, clock });
  app.get("/api/orders/:id", (c) => {
    clock.advance(5);
    return c.text("ok");
  });

  await app.request("/api/orders/1", { headers: { "x-user": "bob" } });

  assert.deepEqual(
    events.map((e) => [e.event_type, e.status, e.action, e.duration_ms]),
    [
      ["request", "pending", "GET /api/orders/:id", undefined],
      ["response", "success", "GET /api/orders/:id", 5],
    ],
  );
  assert.equal(events[0]!.correlation_id, events[1]!.correlation_id);
  assert.equal(events[0]!.actor, "bob");
});

Deno.test("siemAudit() reads the session and extra metadata after the handler; its own keys win", async () => {
  const { app, events } = auditedApp({
    sessionId: (c) => c.req.header("x-session"),
    metadata: (c) => ({
      tenant: c.req.header("x-tenant"),
      at: new Date(0),
      route: "spoofed",
    }),
  });
  app.get("/api/me", (c) => c.text("me"));

  await app.request("/api/me", {
    headers: { "x-session": "sess-9", "x-tenant": "acme" },
  });

  assert.equal(events[0]!.session_id, "sess-9");
  assert.equal(events[0]!.metadata?.tenant, "acme");
  assert.equal(events[0]!.metadata?.at, "1970-01-01T00:00:00.000Z");
  assert.equal(events[0]!.metadata?.route, "/api/me");
  parseAuditEvent(events[0]);
});

Deno.test("siemAudit() answers the request when recording fails, and reports why", async () => {
  const { app, events, errors } = auditedApp({
    actor: () => {
      throw new Error("no user store");
    },
  });
  app.get("/api/x", (c) => c.text("x"));
  const response = await app.request("/api/x");
  assert.equal(response.status, 200);
  assert.equal(events[0]!.actor, "unknown");
  assert.match(String(errors[0]), /no user store/);

  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:1",
  }], { autoFlush: false, logger: new MemoryLogger() });
  await integrator.stop();
  const stopped: unknown[] = [];
  const app2 = new Hono();
  app2.use(siemAudit({ integrator, onError: (e) => void stopped.push(e) }));
  app2.get("/", (c) => c.text("still answered"));
  const answer = await app2.request("/");
  assert.equal(await answer.text(), "still answered");
  assert.equal((stopped[0] as Error).name, "IntegratorStoppedError");
});

Deno.test("siemAudit() does not hold the response while the SIEM request is pending", async () => {
  let release: (() => void) | undefined;
  let requests = 0;
  const hangingFetch = (): Promise<Response> => {
    requests++;
    return new Promise((resolve) => {
      release = () =>
        resolve(Response.json({ text: "Success", code: 0 }, { status: 200 }));
    });
  };
  const integrator = new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:8088",
    token: "hec-token",
    allowInsecureHttp: true,
    batchSize: 1,
  }], { fetch: hangingFetch, logger: new MemoryLogger() });
  const app = new Hono();
  app.use(siemAudit({ integrator }));
  app.get("/", (c) => c.text("answered"));

  try {
    let guard: ReturnType<typeof setTimeout> | undefined;
    const answered = await Promise.race([
      Promise.resolve(app.request("/")).then((r) => r.text()),
      new Promise((resolve) => {
        guard = setTimeout(() => resolve("held"), 5000);
      }),
    ]);
    clearTimeout(guard);
    assert.equal(answered, "answered");
    // The full batch (of one) went out at once, and is still in flight.
    assert.equal(requests, 1);
    assert.equal(integrator.getStats().eventsExported, 0);
  } finally {
    release?.();
    await integrator.stop();
  }
  assert.equal(integrator.getStats().eventsExported, 1);
});

Deno.test("siemAudit() refuses options it cannot honour when the app is built", () => {
  assert.throws(
    () => siemAudit({ integrator: {} as never }),
    /must have an exportEvent method/,
  );
  assert.throws(
    () => siemAudit({ integrator: recorder(), maxBodyBytes: 0 }),
    RangeError,
  );
});

Deno.test("siemAudit() marks a 400, the first client error, as an error", async () => {
  const { app, events } = auditedApp();
  app.get("/api/bad", (c) => c.text("bad request", 400));

  await app.request("/api/bad");

  assert.deepEqual(events.map((e) => [e.status, e.metadata?.http_status]), [
    ["error", 400],
  ]);
});

Deno.test("siemAudit() keeps a body of exactly maxBodyBytes whole, not marked truncated", async () => {
  const target = recorder();
  const app = new Hono();
  app.use(
    siemAudit({ integrator: target, recordBodies: true, maxBodyBytes: 16 }),
  );
  app.post("/raw", async (c) => c.text(await c.req.raw.text()));

  const recorded = target.next();
  const body = "0123456789abcdef";
  const response = await app.request("/raw", { method: "POST", body });
  assert.equal(await response.text(), body);
  const event = await recorded;
  assert.equal(event.metadata?.request_body, body);
  assert.equal(event.metadata?.request_body_truncated, undefined);
  assert.equal(event.metadata?.response_body, body);
  assert.equal(event.metadata?.response_body_truncated, undefined);
});

Deno.test("siemAudit() takes the configured header over Hono's requestId, and requestId when the header is missing or unusable", async () => {
  // The documented order (docs/producers.md): the header, else requestId.
  const target = recorder();
  const app = new Hono();
  app.use(
    requestId(),
    siemAudit({ integrator: target, correlationHeader: "X-Correlation-ID" }),
  );
  app.get("/", (c) => c.text(c.var.requestId));
  await app.request("/", { headers: { "x-correlation-id": "corr-7" } });
  const generated = await (await app.request("/", {
    headers: { "x-correlation-id": "y".repeat(201) },
  })).text();
  assert.equal(target.events[0]!.correlation_id, "corr-7");
  assert.equal(target.events[1]!.correlation_id, generated);
  assert.match(generated, UUID);
});
