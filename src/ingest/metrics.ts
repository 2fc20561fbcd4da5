/**
 * Delivery statistics in the Prometheus text exposition format 0.0.4, for a
 * `/metrics` endpoint.
 *
 * @module
 */
import type {
  DeliveryCounters,
  DeliveryStats,
  DestinationState,
  DestinationStats,
} from "../delivery/stats.ts";

/**
 * The `Content-Type` of the text {@linkcode renderMetrics} returns: the
 * Prometheus text exposition format, version 0.0.4.
 *
 * @example Answering a scrape
 * ```ts
 * import assert from "node:assert/strict";
 * import { METRICS_CONTENT_TYPE, renderMetrics } from "@harombe/siem/ingest";
 *
 * const response = new Response(
 *   renderMetrics({
 *     eventsAccepted: 0,
 *     buffered: 0,
 *     eventsReceived: 0,
 *     eventsExported: 0,
 *     eventsFailed: 0,
 *     exportsTotal: 0,
 *     exportsSuccessful: 0,
 *     exportsFailed: 0,
 *     totalRetries: 0,
 *     eventsAged: 0,
 *     avgLatencyMs: 0,
 *     perDestination: {},
 *     perPlatform: {},
 *   }),
 *   { headers: { "content-type": METRICS_CONTENT_TYPE } },
 * );
 * assert.equal(
 *   response.headers.get("content-type"),
 *   "text/plain; version=0.0.4; charset=utf-8",
 * );
 * ```
 */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Every state a destination can be in, in the order they are rendered (a
 * record, so that a new state fails type checking until it is listed).
 */
const STATE_ORDER: Record<DestinationState, true> = {
  idle: true,
  sending: true,
  retrying: true,
  backing_off: true,
  disabled: true,
};
const STATES = Object.keys(STATE_ORDER) as DestinationState[];

/** The states in which a destination counts as up. */
const UP_STATES: ReadonlySet<DestinationState> = new Set(["idle", "sending"]);

/** A valid Prometheus metric name (and so a valid prefix). */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** The per-destination counter families: name suffix, help, counter. */
const COUNTERS: readonly {
  suffix: string;
  help: string;
  counter: keyof Omit<DeliveryCounters, "avgLatencyMs">;
}[] = [
  {
    suffix: "events_received_total",
    help: "Events buffered for delivery to the destination.",
    counter: "eventsReceived",
  },
  {
    suffix: "events_exported_total",
    help: "Events delivered to the destination.",
    counter: "eventsExported",
  },
  {
    suffix: "events_failed_total",
    help:
      "Events dropped without delivery to the destination (dead-lettered or refused by the overflow policy).",
    counter: "eventsFailed",
  },
  {
    suffix: "exports_total",
    help: "Requests sent to the destination.",
    counter: "exportsTotal",
  },
  {
    suffix: "exports_successful_total",
    help:
      "Requests the destination answered with all or part of the batch accepted.",
    counter: "exportsSuccessful",
  },
  {
    suffix: "exports_failed_total",
    help:
      "Requests to the destination that got no answer or had the whole batch refused.",
    counter: "exportsFailed",
  },
  {
    suffix: "retries_total",
    help:
      "Events resent to the destination after a failed or partly failed request.",
    counter: "totalRetries",
  },
];

/** The per-destination gauge families: name suffix, help, value. */
const GAUGES: readonly {
  suffix: string;
  help: string;
  value: (destination: DestinationStats) => number;
}[] = [
  {
    suffix: "buffered_events",
    help:
      "Events buffered for the destination now, including a batch in flight.",
    value: (destination) => destination.buffered,
  },
  {
    suffix: "consecutive_failures",
    help: "Failed delivery attempts to the destination in a row.",
    value: (destination) => destination.consecutiveFailures,
  },
  {
    suffix: "average_latency_milliseconds",
    help:
      "Running average latency of successful requests to the destination, in milliseconds.",
    value: (destination) => destination.avgLatencyMs,
  },
  {
    suffix: "destination_up",
    help:
      "Whether the destination is delivering: 1 when idle or sending, 0 when retrying, backing off or disabled.",
    value: (destination) => UP_STATES.has(destination.state) ? 1 : 0,
  },
];

/** Escapes a label value: backslash, double quote and line feed. */
function escapeLabelValue(value: string): string {
  return value.replace(
    /[\\"\n]/g,
    (char) => char === "\\" ? "\\\\" : char === '"' ? '\\"' : "\\n",
  );
}

/** Escapes a HELP text: backslash and line feed. */
function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (char) => char === "\\" ? "\\\\" : "\\n");
}

/** A sample value as Prometheus (Go `strconv.ParseFloat`) reads it. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** The `{destination="…",platform="…"}` labels of a destination, plus extras. */
function labels(
  destination: DestinationStats,
  extra: readonly (readonly [string, string])[] = [],
): string {
  const pairs: (readonly [string, string])[] = [
    ["destination", destination.name],
    ["platform", destination.platform],
    ...extra,
  ];
  return `{${
    pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
      .join(",")
  }}`;
}

/** Appends the HELP and TYPE lines of a family. */
function header(
  lines: string[],
  name: string,
  type: "counter" | "gauge",
  help: string,
): void {
  lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
}

/**
 * Renders an integrator's statistics in the Prometheus text exposition
 * format 0.0.4, to be served with {@linkcode METRICS_CONTENT_TYPE}.
 *
 * Each metric name is one family block (HELP and TYPE lines, then its
 * samples). Per-destination samples carry the labels
 * `destination="<name>",platform="<platform>"`, in the order of
 * `stats.perDestination`:
 *
 * - counters `<prefix>_events_received_total`, `_events_exported_total`,
 *   `_events_failed_total`, `_exports_total`, `_exports_successful_total`,
 *   `_exports_failed_total` and `_retries_total`;
 * - gauges `<prefix>_buffered_events`, `_consecutive_failures`,
 *   `_average_latency_milliseconds` and `_destination_up` (1 when idle or
 *   sending, else 0);
 * - gauge `<prefix>_destination_state`, with an extra `state` label: one
 *   sample per possible state, 1 for the current one and 0 for the others.
 *
 * The counter `<prefix>_events_accepted_total` has no labels. A
 * destination's last error, free text, is never rendered.
 *
 * @example Rendering one destination
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderMetrics } from "@harombe/siem/ingest";
 *
 * const counters = {
 *   eventsReceived: 3,
 *   eventsExported: 3,
 *   eventsFailed: 0,
 *   exportsTotal: 1,
 *   exportsSuccessful: 1,
 *   exportsFailed: 0,
 *   totalRetries: 0,
 *   eventsAged: 0,
 *   avgLatencyMs: 12,
 * };
 * const perDestination = {
 *   primary: {
 *     ...counters,
 *     name: "primary",
 *     platform: "splunk" as const,
 *     enabled: true,
 *     state: "idle" as const,
 *     buffered: 0,
 *     consecutiveFailures: 0,
 *   },
 * };
 * const text = renderMetrics({
 *   ...counters,
 *   eventsAccepted: 3,
 *   buffered: 0,
 *   perDestination,
 *   perPlatform: perDestination,
 * });
 * assert.equal(
 *   text.split("\n").find((line) => line.startsWith("harombe_siem_exports_total")),
 *   'harombe_siem_exports_total{destination="primary",platform="splunk"} 1',
 * );
 * ```
 *
 * @param stats The statistics, as `SIEMIntegrator` reports them.
 * @param prefix The metric name prefix, followed by `_` in every name.
 * @returns The exposition text, ending with a line feed.
 * @throws {RangeError} When `prefix` is not a valid Prometheus metric name.
 */
export function renderMetrics(
  stats: DeliveryStats,
  prefix = "harombe_siem",
): string {
  if (!METRIC_NAME.test(prefix)) {
    throw new RangeError(
      `Invalid metric name prefix: ${JSON.stringify(prefix)}`,
    );
  }
  const destinations = Object.values(stats.perDestination);
  const lines: string[] = [];

  const accepted = `${prefix}_events_accepted_total`;
  header(
    lines,
    accepted,
    "counter",
    "Events accepted for export, each counted once whatever the number of destinations.",
  );
  lines.push(`${accepted} ${formatValue(stats.eventsAccepted)}`);

  for (const { suffix, help, counter } of COUNTERS) {
    const name = `${prefix}_${suffix}`;
    header(lines, name, "counter", help);
    for (const destination of destinations) {
      lines.push(
        `${name}${labels(destination)} ${formatValue(destination[counter])}`,
      );
    }
  }

  for (const { suffix, help, value } of GAUGES) {
    const name = `${prefix}_${suffix}`;
    header(lines, name, "gauge", help);
    for (const destination of destinations) {
      lines.push(
        `${name}${labels(destination)} ${formatValue(value(destination))}`,
      );
    }
  }

  const state = `${prefix}_destination_state`;
  header(
    lines,
    state,
    "gauge",
    "The destination's current state: 1 for the state it is in, 0 for the others.",
  );
  for (const destination of destinations) {
    for (const candidate of STATES) {
      const current = destination.state === candidate ? 1 : 0;
      lines.push(
        `${state}${labels(destination, [["state", candidate]])} ${current}`,
      );
    }
  }

  return `${lines.join("\n")}\n`;
}
