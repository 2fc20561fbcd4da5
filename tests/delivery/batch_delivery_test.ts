import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { Destination } from "../../src/delivery/destination.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import type {
  PostOptions,
  PostOutcome,
  PreparedBatch,
} from "../../src/platforms/exporter.ts";
import { SplunkExporter } from "../../src/platforms/splunk.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { REDACTED } from "../../src/platforms/redact.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { clockTest as test, FakeClock } from "../support/fake_clock.ts";
import { MemoryLogger, TOKENS } from "../support/receivers.ts";

const quiet = new MemoryLogger();

function enqueue(destination: Destination, count: number, seed = 1): void {
  for (const event of realisticEvents(count, seed)) {
    destination.enqueue(toSIEMEvent(parseAuditEvent(event)));
  }
}

// An exporter that overrides post(), as Google SecOps does to fetch its
// token first, and reports its own failure with the credential in the text
// (a token endpoint's error page that echoes what it was sent). Every
// built-in exporter redacts what it answers; the destination redacts once
// more, so that a platform that forgets cannot put the credential in
// `lastError`, the flush result or the logs.
class EchoingExporter extends SplunkExporter {
  answers: PostOutcome["verdict"][] = [];
  override post(
    _batch: PreparedBatch,
    _options?: PostOptions,
  ): Promise<PostOutcome> {
    const verdict = this.answers.shift() ??
      { kind: "retry", reason: "no answer" };
    return Promise.resolve({ verdict, status: 502, latencyMs: 1 });
  }
}

test("Destination keeps the credential out of lastError, the flush's error and its logs, whatever its exporter's reason quotes", async () => {
  const logger = new MemoryLogger();
  const exporter = new EchoingExporter(parseSIEMConfig({
    platform: "splunk",
    endpoint: "http://127.0.0.1:9",
    token: TOKENS.splunk,
    maxRetries: 0,
  }));
  const clock = new FakeClock(Date.parse("2026-03-01T10:00:00.000Z"));
  const destination = new Destination(exporter, {
    clock,
    random: () => 0,
    logger,
    autoFlush: false,
  });
  enqueue(destination, 2);
  const echoed = `token endpoint refused "Splunk ${TOKENS.splunk}"`;
  // A whole-batch retry, then an event the platform asks to resend.
  exporter.answers = [
    { kind: "retry", reason: echoed, status: 502, setup: "check the token" },
    {
      kind: "partial",
      retry: [{ index: 1, reason: echoed, status: 503 }],
      rejected: [],
      backoff: true,
    },
  ];
  for (const round of ["retry", "partial"]) {
    const result = await destination.flush();
    const stats = destination.stats();
    for (
      const [what, text] of [
        ["flush error", result.error],
        ["lastError", stats.lastError],
      ] as const
    ) {
      assert.ok(text !== undefined, `${round} ${what}`);
      assert.ok(text.includes("token endpoint refused"), `${round} ${what}`);
      assert.ok(!text.includes(TOKENS.splunk), `${round} ${what}: ${text}`);
      assert.ok(text.includes(REDACTED), `${round} ${what}: ${text}`);
    }
    // When, as UTC ISO 8601 on the destination's clock.
    assert.equal(stats.lastErrorAt, "2026-03-01T10:00:00.000Z");
  }
  // The setup error and the backoff are logged with the reason, redacted.
  for (const message of ["destination setup error", "backing off"]) {
    const line = logger.lines.find((l) => l.includes(message));
    assert.ok(line?.includes("token endpoint refused"), message);
  }
  for (const line of logger.lines) {
    assert.ok(!line.includes(TOKENS.splunk), line);
  }
  await destination.close(0);
});

test("Destination counts a partly accepted request as a successful export, with its latency, not a failed one", async () => {
  const clock = new FakeClock();
  const latencies = [40, 20];
  // Elasticsearch accepts the first document of each request and refuses
  // the others with 400 (a mapping conflict), after `latencies` ms.
  const bulk: typeof fetch = async (_input, init) => {
    const lines = new TextDecoder().decode(init!.body as Uint8Array).trim()
      .split("\n").length;
    const items = Array.from({ length: lines / 2 }, (_, i) => ({
      create: i === 0 ? { status: 201, result: "created" } : {
        status: 400,
        error: { type: "mapper_parsing_exception", reason: "bad field" },
      },
    }));
    await clock.advance(latencies.shift() ?? 0);
    return new Response(JSON.stringify({ errors: lines > 2, items }), {
      headers: { "content-type": "application/json" },
    });
  };
  const destination = new Destination(
    createExporter(parseSIEMConfig({
      platform: "elasticsearch",
      endpoint: "http://127.0.0.1:9",
      token: TOKENS.elasticsearch,
      maxRetries: 0,
    })),
    {
      fetch: bulk,
      clock,
      random: () => 0,
      logger: quiet,
      autoFlush: false,
      onDeadLetter: () => {},
    },
  );
  enqueue(destination, 3);
  const first = await destination.flush();
  assert.equal(first.eventsSent, 1);
  assert.equal(first.eventsFailed, 2);
  let stats = destination.stats();
  assert.equal(stats.exportsTotal, 1);
  assert.equal(stats.exportsSuccessful, 1, "the platform read the request");
  assert.equal(stats.exportsFailed, 0);
  assert.equal(stats.avgLatencyMs, 40);
  assert.equal(stats.consecutiveFailures, 0);
  assert.equal(stats.state, "idle");
  // A fully accepted request next: the average is over both.
  enqueue(destination, 1, 2);
  const second = await destination.flush();
  assert.equal(second.eventsSent, 1);
  stats = destination.stats();
  assert.equal(stats.exportsTotal, 2);
  assert.equal(stats.exportsSuccessful, 2);
  assert.equal(stats.exportsFailed, 0);
  assert.equal(stats.avgLatencyMs, 30);
  assert.equal(stats.eventsExported, 2);
  assert.equal(stats.eventsFailed, 2);
  await destination.close(0);
});
