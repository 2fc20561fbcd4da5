/**
 * The Hono middleware's cost in CPU time per request, for a loaded machine
 * where `deno bench`'s wall-clock figures swing by 3x between runs: the same
 * apps as `bench/hono_middleware_bench.ts`, interleaved in rounds of 2,000
 * requests each (so that the load weighs on all alike), timed with
 * `process.cpuUsage()` (this process's CPU time: preemption by other
 * processes does not count). Prints the median and the lowest round per app
 * and the difference from the app without the middleware.
 *
 * Run: deno run --lock=deno.lock --frozen --allow-sys bench/hono_middleware_cpu.ts [--rounds=40]
 *
 * @module
 */
import process from "node:process";
import { Hono } from "hono";
import { SIEMIntegrator } from "../src/delivery/integrator.ts";
import type { AuditEventInput } from "../src/events/audit_event.ts";
import type { AuditEventTarget } from "../src/producers/audit_target.ts";
import { siemAudit } from "../src/producers/hono_middleware.ts";

const REQUESTS = 2000;
const ROUNDS = Number(
  Deno.args.find((arg) => arg.startsWith("--rounds="))?.slice(9) ?? 40,
);

type AppEnv = { Variables: { user: string } };

function app(target?: AuditEventTarget): Hono<AppEnv> {
  const hono = new Hono<AppEnv>();
  hono.use("/api/*", async (c, next) => {
    c.set("user", "alice");
    await next();
  });
  if (target) {
    hono.use(
      "/api/*",
      siemAudit<AppEnv>({ integrator: target, actor: (c) => c.get("user") }),
    );
  }
  hono.get("/api/orders/:id", (c) => c.json({ id: c.req.param("id") }));
  return hono;
}

// A fresh integrator (one Splunk destination, never sending) per round.
let integrator: SIEMIntegrator;
const fresh = (): SIEMIntegrator =>
  new SIEMIntegrator([{
    platform: "splunk",
    endpoint: "http://127.0.0.1:8088",
    token: "hec",
    maxBufferedEvents: REQUESTS * 2,
  }], { autoFlush: false });
const viaIntegrator: AuditEventTarget = {
  exportEvent: (event: AuditEventInput): unknown =>
    integrator.exportEvent(event),
};

const apps: Record<string, Hono<AppEnv>> = {
  "without siemAudit": app(),
  "siemAudit, target that drops events": app({ exportEvent: () => {} }),
  "siemAudit, SIEMIntegrator with 1 destination": app(viaIntegrator),
};
const HEADERS = { "x-request-id": "req-42", "user-agent": "bench/1.0" };
const perRequest: Record<string, number[]> = {};

for (let round = 0; round < ROUNDS; round++) {
  for (const [name, hono] of Object.entries(apps)) {
    integrator = fresh();
    const start = process.cpuUsage();
    for (let i = 0; i < REQUESTS; i++) {
      const response = await hono.request("/api/orders/42", {
        headers: HEADERS,
      });
      await response.body?.cancel();
    }
    const used = process.cpuUsage(start);
    (perRequest[name] ??= []).push((used.user + used.system) / REQUESTS);
  }
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[values.length >> 1]!;
const base = perRequest["without siemAudit"]!;
const lines = [
  `CPU µs per request, ${ROUNDS} rounds of ${REQUESTS}, load ${
    Deno.loadavg().map((n) => n.toFixed(1)).join(" ")
  }`,
];
for (const [name, values] of Object.entries(perRequest)) {
  lines.push(
    `${name.padEnd(46)} median ${median(values).toFixed(1)} (+${
      (median(values) - median(base)).toFixed(1)
    })  lowest ${Math.min(...values).toFixed(1)} (+${
      (Math.min(...values) - Math.min(...base)).toFixed(1)
    })`,
  );
}
await Deno.stdout.write(new TextEncoder().encode(lines.join("\n") + "\n"));
