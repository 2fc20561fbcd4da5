/**
 * The Datadog mapping: the log of each event type and status, its
 * attributes checked against Datadog's reserved and default standard
 * attributes (tests/fixtures/datadog/standard_attributes.json, from
 * DataDog/documentation's `attributes_naming_convention.md`).
 */
import assert from "node:assert/strict";
import { toDatadogAttributes } from "../../src/schemas/datadog_attributes.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import attributes from "../fixtures/datadog/standard_attributes.json" with {
  type: "json",
};
import { eventTable } from "./_events.ts";

const STANDARD = attributes.standard as Record<string, string>;
// The intake's own keys (the log API's `HTTPLogItem`: ddsource is the
// reserved `source`, hostname the reserved `host`) and the date.
const INTAKE = new Set([
  "ddsource",
  "ddtags",
  "hostname",
  "service",
  "message",
  "status",
  "timestamp",
]);
/** The one custom namespace. */
const CUSTOM = "audit";

function leaves(
  value: unknown,
  path: string,
  out: [string, unknown][],
): [string, unknown][] {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      leaves(child, path === "" ? key : `${path}.${key}`, out);
    }
  } else out.push([path, value]);
  return out;
}

// The documented types are JSON's: string or number.
function jsonType(value: unknown): string {
  return typeof value;
}

function datadogProblems(log: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(log)) {
    if (INTAKE.has(key) || key === CUSTOM) continue;
    for (const [path, leaf] of leaves(value, key, [])) {
      const type = STANDARD[path];
      if (type === undefined) {
        problems.push(`${path} is not a standard attribute`);
      } else if (jsonType(leaf) !== type) {
        problems.push(`${path} is not a ${type}`);
      }
    }
  }
  if (!["info", "warning", "error"].includes(String(log.status))) {
    problems.push("status is not a level name");
  }
  return problems;
}

const exporter = createExporter({
  platform: "datadog",
  endpoint: "https://http-intake.logs.datadoghq.eu",
  schema: "datadog",
});

// event_type/status → [evt.outcome, status]
const EXPECTED: Record<string, [string, string]> = {
  "request/success": ["success", "info"],
  "request/error": ["failure", "error"],
  "request/allowed": ["success", "info"],
  "request/denied": ["failure", "info"],
  "request/pending": ["pending", "info"],
  "response/success": ["success", "info"],
  "response/error": ["failure", "error"],
  "response/allowed": ["success", "info"],
  "response/denied": ["failure", "info"],
  "response/pending": ["pending", "info"],
  "error/success": ["failure", "error"],
  "error/error": ["failure", "error"],
  "error/allowed": ["failure", "error"],
  "error/denied": ["failure", "error"],
  "error/pending": ["failure", "error"],
  "security_decision/success": ["success", "warning"],
  "security_decision/error": ["failure", "error"],
  "security_decision/allowed": ["success", "warning"],
  "security_decision/denied": ["failure", "warning"],
  "security_decision/pending": ["pending", "warning"],
  "tool_call/success": ["success", "info"],
  "tool_call/error": ["failure", "error"],
  "tool_call/allowed": ["success", "info"],
  "tool_call/denied": ["failure", "info"],
  "tool_call/pending": ["pending", "info"],
};

for (const { name, event } of eventTable()) {
  Deno.test(`Datadog attributes: ${name} gives its outcome and level, in standard attributes`, () => {
    const log = JSON.parse(exporter.formatEvent(event));
    const [outcome, level] = EXPECTED[name]!;
    assert.equal(log.evt.outcome, outcome);
    assert.equal(log.status, level);
    assert.equal(log.usr.id, "agent-7");
    assert.equal(log.duration, 12_000_000);
    assert.equal(log.audit.status, event.status);
    assert.deepEqual(datadogProblems(log), []);
    assert.deepEqual(
      log,
      {
        ddsource: "harombe",
        ddtags: `event_type:${event.event_type}`,
        service: "harombe",
        message:
          `${event.event_type}: agent-7 delete_file shell -> ${event.status}`,
        status: level,
        timestamp: event.timestamp,
        ...JSON.parse(JSON.stringify(toDatadogAttributes(event))),
      },
    );
  });
}

Deno.test("datadogProblems(): the check refuses what is not standard", () => {
  const log = JSON.parse(exporter.formatEvent(eventTable()[0]!.event));
  log.usr.role = "admin";
  log.duration = "12ms";
  log.status = "warn";
  assert.deepEqual(datadogProblems(log), [
    "usr.role is not a standard attribute",
    "duration is not a number",
    "status is not a level name",
  ]);
});

Deno.test("toDatadogAttributes(): duration in ns up to 2^53 ns exactly; above, the exact ms under audit; original_timestamp under audit", () => {
  const [first] = eventTable();
  const at = (duration_ms: number) =>
    toDatadogAttributes({ ...first!.event, duration_ms });
  assert.equal(at(576_460_752_303).duration, 576_460_752_303_000_000);
  assert.equal(at(576_460_752_303).audit.duration_ms, undefined);
  const long = at(576_460_752_304);
  assert.equal(long.duration, undefined);
  assert.equal(long.audit.duration_ms, 576_460_752_304);
  assert.equal(at(0).duration, 0);
  const stamped = toDatadogAttributes({
    ...first!.event,
    original_timestamp: "2026-01-01T00:00:00.000Z",
  });
  assert.equal(stamped.audit.original_timestamp, "2026-01-01T00:00:00.000Z");
  assert.equal(
    "original_timestamp" in toDatadogAttributes(first!.event).audit,
    false,
  );
});
