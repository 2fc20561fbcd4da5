/**
 * What the Python audit logger's Pydantic v2 models write is accepted and
 * stored unchanged: ids, instants to the millisecond, fields; `None` fields
 * absent, never `null`. The fixtures are the bytes
 * tests/fixtures/pydantic/audit_event_model.py writes; one test runs that
 * script with the machine's python3 and pydantic 2 and compares.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { parseJsonText } from "../../src/events/json_text.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { createIngestApp } from "../../src/ingest/app.ts";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import type { SIEMEvent } from "../../src/events/siem_event.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { memorySink } from "../support/memory_sink.ts";
import { MemoryLogger, startReceivers } from "../support/receivers.ts";

const TOKEN = "ingest-token-0123456789abcdef";
const DIR = new URL("../fixtures/pydantic/", import.meta.url);
const BODIES = [
  "single.json",
  "array.json",
  "events.ndjson",
  "siem_events.ndjson",
] as const;
type Body = typeof BODIES[number];
type Expected = Record<Body, Record<string, unknown>[]>;

function fixture(name: string): Uint8Array<ArrayBuffer> {
  return Deno.readFileSync(new URL(name, DIR));
}

function expected(): Expected {
  return parseJsonText(
    new TextDecoder().decode(fixture("expected.json")),
  ) as Expected;
}

/** The events of a fixture body, one raw value each, as Pydantic wrote them. */
function rawEvents(name: Body): unknown[] {
  const text = new TextDecoder().decode(fixture(name));
  if (name.endsWith(".ndjson")) {
    return text.split("\n").filter((line) => line !== "").map(parseJsonText);
  }
  const value = parseJsonText(text);
  return Array.isArray(value) ? value : [value];
}

/** An expected stored event: the AuditEvent fields only. */
function auditFields(event: Record<string, unknown>): Record<string, unknown> {
  const { severity: _, ...fields } = event;
  return fields;
}

Deno.test("POST /events stores each Pydantic body, plain and gzipped, with ids, instants and fields unchanged", async () => {
  const all = expected();
  for (const name of BODIES) {
    for (const gzip of [false, true]) {
      const sink = memorySink();
      const ingest = createIngestApp({ sink, tokens: [TOKEN] });
      const response = await ingest.request("/events", {
        method: "POST",
        body: fixture(gzip ? `${name}.gz` : name),
        headers: {
          "Content-Type": name.endsWith(".ndjson")
            ? "application/x-ndjson"
            : "application/json",
          Authorization: `Bearer ${TOKEN}`,
          ...(gzip ? { "Content-Encoding": "gzip" } : {}),
        },
      });
      const label = `${name}${gzip ? ".gz" : ""}`;
      const answer = await response.json();
      assert.equal(response.status, 202, `${label}: ${JSON.stringify(answer)}`);
      const want = all[name].map(auditFields);
      assert.deepEqual(
        answer.event_ids,
        want.map((event) => event.event_id),
        label,
      );
      assert.deepEqual(sink.events, want, label);
      // Nothing reaches a SIEM as null.
      for (const event of sink.events) {
        const sent = JSON.parse(JSON.stringify(toSIEMEvent(event)));
        for (const [key, value] of Object.entries(sent)) {
          assert.notEqual(value, null, `${label}: ${key} sent as null`);
        }
        for (
          const field of [
            "session_id",
            "tool_name",
            "duration_ms",
            "error_message",
          ]
        ) {
          const value = (event as unknown as Record<string, unknown>)[field];
          assert.ok(value !== null, `${label}: ${field} is null`);
          if (value === undefined) {
            assert.ok(!(field in event), `${label}: ${field} key kept`);
          }
        }
      }
    }
  }
});

Deno.test("parseAuditEvent() gives the same stored values for every event Pydantic wrote", () => {
  const all = expected();
  for (const name of BODIES) {
    const raw = rawEvents(name);
    assert.equal(raw.length, all[name].length, name);
    raw.forEach((input, i) => {
      assert.deepEqual(
        parseAuditEvent(input),
        auditFields(all[name][i]!),
        name,
      );
    });
  }
});

Deno.test("a SIEMEvent body from the Python component is sent with the forwarder's severity and source, not the producer's", () => {
  const all = expected();
  const raw = rawEvents("siem_events.ndjson") as Record<string, unknown>[];
  raw.forEach((input, i) => {
    const event = toSIEMEvent(parseAuditEvent(input));
    assert.equal(event.severity, all["siem_events.ndjson"][i]!.severity);
    assert.equal(event.source, "harombe");
  });
  // The last one says "warning" (and source "audit-logger"); the
  // forwarder's rule says "info" for a successful tool call.
  assert.equal(raw.at(-1)!.severity, "warning");
  assert.equal(raw.at(-1)!.source, "audit-logger");
  assert.equal(toSIEMEvent(parseAuditEvent(raw.at(-1))).severity, "info");
});

Deno.test("the Python SIEMEvent bodies reach the three SIEMs with the forwarder's severity and source, and no null field", async () => {
  await using siems = startReceivers();
  // The fixtures are dated from 2026-11-30 12:00 to 2027-01-01: Datadog
  // keeps logs only from 18 h before to 2 h after now, so its destination
  // re-times the ones out of that window (the severity is what is checked
  // there), on a clock fixed at the first fixture's time.
  const integrator = new SIEMIntegrator(
    siems.configs().map((config) =>
      config.platform === "datadog"
        ? { ...config, agedEvents: "send_as_now" as const }
        : config
    ),
    {
      clock: new FakeClock(Date.UTC(2026, 10, 30, 12)),
      autoFlush: false,
      logger: new MemoryLogger(),
    },
  );
  const ingest = createIngestApp({ integrator, tokens: [TOKEN] });
  const response = await ingest.request("/events", {
    method: "POST",
    body: fixture("siem_events.ndjson.gz"),
    headers: {
      "Content-Type": "application/x-ndjson",
      "Content-Encoding": "gzip",
      Authorization: `Bearer ${TOKEN}`,
    },
  });
  assert.equal(response.status, 202);
  await integrator.flushAll();
  await integrator.stop();
  const want = expected()["siem_events.ndjson"];
  assert.deepEqual(
    siems.datadog.logs.map((log) => log.status),
    want.map((event) => event.severity),
  );
  const sent = siems.splunk.events.map((envelope) =>
    envelope.event as SIEMEvent
  );
  assert.deepEqual(
    sent.map((event) => [event.event_id, event.timestamp, event.severity]),
    want.map((event) => [event.event_id, event.timestamp, event.severity]),
  );
  for (const event of sent) {
    assert.equal(event.source, "harombe");
    for (const [key, value] of Object.entries(event)) {
      assert.notEqual(value, null, `${event.event_id}: ${key} sent as null`);
    }
  }
});

Deno.test("the Pydantic fixtures decompress to the plain fixtures", async () => {
  for (const name of BODIES) {
    const plain = fixture(name);
    const stream = new Blob([fixture(`${name}.gz`)]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    const unzipped = new Uint8Array(await new Response(stream).arrayBuffer());
    assert.deepEqual(unzipped, plain, name);
  }
});

/** python3 with pydantic 2, or why not. */
async function pydanticVersion(): Promise<string> {
  let output;
  try {
    output = await new Deno.Command("python3", {
      args: ["-c", "import pydantic; print(pydantic.VERSION)"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(
      `python3 is not on this machine (${
        String(error)
      }): the fixtures in tests/fixtures/pydantic cannot be checked against Pydantic. Install Python 3.10+ and pydantic 2 (pip install "pydantic>=2,<3"), or set PYDANTIC_LIVE=off to leave this test out.`,
    );
  }
  const version = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || !version.startsWith("2.")) {
    throw new Error(
      `python3 has no pydantic 2 (${
        version || new TextDecoder().decode(output.stderr).trim().slice(-200)
      }): install it (pip install "pydantic>=2,<3"), or set PYDANTIC_LIVE=off to leave this test out.`,
    );
  }
  return version;
}

function liveOff(): boolean {
  try {
    return Deno.env.get("PYDANTIC_LIVE") === "off";
  } catch {
    return false;
  }
}

Deno.test({
  name: liveOff()
    ? "Pydantic fixtures are not compared with live Pydantic: PYDANTIC_LIVE=off"
    : "the Pydantic fixtures are the bytes python3 with pydantic 2 writes now",
  ignore: liveOff(),
  async fn(): Promise<void> {
    await pydanticVersion();
    const out = await Deno.makeTempDir({ prefix: "pydantic-fixtures-" });
    try {
      const run = await new Deno.Command("python3", {
        args: [
          new URL("audit_event_model.py", DIR).pathname,
          out,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(
        run.success,
        `the fixture script failed: ${new TextDecoder().decode(run.stderr)}`,
      );
      for (
        const name of [
          ...BODIES,
          "expected.json",
        ]
      ) {
        const live = await Deno.readFile(`${out}/${name}`);
        assert.deepEqual(
          new TextDecoder().decode(live),
          new TextDecoder().decode(fixture(name)),
          `${name} differs from what Pydantic writes now: rerun the script`,
        );
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
