import assert from "node:assert/strict";
import { destination, integratorStats } from "../support/stats.ts";
import type {
  DeliveryStats,
  DestinationState,
} from "../../src/delivery/stats.ts";
import {
  METRICS_CONTENT_TYPE,
  renderMetrics,
} from "../../src/ingest/metrics.ts";

/** Two destinations: a healthy Splunk and a backing-off Elasticsearch. */
function twoDestinations(): DeliveryStats {
  return integratorStats([
    destination({
      name: "primary",
      platform: "splunk",
      state: "sending",
      buffered: 7,
      consecutiveFailures: 0,
      eventsReceived: 120,
      eventsExported: 110,
      eventsFailed: 3,
      exportsTotal: 12,
      exportsSuccessful: 11,
      exportsFailed: 1,
      totalRetries: 4,
      eventsAged: 0,
      avgLatencyMs: 12.5,
    }),
    destination({
      name: "archive",
      platform: "elasticsearch",
      state: "backing_off",
      buffered: 40,
      consecutiveFailures: 3,
      eventsReceived: 120,
      eventsExported: 80,
      eventsFailed: 0,
      exportsTotal: 9,
      exportsSuccessful: 6,
      exportsFailed: 3,
      totalRetries: 25,
      eventsAged: 0,
      avgLatencyMs: 48,
      lastError: "HTTP 503: secret detail\nwith a newline",
      lastErrorAt: "2024-01-01T00:00:00.000Z",
      retryAt: "2024-01-01T00:00:05.000Z",
    }),
  ], 121);
}

/** The lines of the block of one family: from its HELP line to the next. */
function family(text: string, name: string): string[] {
  const lines = text.split("\n");
  const start = lines.indexOf(
    lines.find((line) => line.startsWith(`# HELP ${name} `)) ?? "",
  );
  assert.notEqual(start, -1, `no HELP line for ${name}`);
  const block = [lines[start] as string];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("# HELP ") || line === "") break;
    block.push(line);
  }
  return block;
}

const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? (-?[0-9.eE+]+|NaN|[+-]Inf)$/;

const P = "harombe_siem";
const PRIMARY = 'destination="primary",platform="splunk"';
const ARCHIVE = 'destination="archive",platform="elasticsearch"';

Deno.test("renderMetrics() renders a counter family with HELP, TYPE and one sample per destination", () => {
  const block = family(renderMetrics(twoDestinations()), `${P}_exports_total`);
  assert.equal(block.length, 4);
  assert.match(block[0] as string, /^# HELP harombe_siem_exports_total \S.*$/);
  assert.deepEqual(block.slice(1), [
    `# TYPE ${P}_exports_total counter`,
    `${P}_exports_total{${PRIMARY}} 12`,
    `${P}_exports_total{${ARCHIVE}} 9`,
  ]);
});

Deno.test("renderMetrics() renders every per-destination counter", () => {
  const text = renderMetrics(twoDestinations());
  const expected: [string, number, number][] = [
    ["events_received_total", 120, 120],
    ["events_exported_total", 110, 80],
    ["events_failed_total", 3, 0],
    ["exports_total", 12, 9],
    ["exports_successful_total", 11, 6],
    ["exports_failed_total", 1, 3],
    ["retries_total", 4, 25],
  ];
  for (const [suffix, primary, archive] of expected) {
    const name = `${P}_${suffix}`;
    assert.deepEqual(family(text, name).slice(1), [
      `# TYPE ${name} counter`,
      `${name}{${PRIMARY}} ${primary}`,
      `${name}{${ARCHIVE}} ${archive}`,
    ]);
  }
});

Deno.test("renderMetrics() renders the accepted counter without labels", () => {
  const block = family(
    renderMetrics(twoDestinations()),
    `${P}_events_accepted_total`,
  );
  assert.deepEqual(block.slice(1), [
    `# TYPE ${P}_events_accepted_total counter`,
    `${P}_events_accepted_total 121`,
  ]);
});

Deno.test("renderMetrics() renders the gauge families", () => {
  const text = renderMetrics(twoDestinations());
  assert.deepEqual(family(text, `${P}_buffered_events`).slice(1), [
    `# TYPE ${P}_buffered_events gauge`,
    `${P}_buffered_events{${PRIMARY}} 7`,
    `${P}_buffered_events{${ARCHIVE}} 40`,
  ]);
  assert.deepEqual(family(text, `${P}_consecutive_failures`).slice(1), [
    `# TYPE ${P}_consecutive_failures gauge`,
    `${P}_consecutive_failures{${PRIMARY}} 0`,
    `${P}_consecutive_failures{${ARCHIVE}} 3`,
  ]);
  assert.deepEqual(
    family(text, `${P}_average_latency_milliseconds`).slice(1),
    [
      `# TYPE ${P}_average_latency_milliseconds gauge`,
      `${P}_average_latency_milliseconds{${PRIMARY}} 12.5`,
      `${P}_average_latency_milliseconds{${ARCHIVE}} 48`,
    ],
  );
  assert.deepEqual(family(text, `${P}_destination_up`).slice(1), [
    `# TYPE ${P}_destination_up gauge`,
    `${P}_destination_up{${PRIMARY}} 1`,
    `${P}_destination_up{${ARCHIVE}} 0`,
  ]);
  assert.deepEqual(family(text, `${P}_destination_state`).slice(1), [
    `# TYPE ${P}_destination_state gauge`,
    `${P}_destination_state{${PRIMARY},state="idle"} 0`,
    `${P}_destination_state{${PRIMARY},state="sending"} 1`,
    `${P}_destination_state{${PRIMARY},state="retrying"} 0`,
    `${P}_destination_state{${PRIMARY},state="backing_off"} 0`,
    `${P}_destination_state{${PRIMARY},state="disabled"} 0`,
    `${P}_destination_state{${ARCHIVE},state="idle"} 0`,
    `${P}_destination_state{${ARCHIVE},state="sending"} 0`,
    `${P}_destination_state{${ARCHIVE},state="retrying"} 0`,
    `${P}_destination_state{${ARCHIVE},state="backing_off"} 1`,
    `${P}_destination_state{${ARCHIVE},state="disabled"} 0`,
  ]);
});

Deno.test("renderMetrics() counts a destination up only when idle or sending", () => {
  const states: [DestinationState, number][] = [
    ["idle", 1],
    ["sending", 1],
    ["retrying", 0],
    ["backing_off", 0],
    ["disabled", 0],
  ];
  for (const [state, up] of states) {
    const text = renderMetrics(
      integratorStats([destination({ name: "d", state })]),
    );
    assert.deepEqual(family(text, `${P}_destination_up`).slice(2), [
      `${P}_destination_up{destination="d",platform="splunk"} ${up}`,
    ]);
    const current = family(text, `${P}_destination_state`)
      .filter((line) => line.endsWith(" 1"));
    assert.deepEqual(current, [
      `${P}_destination_state{destination="d",platform="splunk",state="${state}"} 1`,
    ]);
  }
});

Deno.test("renderMetrics() escapes backslash, double quote and newline in label values", () => {
  const text = renderMetrics(
    integratorStats([
      destination({ name: 'a"b\\c\nd', platform: "datadog", buffered: 2 }),
    ]),
  );
  assert.deepEqual(family(text, `${P}_buffered_events`).slice(2), [
    `${P}_buffered_events{destination="a\\"b\\\\c\\nd",platform="datadog"} 2`,
  ]);
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    assert.match(line, SAMPLE);
    if (line.startsWith(`${P}_events_accepted_total `)) continue;
    assert.ok(line.includes('destination="a\\"b\\\\c\\nd"'), line);
  }
});

Deno.test("renderMetrics() output ends with a newline and has no blank lines", () => {
  for (
    const stats of [twoDestinations(), integratorStats([])]
  ) {
    const text = renderMetrics(stats);
    assert.ok(text.endsWith("\n"));
    assert.ok(!text.endsWith("\n\n"));
    assert.ok(!text.slice(0, -1).split("\n").includes(""));
  }
});

Deno.test("renderMetrics() writes only HELP, TYPE and well-formed sample lines", () => {
  const text = renderMetrics(twoDestinations());
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("#")) {
      assert.match(
        line,
        /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* \S.*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge))$/,
      );
    } else {
      assert.match(line, SAMPLE);
    }
  }
});

Deno.test("renderMetrics() gives each metric name one HELP and one TYPE line, before its samples, in one block", () => {
  const lines = renderMetrics(twoDestinations()).slice(0, -1).split("\n");
  const typed = lines.filter((line) => line.startsWith("# TYPE "))
    .map((line) => line.split(" ")[2] as string);
  const helped = lines.filter((line) => line.startsWith("# HELP "))
    .map((line) => line.split(" ")[2] as string);
  assert.equal(new Set(typed).size, typed.length);
  assert.deepEqual(helped, typed);
  assert.deepEqual(typed, [
    `${P}_events_accepted_total`,
    `${P}_events_received_total`,
    `${P}_events_exported_total`,
    `${P}_events_failed_total`,
    `${P}_exports_total`,
    `${P}_exports_successful_total`,
    `${P}_exports_failed_total`,
    `${P}_retries_total`,
    `${P}_buffered_events`,
    `${P}_consecutive_failures`,
    `${P}_average_latency_milliseconds`,
    `${P}_destination_up`,
    `${P}_destination_state`,
  ]);
  // Every sample belongs to the family whose TYPE line came last.
  let current = "";
  const seen = new Set<string>();
  for (const line of lines) {
    if (line.startsWith("# TYPE ")) {
      current = line.split(" ")[2] as string;
      assert.ok(!seen.has(current));
      seen.add(current);
    } else if (!line.startsWith("#")) {
      assert.equal(line.split(/[{ ]/)[0], current, line);
    }
  }
  for (const name of typed) {
    if (name.endsWith("_total")) {
      assert.ok(lines.includes(`# TYPE ${name} counter`), name);
    } else {
      assert.ok(lines.includes(`# TYPE ${name} gauge`), name);
    }
  }
});

Deno.test("renderMetrics() uses a custom prefix in every name", () => {
  const text = renderMetrics(twoDestinations(), "audit_fwd");
  assert.ok(!text.includes("harombe_siem"));
  const names = text.slice(0, -1).split("\n")
    .map((line) =>
      line.startsWith("#")
        ? line.split(" ")[2] as string
        : line.split(/[{ ]/)[0] as string
    );
  for (const name of names) assert.match(name, /^audit_fwd_/);
  assert.ok(text.includes("audit_fwd_events_accepted_total 121\n"));
  assert.ok(text.includes(`audit_fwd_exports_total{${PRIMARY}} 12\n`));
});

Deno.test("renderMetrics() refuses a prefix that is not a metric name", () => {
  for (const prefix of ["", "1abc", "a-b", "a b", 'a"b', "a\nb"]) {
    assert.throws(
      () => renderMetrics(twoDestinations(), prefix),
      RangeError,
      JSON.stringify(prefix),
    );
  }
});

Deno.test("renderMetrics() with no destination still renders the accepted counter and every HELP/TYPE line", () => {
  const text = renderMetrics(integratorStats([], 5));
  const lines = text.slice(0, -1).split("\n");
  const samples = lines.filter((line) => !line.startsWith("#"));
  assert.deepEqual(samples, [`${P}_events_accepted_total 5`]);
  assert.equal(lines.filter((line) => line.startsWith("# HELP ")).length, 13);
  assert.equal(lines.filter((line) => line.startsWith("# TYPE ")).length, 13);
  assert.ok(lines.includes(`# TYPE ${P}_destination_state gauge`));
  assert.ok(lines.includes(`# TYPE ${P}_retries_total counter`));
});

Deno.test("renderMetrics() never renders a destination's last error", () => {
  const text = renderMetrics(twoDestinations());
  assert.ok(!text.includes("secret detail"));
  assert.ok(!text.includes("503"));
  assert.ok(!text.includes("2024-01-01"));
});

Deno.test("renderMetrics() writes non-finite values as Prometheus reads them", () => {
  const text = renderMetrics(integratorStats([
    destination({ name: "a", avgLatencyMs: NaN }),
    destination({ name: "b", avgLatencyMs: Infinity }),
    destination({ name: "c", avgLatencyMs: -Infinity }),
  ]));
  assert.deepEqual(
    family(text, `${P}_average_latency_milliseconds`).slice(2),
    [
      `${P}_average_latency_milliseconds{destination="a",platform="splunk"} NaN`,
      `${P}_average_latency_milliseconds{destination="b",platform="splunk"} +Inf`,
      `${P}_average_latency_milliseconds{destination="c",platform="splunk"} -Inf`,
    ],
  );
});

Deno.test("renderMetrics() HELP texts are plain one-line English", () => {
  const text = renderMetrics(twoDestinations());
  for (const line of text.split("\n")) {
    if (!line.startsWith("# HELP ")) continue;
    const help = line.split(" ").slice(3).join(" ");
    assert.match(help, /^[A-Z][\x20-\x7e]*\.$/, line);
    assert.ok(!help.includes("\\"), line);
  }
});

Deno.test("METRICS_CONTENT_TYPE is the text format 0.0.4 content type", () => {
  assert.equal(
    METRICS_CONTENT_TYPE,
    "text/plain; version=0.0.4; charset=utf-8",
  );
});
