/**
 * What `siemAudit()` adds to a request: one Hono app answered in-process
 * (`app.request`) without the middleware, and with it recording into a
 * target that drops events, into an integrator with one destination, and
 * into one with three. The integrators never send (`autoFlush: false`) and
 * are replaced by fresh ones every 2,000 requests, so that each timed request pays what a request pays in production
 * (validation, serialization, buffering) and never the delivery, which
 * runs later on the integrator's timer, off the request's path.
 *
 * Each figure is for 100 requests: divide by 100 for one.
 *
 * Run: deno task bench (target: at most 20 µs added per request)
 */
import { Hono } from "hono";
import { SIEMIntegrator } from "../src/delivery/integrator.ts";
import type { SIEMConfigInput } from "../src/platforms/siem_config.ts";
import type { AuditEventInput } from "../src/events/audit_event.ts";
import type { AuditEventTarget } from "../src/producers/audit_target.ts";
import { siemAudit } from "../src/producers/hono_middleware.ts";

const FRESH_EVERY = 2000;
// Each timed iteration answers this many requests, so that one preemption
// by another process on a loaded machine weighs on 100 requests, not one.
const BATCH = 100;
const GROUP = `hono app.request x ${BATCH}`;

const DESTINATIONS: SIEMConfigInput[] = [
  { platform: "splunk", endpoint: "http://127.0.0.1:8088", token: "hec" },
  { platform: "elasticsearch", endpoint: "http://127.0.0.1:9200", token: "k" },
  { platform: "datadog", endpoint: "http://127.0.0.1:8282", token: "dd" },
];

/**
 * An integrator with `count` destinations that never sends, replaced by a
 * fresh one every FRESH_EVERY requests (outside the timed part) so that its
 * buffers never fill.
 */
class FreshIntegrator implements AuditEventTarget {
  #count: number;
  #current: SIEMIntegrator;
  constructor(count: number) {
    this.#count = count;
    this.#current = this.#make();
  }
  exportEvent(event: AuditEventInput): unknown {
    return this.#current.exportEvent(event);
  }
  renew(): void {
    this.#current = this.#make();
  }
  #make(): SIEMIntegrator {
    return new SIEMIntegrator(
      DESTINATIONS.slice(0, this.#count).map((config) => ({
        ...config,
        maxBufferedEvents: FRESH_EVERY * 2,
      })),
      { autoFlush: false },
    );
  }
}

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

const HEADERS = {
  "x-request-id": "req-42",
  "user-agent": "bench/1.0",
  authorization: "Bearer not-recorded",
};
let sink = 0;

function bench(
  name: string,
  hono: Hono<AppEnv>,
  options: { baseline?: boolean; fresh?: FreshIntegrator } = {},
): void {
  let requests = 0;
  const { fresh } = options;
  Deno.bench({
    name,
    group: GROUP,
    baseline: options.baseline ?? false,
    async fn(): Promise<void> {
      for (let i = 0; i < BATCH; i++) {
        // Amortized: a fresh integrator costs well under 0.1 µs a request.
        if (fresh && ++requests % FRESH_EVERY === 0) fresh.renew();
        const response = await hono.request("/api/orders/42", {
          headers: HEADERS,
        });
        sink += response.status;
        await response.body?.cancel();
      }
    },
  });
}

const one = new FreshIntegrator(1);
const three = new FreshIntegrator(3);

bench("without siemAudit", app(), { baseline: true });
bench("siemAudit, target that drops events", app({ exportEvent: () => {} }));
bench("siemAudit, SIEMIntegrator with 1 destination", app(one), {
  fresh: one,
});
bench("siemAudit, SIEMIntegrator with 3 destinations", app(three), {
  fresh: three,
});

globalThis.addEventListener("unload", () => {
  if (sink === 0) throw new Error("nothing was measured");
});
