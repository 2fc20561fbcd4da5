import assert from "node:assert/strict";
import {
  type AuditEvent,
  type AuditEventInput,
  parseAuditEvent,
} from "../../../src/events/audit_event.ts";
import type { SIEMEvent } from "../../../src/events/siem_event.ts";
import {
  FILE_DESTINATION,
  NdjsonFileSink,
} from "../../../src/runtime/deno/ndjson_file_sink.ts";

function event(overrides: Partial<AuditEventInput> = {}): AuditEvent {
  return parseAuditEvent({
    correlation_id: "req-1",
    event_type: "tool_call",
    actor: "agent-7",
    action: "read_file",
    status: "success",
    timestamp: "2026-01-31T12:00:00.000Z",
    ...overrides,
  });
}

function events(count: number, prefix: string): AuditEvent[] {
  return Array.from({ length: count }, (_, i) =>
    event({
      event_id: `${prefix}-${i}`,
      metadata: { i, padding: "p".repeat(512) },
    }));
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ndjson_file_sink_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The file's lines, checking that it ends with a newline. */
async function linesOf(path: string): Promise<string[]> {
  const text = await Deno.readTextFile(path);
  assert.ok(text.endsWith("\n"), "the file does not end with a newline");
  return text.slice(0, -1).split("\n");
}

Deno.test("NdjsonFileSink.pathFor() names a file per UTC day in the directory", () => {
  const sink = new NdjsonFileSink("/some/dir");
  assert.equal(
    sink.pathFor(new Date("2026-01-31T23:59:59.999Z")),
    "/some/dir/events-2026-01-31.ndjson",
  );
  assert.equal(
    sink.pathFor(new Date("2026-02-01T00:00:00+01:00")),
    "/some/dir/events-2026-01-31.ndjson",
  );
});

Deno.test("NdjsonFileSink.accept() appends one SIEM event line per event", async () => {
  await withTempDir(async (dir) => {
    const sink = new NdjsonFileSink(`${dir}/nested/data`);
    await sink.accept([
      event({ event_id: "e-1" }),
      event({ event_id: "e-2", event_type: "security_decision" }),
    ]);
    await sink.accept([
      event({ event_id: "e-3", event_type: "error", status: "error" }),
    ]);
    const lines = await linesOf(sink.pathFor());
    assert.equal(lines.length, 3);
    const parsed = lines.map((line) => JSON.parse(line) as SIEMEvent);
    assert.deepEqual(parsed.map((e) => e.event_id), ["e-1", "e-2", "e-3"]);
    assert.deepEqual(parsed.map((e) => e.severity), [
      "info",
      "warning",
      "error",
    ]);
    for (const siemEvent of parsed) {
      assert.equal(siemEvent.source, "harombe");
      assert.equal(siemEvent.actor, "agent-7");
      assert.equal(siemEvent.timestamp, "2026-01-31T12:00:00.000Z");
    }
  });
});

Deno.test("NdjsonFileSink.accept() appends to a file that already exists", async () => {
  await withTempDir(async (dir) => {
    const first = new NdjsonFileSink(dir);
    await first.accept([event({ event_id: "before" })]);
    const second = new NdjsonFileSink(dir);
    await second.accept([event({ event_id: "after" })]);
    const lines = await linesOf(second.pathFor());
    assert.deepEqual(lines.map((line) => JSON.parse(line).event_id), [
      "before",
      "after",
    ]);
  });
});

Deno.test("NdjsonFileSink.accept() writes concurrent requests whole and in order", async () => {
  await withTempDir(async (dir) => {
    const sink = new NdjsonFileSink(dir);
    const a = events(500, "a");
    const b = events(500, "b");
    await Promise.all([sink.accept(a), sink.accept(b)]);
    const lines = await linesOf(sink.pathFor());
    assert.equal(lines.length, 1000);
    const ids = lines.map((line) => (JSON.parse(line) as SIEMEvent).event_id);
    assert.deepEqual(ids, [...a, ...b].map((e) => e.event_id));
  });
});

Deno.test("NdjsonFileSink.flush() waits for pending appends", async () => {
  await withTempDir(async (dir) => {
    const sink = new NdjsonFileSink(dir);
    const first = sink.accept(events(200, "f"));
    const second = sink.accept(events(200, "g"));
    await sink.flush();
    const lines = await linesOf(sink.pathFor());
    assert.equal(lines.length, 400);
    await Promise.all([first, second]);
  });
});

Deno.test("NdjsonFileSink.getStats() counts accepted events under local-file", async () => {
  await withTempDir(async (dir) => {
    const sink = new NdjsonFileSink(dir);
    await sink.accept(events(3, "s"));
    await sink.accept(events(2, "t"));
    await sink.flush();
    const stats = sink.getStats();
    assert.equal(stats.eventsAccepted, 5);
    assert.equal(stats.eventsExported, 5);
    assert.equal(stats.buffered, 0);
    assert.deepEqual(Object.keys(stats.perDestination), ["local-file"]);
    assert.equal(FILE_DESTINATION, "local-file");
    const file = stats.perDestination["local-file"];
    assert.ok(file);
    assert.equal(file.name, "local-file");
    assert.equal(file.platform, "file");
    assert.equal(file.enabled, true);
    assert.equal(file.eventsExported, 5);
    assert.equal(file.lastError, undefined);
  });
});

Deno.test("NdjsonFileSink.capacity() is practically unbounded", () => {
  const sink = new NdjsonFileSink("/unused");
  assert.ok(sink.capacity() >= 1_000_000_000, String(sink.capacity()));
});

Deno.test("NdjsonFileSink.accept() rejects and records the error when the directory cannot be created", async () => {
  await withTempDir(async (dir) => {
    const blocker = `${dir}/regular-file`;
    await Deno.writeTextFile(blocker, "not a directory");
    const sink = new NdjsonFileSink(`${blocker}/data`);
    await assert.rejects(sink.accept([event()]));
    await sink.flush();
    const stats = sink.getStats();
    assert.equal(stats.eventsAccepted, 0);
    assert.equal(stats.eventsExported, 0);
    const file = stats.perDestination["local-file"];
    assert.ok(file);
    assert.equal(typeof file.lastError, "string");
    assert.ok(file.lastError, "lastError is empty");
  });
});

Deno.test("NdjsonFileSink.accept() keeps writing after a failed append", async () => {
  await withTempDir(async (dir) => {
    const blocker = `${dir}/regular-file`;
    await Deno.writeTextFile(blocker, "not a directory");
    const sink = new NdjsonFileSink(`${blocker}/data`);
    const failed = sink.accept([event()]);
    await assert.rejects(failed);
    await Deno.remove(blocker);
    await sink.accept([event({ event_id: "later" })]);
    const lines = await linesOf(sink.pathFor());
    assert.deepEqual(lines.map((line) => JSON.parse(line).event_id), [
      "later",
    ]);
    assert.equal(sink.getStats().eventsAccepted, 1);
  });
});

Deno.test("NdjsonFileSink.getStats() counts failed appends in a row, for /health", async () => {
  await withTempDir(async (dir) => {
    const blocker = `${dir}/regular-file`;
    await Deno.writeTextFile(blocker, "not a directory");
    const sink = new NdjsonFileSink(`${blocker}/data`);
    await assert.rejects(sink.accept([event()]));
    await assert.rejects(sink.accept([event()]));
    const failing = sink.getStats().perDestination["local-file"];
    assert.ok(failing);
    assert.equal(failing.exportsFailed, 2);
    assert.equal(
      failing.consecutiveFailures,
      2,
      "a sink whose every append fails must not look healthy",
    );
    await Deno.remove(blocker);
    await sink.accept([event()]);
    assert.equal(
      sink.getStats().perDestination["local-file"]?.consecutiveFailures,
      0,
    );
  });
});

Deno.test("NdjsonFileSink writes the producer's stamp the ingest gives, and nothing without one", async () => {
  await withTempDir(async (dir) => {
    const sink = new NdjsonFileSink(dir);
    await sink.accept([event({ event_id: "stamped" })], {
      producer: "billing",
    });
    await sink.accept([event({ event_id: "plain" })]);
    const lines = (await linesOf(sink.pathFor())).map((line) =>
      JSON.parse(line) as SIEMEvent
    );
    assert.deepEqual(
      lines.map((line) => [line.event_id, line.producer]),
      [["stamped", "billing"], ["plain", undefined]],
    );
    assert.equal(Object.hasOwn(lines[1]!, "producer"), false);
  });
});

Deno.test("NdjsonFileSink.pathFor() names the UTC day whatever the host's time zone", async () => {
  // The zone is read once per process: children with TZ set.
  const module = new URL(
    "../../../src/runtime/deno/ndjson_file_sink.ts",
    import.meta.url,
  ).href;
  const script = `
    import { NdjsonFileSink } from ${JSON.stringify(module)};
    const sink = new NdjsonFileSink("/d");
    console.log(JSON.stringify([
      sink.pathFor(new Date("2026-01-31T23:30:00Z")),
      sink.pathFor(new Date("2026-02-01T00:30:00Z")),
    ]));
  `;
  for (const zone of ["Asia/Kolkata", "America/Los_Angeles"]) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-check", "--no-lock", script],
      env: { TZ: zone },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.deepEqual(JSON.parse(new TextDecoder().decode(stdout)), [
      "/d/events-2026-01-31.ndjson",
      "/d/events-2026-02-01.ndjson",
    ], zone);
  }
});
