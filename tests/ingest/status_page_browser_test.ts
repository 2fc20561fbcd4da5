/**
 * The status page in a real browser: Debian's chromium, driven by
 * playwright-core (both installed by `.ci/install-runtime-tools`) from
 * `status_page_browser.mjs` under Node, against the ingest app served on
 * 127.0.0.1 with a healthy Elasticsearch and a Datadog that refuses its key
 * (the strict fakes). Takes a screenshot into a temporary directory, or, with
 * `STATUS_PAGE_SCREENSHOT=docs/status-page.png`, the documentation's own (so a
 * plain test run leaves the work tree clean).
 *
 * @module
 */
import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { DeliveryStats } from "../../src/delivery/stats.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import type { IngestSink } from "../../src/ingest/sink.ts";
import { startFakeDatadog } from "../fakes/fake_datadog.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { waitFor } from "../support/fake_clock.ts";
import { ensureRuntimeTools, TOOLS } from "../runtime/runtime_tools.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CHROMIUM = "/usr/bin/chromium";
// A "+" and a "/" as tokens may have: the page must not read "+" as a space.
const TOKEN = "status-page-token+0123/456789";
const ES_KEY = "es-key-0123456789";
// What an attacker who may post events can make a platform quote back in
// its error (Elasticsearch previews the refused field's value).
const MARKUP = "<script>window.pwned=1</script><img src=x onerror=pwned=2>";

/** Fails, saying what is missing, unless chromium and playwright-core are installed. */
async function browserTools(): Promise<void> {
  await ensureRuntimeTools();
  const missing: string[] = [];
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    missing.push(
      `chromium (${CHROMIUM}): run 'apt-get install -y chromium' or .ci/install-runtime-tools`,
    );
  }
  try {
    await Deno.stat(`${TOOLS}/node_modules/playwright-core/package.json`);
  } catch {
    missing.push(
      `playwright-core (${TOOLS}/node_modules): run .ci/install-runtime-tools`,
    );
  }
  if (missing.length > 0) {
    throw new Error(
      `the status page's browser test needs ${missing.join(" and ")}`,
    );
  }
}

/** Statistics whose every text is markup, from a sink that delivers nothing. */
function hostileSink(): IngestSink {
  const name = "<script>window.pwned=3</script>";
  const counters = {
    eventsReceived: 1,
    eventsExported: 0,
    eventsFailed: 1,
    exportsTotal: 1,
    exportsSuccessful: 0,
    exportsFailed: 1,
    totalRetries: 0,
    avgLatencyMs: 0,
    eventsAged: 0,
  };
  const counted = {
    ...counters,
    eventsAccepted: 1,
    buffered: 0,
    perDestination: {
      [name]: {
        ...counters,
        name,
        platform: "splunk",
        enabled: true,
        state: "backing_off",
        buffered: 0,
        consecutiveFailures: 1,
        lastError: `<img src=x onerror=pwned=4>`,
        lastErrorAt: new Date().toISOString(),
        setupError: "<b onmouseover=pwned=5>check</b>",
        recentDeadLetters: [{
          at: new Date().toISOString(),
          events: 1,
          reason: "<iframe srcdoc='<script>parent.pwned=6</script>'>",
          status: 400,
        }],
      },
      // Delivering, so that /health answers 200 (a 503 is a console error).
      calm: {
        ...counters,
        name: "calm",
        platform: "datadog",
        enabled: true,
        state: "idle",
        buffered: 0,
        consecutiveFailures: 0,
      },
    },
  } satisfies Omit<DeliveryStats, "perPlatform">;
  const stats: DeliveryStats = {
    ...counted,
    perPlatform: counted.perDestination,
  };
  return {
    accept: () => Promise.resolve(),
    capacity: () => 10,
    getStats: () => stats,
    flush: () => Promise.resolve(),
  };
}

interface Card {
  name: string | null;
  status: string;
  badge: string | null;
  lastError: string | null;
  setupError: string | null;
  charts: { kind: string; caption: string | null; points: string }[];
  text: string;
}

interface Seen {
  overall: string | null;
  cards: Card[];
  ingestText: string;
  ingestCharts: { caption: string | null; points: string }[];
  svgCharts: number;
  deadLetters: string[][];
  deadLettersHidden: boolean;
  authHidden: boolean;
  authMessage: string | null;
  scripts: number;
  images: number;
  pwned: unknown;
  violations: string[];
  location: string;
  console: string[];
  pageErrors: string[];
  requests?: { url: string; authorization: string | null }[];
}

interface BrowserResult {
  headers: Record<string, string>;
  main: Seen;
  formBefore: Seen;
  formAfter: Seen;
  hostile: Seen;
}

function serve(
  app: { fetch(request: Request): Promise<Response> | Response },
): {
  url: string;
  server: Deno.HttpServer<Deno.NetAddr>;
} {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => app.fetch(request),
  );
  return { url: `http://127.0.0.1:${server.addr.port}`, server };
}

Deno.test("the status page renders a running server's health and statistics in chromium, a failing destination as failing, with no console error or CSP violation", async () => {
  await browserTools();
  await using es = startFakeElasticsearch({ apiKey: ES_KEY });
  await using datadog = startFakeDatadog({ apiKey: "the-right-dd-key" });
  const integrator = new SIEMIntegrator([
    {
      platform: "elasticsearch",
      name: "es-primary",
      endpoint: es.url,
      token: ES_KEY,
      flushIntervalMs: 100,
    },
    {
      platform: "datadog",
      name: "datadog-eu",
      endpoint: datadog.url,
      token: "a-wrong-dd-key",
      flushIntervalMs: 100,
      maxRetries: 0,
      retryDelayMs: 50,
      maxRetryDelayMs: 200,
    },
  ], { logger: { warn(): void {}, error(): void {} } });
  const main = serve(createIngestApp({ integrator, tokens: [TOKEN] }));
  const hostile = serve(
    createIngestApp({ sink: hostileSink(), tokens: [TOKEN] }),
  );
  const dir = await Deno.makeTempDir();
  try {
    // A field mapped as a number, then markup in it: Elasticsearch refuses
    // that one event, quoting the value, and the others are delivered.
    const first = realisticEvents(5, 7);
    first[0]!.metadata = { bytes: 5 };
    first[1]!.metadata = { bytes: MARKUP };
    const posted = await fetch(`${main.url}/events`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify(first),
    });
    assert.equal(posted.status, 202);
    await posted.body?.cancel();
    await waitFor(() => {
      const stats = integrator.getStats().perDestination;
      return stats["es-primary"]!.eventsFailed === 1 &&
        stats["datadog-eu"]!.consecutiveFailures >= 3;
    }, 10_000);

    const screenshot = Deno.env.get("STATUS_PAGE_SCREENSHOT") ??
      `${dir}/status-page.png`;
    const options = `${dir}/options.json`;
    await Deno.writeTextFile(
      options,
      JSON.stringify({
        url: main.url,
        hostileUrl: hostile.url,
        token: TOKEN,
        screenshot,
        events: realisticEvents(20, 8),
      }),
    );
    const { code, stdout, stderr } = await new Deno.Command("node", {
      args: [
        `${ROOT}tests/ingest/status_page_browser.mjs`,
        TOOLS,
        CHROMIUM,
        options,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    assert.equal(
      code,
      0,
      `the browser script failed: ${decoder.decode(stderr)}`,
    );
    const result: BrowserResult = JSON.parse(decoder.decode(stdout));

    // Served as a strict, uncached, unframed page.
    assert.match(
      result.headers["content-security-policy"] ?? "",
      /^default-src 'none'; script-src 'sha256-/,
    );
    assert.equal(result.headers["x-content-type-options"], "nosniff");
    assert.equal(result.headers["cache-control"], "no-store");

    const seen = result.main;
    assert.deepEqual(seen.console, []);
    assert.deepEqual(seen.pageErrors, []);
    assert.deepEqual(seen.violations, []);
    // The token left the address bar, and went only as a header.
    assert.ok(!seen.location.includes("token"), seen.location);
    const statsRequests = seen.requests!.filter((r) =>
      r.url.endsWith("/stats")
    );
    assert.ok(statsRequests.length >= 3);
    for (const request of seen.requests!) {
      assert.ok(!request.url.includes("0123"), request.url);
    }
    assert.ok(
      statsRequests.every((r) => r.authorization === `Bearer ${TOKEN}`),
    );

    assert.equal(seen.overall, "degraded");
    const byName = new Map(seen.cards.map((c) => [c.name ?? "", c]));
    assert.deepEqual([...byName.keys()].sort(), ["datadog-eu", "es-primary"]);
    const failing = byName.get("datadog-eu")!;
    assert.equal(failing.status, "failing");
    assert.equal(failing.badge, "failing");
    assert.match(
      failing.lastError ?? "",
      /^Last error: HTTP 403: Forbidden: API key is invalid/,
    );
    assert.match(failing.setupError ?? "", /check the API key \(DD-API-KEY\)/);
    assert.match(failing.text, /Buffered\s*\d+/);
    const healthy = byName.get("es-primary")!;
    assert.equal(healthy.status, "delivering");
    assert.equal(healthy.badge, "delivering");
    // The delivered chart has rates drawn, and its caption a number.
    const delivered = healthy.charts.find((c) => c.kind === "chart-delivered")!;
    // 60 events delivered since the page opened, under a minute ago.
    const perMinute = /^Delivered: (\d+(?:\.\d)?)\/min$/.exec(
      delivered.caption ?? "",
    );
    assert.ok(Number(perMinute?.[1]) > 0, delivered.caption ?? "");
    assert.ok(delivered.points.split(" ").length >= 2, delivered.points);
    assert.ok(
      delivered.points.split(" ").some((p) => Number(p.split(",")[1]) < 40),
      `no delivery drawn above the baseline: ${delivered.points}`,
    );
    assert.deepEqual(
      failing.charts.map((c) => c.kind),
      ["chart-delivered", "chart-failed"],
    );
    // Ingest: 4 requests answered, the request rate charted.
    assert.match(seen.ingestText, /Requests to POST \/events4 since start/);
    assert.match(
      seen.ingestCharts[0]!.caption ?? "",
      /^Requests: \d+(\.\d)?\/min$/,
    );
    assert.ok(seen.ingestCharts[0]!.points.split(" ").length >= 2);
    assert.equal(seen.svgCharts, 6);
    // The dead letter with its reason, markup shown as text and never run.
    assert.equal(seen.deadLettersHidden, false);
    assert.equal(seen.deadLetters.length, 1);
    const [, destination, events, status, reason] = seen.deadLetters[0]!;
    assert.deepEqual([destination, events, status], ["es-primary", "1", "400"]);
    assert.ok(
      reason!.includes(`For input string: "${MARKUP}"`),
      String(reason),
    );
    assert.ok(healthy.lastError!.includes(MARKUP));
    assert.equal(seen.scripts, 1);
    assert.equal(seen.images, 0);
    assert.equal(seen.pwned, null);
    // The screenshot for the documentation.
    const png = await Deno.readFile(screenshot);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);

    // Without a token: health only, and the form asks for the token.
    assert.equal(result.formBefore.authHidden, false);
    assert.match(result.formBefore.authMessage ?? "", /needs its ingest token/);
    assert.equal(
      result.formBefore.cards.find((c) => c.name === "datadog-eu")?.status,
      "failing",
    );
    assert.equal(result.formAfter.authHidden, true);
    assert.equal(result.formAfter.cards.length, 2);
    assert.deepEqual(result.formAfter.pageErrors, []);
    assert.deepEqual(result.formAfter.violations, []);
    // The only console error is the browser's note of the 401 of /stats.
    assert.ok(
      result.formAfter.console.every((line) => /status of 401/.test(line)),
      result.formAfter.console.join("\n"),
    );

    // Markup in a destination name, an error, a hint and a reason: text.
    const bad = result.hostile;
    assert.deepEqual(bad.console, []);
    assert.deepEqual(bad.pageErrors, []);
    assert.deepEqual(bad.violations, []);
    assert.equal(bad.pwned, null);
    assert.equal(bad.scripts, 1);
    assert.equal(bad.images, 0);
    assert.equal(bad.cards[0]!.name, "<script>window.pwned=3</script>");
    assert.equal(
      bad.cards[0]!.lastError?.startsWith(
        "Last error: <img src=x onerror=pwned=4>",
      ),
      true,
    );
    assert.equal(
      bad.cards[0]!.setupError,
      "What to check: <b onmouseover=pwned=5>check</b>",
    );
    assert.equal(
      bad.deadLetters[0]![4],
      "<iframe srcdoc='<script>parent.pwned=6</script>'>",
    );
  } finally {
    await main.server.shutdown();
    await hostile.server.shutdown();
    await integrator.stop({ timeoutMs: 0 });
    await Deno.remove(dir, { recursive: true });
  }
});
