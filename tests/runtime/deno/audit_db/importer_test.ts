import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { KvSpool } from "../../../../src/spool/kv_spool.ts";
import { loadCheckpoint } from "../../../../src/runtime/deno/audit_db/checkpoint.ts";
import {
  importAuditRows,
  type ImportOptions,
} from "../../../../src/runtime/deno/audit_db/importer.ts";
import type { MergedRow } from "../../../../src/runtime/deno/audit_db/merge.ts";
import { openAuditDatabase } from "../../../../src/runtime/deno/audit_db/tables.ts";
import { waitFor } from "../../../support/fake_clock.ts";
import { MemoryLogger } from "../../../support/receivers.ts";
import { AuditDbFile, fillMixed, pythonTimestamp } from "./audit_db_fixture.ts";
import { outboxEvents } from "./spool_contents.ts";

const ES = [{
  platform: "elasticsearch" as const,
  endpoint: "http://127.0.0.1:9",
}];
const T0 = Date.parse("2026-11-30T10:00:00.000Z");

interface Env {
  dir: string;
  file: AuditDbFile;
  kv: Deno.Kv;
  spool: KvSpool;
  /** Runs one import of the file into the spool (not started: nothing is sent). */
  run(options?: Partial<ImportOptions>): ReturnType<typeof importAuditRows>;
}

// Three destinations that are never reached: the tests below only store.
const THREE = [
  { platform: "elasticsearch" as const, endpoint: "http://127.0.0.1:9" },
  { platform: "splunk" as const, endpoint: "http://127.0.0.1:9" },
  { platform: "datadog" as const, endpoint: "http://127.0.0.1:9" },
];

// A tool call whose parameters hold `text`.
function toolCallWithText(
  file: AuditDbFile,
  callId: string,
  ms: number,
  text: string,
): void {
  file.toolCall({
    call_id: callId,
    correlation_id: "c",
    session_id: null,
    timestamp: pythonTimestamp(ms),
    tool_name: "t",
    method: "m",
    parameters: JSON.stringify({ text }),
    result: null,
    error: null,
    duration_ms: null,
    container_id: null,
  });
}

async function withEnv(
  test: (env: Env) => Promise<void>,
  destinations: {
    platform: "elasticsearch" | "splunk" | "datadog";
    endpoint: string;
    name?: string;
  }[] = ES,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const file = new AuditDbFile(`${dir}/audit.db`);
  const kv = await Deno.openKv(`${dir}/spool.sqlite`);
  const spool = new KvSpool(kv, destinations, { logger: new MemoryLogger() });
  try {
    await test({
      dir,
      file,
      kv,
      spool,
      async run(options = {}): ReturnType<typeof importAuditRows> {
        const db = openAuditDatabase(file.path);
        try {
          return await importAuditRows({
            db,
            kv,
            sink: spool,
            path: file.path,
            destinations: destinations.length,
            ...options,
          });
        } finally {
          db.close();
        }
      },
    });
  } finally {
    await spool.stop({ timeoutMs: 0 });
    kv.close();
    file.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("import maps each table's rows to audit events, nulls left out and JSON text parsed", async () => {
  await withEnv(async ({ file, kv, run }) => {
    file.event({
      event_id: "ev-1",
      correlation_id: "corr-1",
      session_id: null,
      timestamp: "2026-11-30 10:00:00.123456",
      event_type: "request",
      actor: "agent-7",
      tool_name: null,
      action: "read_file",
      metadata: null,
      duration_ms: null,
      status: "pending",
      error_message: null,
    });
    file.event({
      event_id: "ev-2",
      correlation_id: "corr-1",
      session_id: "s-1",
      timestamp: "2026-11-30 10:00:00.200000",
      event_type: "response",
      actor: "system",
      tool_name: "filesystem",
      action: "response",
      metadata: '{"bytes": 12, "nested": {"a": [1, null]}}',
      duration_ms: 77,
      status: "error",
      error_message: "boom",
    });
    file.toolCall({
      call_id: "call-1",
      correlation_id: "corr-1",
      session_id: "s-1",
      timestamp: "2026-11-30 10:00:00.150000",
      tool_name: "filesystem",
      method: "read_file",
      parameters: '{"path": "/etc/hosts"}',
      result: '{"content": "127.0.0.1 localhost"}',
      error: null,
      duration_ms: 5,
      container_id: "c0ffee",
    });
    file.toolCall({
      call_id: "call-2",
      correlation_id: "corr-2",
      session_id: null,
      timestamp: "2026-11-30 10:00:01",
      tool_name: "shell",
      method: "",
      parameters: "{}",
      result: null,
      error: "exit 1",
      duration_ms: null,
      container_id: null,
    });
    file.decision({
      decision_id: "dec-1",
      correlation_id: "corr-1",
      session_id: "s-1",
      timestamp: "2026-11-30 10:00:00.100000",
      decision_type: "authorization",
      decision: "deny",
      reason: "tool not allowed",
      context: '{"rule": "r-9"}',
      tool_name: "shell",
      actor: "agent-7",
    });
    file.decision({
      decision_id: "dec-2",
      correlation_id: "corr-3",
      session_id: null,
      timestamp: "2026-11-30 10:00:02.000001",
      decision_type: "egress",
      decision: "allow",
      reason: "allow-listed",
      context: null,
      tool_name: null,
      actor: "agent-8",
    });
    const report = await run();
    assert.deepEqual(report.imported, {
      audit_events: 2,
      tool_calls: 2,
      security_decisions: 2,
    });
    const events = await outboxEvents(kv, "elasticsearch");
    const base = { source: "harombe" };
    assert.deepEqual(events.map((e) => JSON.parse(JSON.stringify(e))), [
      {
        event_id: "dec-1",
        correlation_id: "corr-1",
        session_id: "s-1",
        timestamp: "2026-11-30T10:00:00.100Z",
        event_type: "security_decision",
        actor: "agent-7",
        tool_name: "shell",
        action: "authorization",
        metadata: { reason: "tool not allowed", context: { rule: "r-9" } },
        status: "deny",
        ...base,
        severity: "warning",
      },
      {
        event_id: "ev-1",
        correlation_id: "corr-1",
        timestamp: "2026-11-30T10:00:00.123Z",
        event_type: "request",
        actor: "agent-7",
        action: "read_file",
        metadata: {},
        status: "pending",
        ...base,
        severity: "info",
      },
      {
        event_id: "call-1",
        correlation_id: "corr-1",
        session_id: "s-1",
        timestamp: "2026-11-30T10:00:00.150Z",
        event_type: "tool_call",
        actor: "system",
        tool_name: "filesystem",
        action: "read_file",
        metadata: {
          parameters: { path: "/etc/hosts" },
          result: { content: "127.0.0.1 localhost" },
          container_id: "c0ffee",
        },
        duration_ms: 5,
        status: "success",
        ...base,
        severity: "info",
      },
      {
        event_id: "ev-2",
        correlation_id: "corr-1",
        session_id: "s-1",
        timestamp: "2026-11-30T10:00:00.200Z",
        event_type: "response",
        actor: "system",
        tool_name: "filesystem",
        action: "response",
        metadata: { bytes: 12, nested: { a: [1, null] } },
        duration_ms: 77,
        status: "error",
        error_message: "boom",
        ...base,
        severity: "error",
      },
      {
        event_id: "call-2",
        correlation_id: "corr-2",
        timestamp: "2026-11-30T10:00:01.000Z",
        event_type: "tool_call",
        actor: "system",
        tool_name: "shell",
        action: "shell",
        metadata: { parameters: {} },
        status: "error",
        error_message: "exit 1",
        ...base,
        severity: "error",
      },
      {
        event_id: "dec-2",
        correlation_id: "corr-3",
        timestamp: "2026-11-30T10:00:02.000Z",
        event_type: "security_decision",
        actor: "agent-8",
        action: "egress",
        metadata: { reason: "allow-listed" },
        status: "allow",
        ...base,
        severity: "warning",
      },
    ]);
    // No field is ever a JSON null (the SIEMs get absent fields).
    for (const event of events) {
      assert.ok(!JSON.stringify(event).includes(":null,"));
    }
  });
});

Deno.test("import merges the three tables in timestamp order, offsets and both ISO separators read", async () => {
  await withEnv(async ({ file, kv, run }) => {
    const decision = (id: string, timestamp: string) =>
      file.decision({
        decision_id: id,
        correlation_id: "c",
        session_id: null,
        timestamp,
        decision_type: "authorization",
        decision: "allow",
        reason: "r",
        context: null,
        tool_name: null,
        actor: "a",
      });
    const call = (id: string, timestamp: string) =>
      file.toolCall({
        call_id: id,
        correlation_id: "c",
        session_id: null,
        timestamp,
        tool_name: "t",
        method: "m",
        parameters: "{}",
        result: null,
        error: null,
        duration_ms: null,
        container_id: null,
      });
    // Each table keeps one form (as a logger writes them), the forms differ
    // between tables: decisions carry +01:00, tool calls a "T"; inserted
    // out of order.
    call("call-b", "2026-11-30T10:00:00.000002");
    decision("dec-b", "2026-11-30 11:00:00.000003+01:00");
    call("call-a", "2026-11-30T09:59:59");
    decision("dec-a", "2026-11-30 10:59:59.5+01:00");
    file.event({
      event_id: "ev-a",
      correlation_id: "c",
      session_id: null,
      timestamp: "2026-11-30 10:00:00.000002",
      event_type: "request",
      actor: "a",
      tool_name: null,
      action: "x",
      metadata: null,
      duration_ms: null,
      status: "pending",
      error_message: null,
    });
    await run();
    const events = await outboxEvents(kv, "elasticsearch");
    // Same instant: audit_events before tool_calls before security_decisions.
    assert.deepEqual(events.map((e) => e.event_id), [
      "call-a",
      "dec-a",
      "ev-a",
      "call-b",
      "dec-b",
    ]);
    assert.equal(events[1]!.timestamp, "2026-11-30T09:59:59.500Z");
  });
});

Deno.test("import: a table mixing timestamp forms is imported whole, each row once (ordered by stored text)", async () => {
  await withEnv(async ({ file, kv, run }) => {
    const forms = [
      "2026-11-30 10:00:00.000002",
      "2026-11-30T09:59:59",
      "2026-11-30 11:00:00.000001+01:00",
      "2026-11-30T10:00:00-05:00",
      "2026-11-30 10:00:00",
    ];
    forms.forEach((timestamp, i) =>
      file.decision({
        decision_id: `dec-${i}`,
        correlation_id: "c",
        session_id: null,
        timestamp,
        decision_type: "authorization",
        decision: "allow",
        reason: "r",
        context: null,
        tool_name: null,
        actor: "a",
      })
    );
    await run();
    await run();
    const events = await outboxEvents(kv, "elasticsearch");
    assert.deepEqual(
      events.map((e) => e.event_id).sort(),
      forms.map((_, i) => `dec-${i}`),
    );
  });
});

Deno.test("import resumes from its checkpoint: a rerun and an interrupted run store each row once", async () => {
  await withEnv(async ({ file, kv, run }) => {
    fillMixed(file, 9000, T0);
    const stop = new AbortController();
    const first = await run({
      signal: stop.signal,
      onProgress: () => stop.abort(),
    });
    assert.equal(first.interrupted, true);
    const done = Object.values(first.imported).reduce((a, b) => a + b, 0);
    assert.ok(done > 0 && done < 9000, `first run stored ${done}`);
    let events = await outboxEvents(kv, "elasticsearch");
    assert.equal(events.length, done, "the checkpoint covers what is stored");

    const second = await run();
    assert.equal(second.interrupted, false);
    events = await outboxEvents(kv, "elasticsearch");
    const ids = events.map((e) => e.event_id);
    assert.equal(ids.length, 9000);
    assert.equal(new Set(ids).size, 9000, "no row stored twice");
    const times = events.map((e) => e.timestamp);
    assert.deepEqual(times, [...times].sort(), "in timestamp order");
  });
});

Deno.test("import: rows added after a run are imported by the next, nothing before them again", async () => {
  await withEnv(async ({ file, kv, run }) => {
    fillMixed(file, 30, T0);
    await run();
    const db = new DatabaseSync(file.path);
    db.prepare(
      "INSERT INTO audit_events (event_id, correlation_id, timestamp, event_type, actor, action, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).run(
      "late-1",
      "c",
      pythonTimestamp(T0 + 60_000),
      "error",
      "a",
      "x",
      "error",
    );
    db.close();
    const report = await run();
    assert.equal(report.imported.audit_events, 1);
    const ids = (await outboxEvents(kv, "elasticsearch")).map((e) =>
      e.event_id
    );
    assert.equal(ids.length, 31);
    assert.equal(ids.at(-1), "late-1");
  });
});

Deno.test("import: the logger's retention DELETE and a VACUUM's renumbered rowids do not move the checkpoint", async () => {
  await withEnv(async ({ file, kv, run }) => {
    fillMixed(file, 300, T0, 1000);
    await run();
    // As audit_db.py's _cleanup_old_records at startup, then new rows.
    file.db.exec(
      `DELETE FROM audit_events WHERE timestamp < '${
        pythonTimestamp(T0 + 100_000)
      }'`,
    );
    // VACUUM may renumber rowids of tables without an INTEGER PRIMARY KEY
    // (Deno's node:sqlite refuses VACUUM's internal ATTACH without
    // --allow-all): rebuilt here with the rows in reverse order.
    for (const table of ["audit_events", "tool_calls", "security_decisions"]) {
      file.db.exec(`
        CREATE TABLE copy AS SELECT * FROM ${table} ORDER BY timestamp DESC;
        DELETE FROM ${table};
        INSERT INTO ${table} SELECT * FROM copy;
        DROP TABLE copy;`);
    }
    file.event({
      event_id: "after-vacuum",
      correlation_id: "c",
      session_id: null,
      timestamp: pythonTimestamp(T0 + 400_000),
      event_type: "request",
      actor: "a",
      tool_name: null,
      action: "x",
      metadata: null,
      duration_ms: null,
      status: "pending",
      error_message: null,
    });
    const report = await run();
    assert.deepEqual(report.imported, {
      audit_events: 1,
      tool_calls: 0,
      security_decisions: 0,
    });
    const ids = (await outboxEvents(kv, "elasticsearch")).map((e) =>
      e.event_id
    );
    assert.equal(ids.length, 301);
    assert.equal(new Set(ids).size, 301);
  });
});

Deno.test("import --since skips older rows, and the checkpoint keeps skipping them", async () => {
  await withEnv(async ({ file, kv, run }) => {
    fillMixed(file, 100, T0, 1000);
    const since = (T0 + 60_000) * 1000;
    const report = await run({ sinceMicros: since });
    assert.equal(report.skipped, 60);
    const events = await outboxEvents(kv, "elasticsearch");
    assert.equal(events.length, 40);
    assert.ok(events.every((e) => Date.parse(e.timestamp) >= T0 + 60_000));
    const { value } = await loadCheckpoint(kv, file.path);
    assert.equal(value.sinceMicros, since);
  });
});

Deno.test("import refuses rows that make no valid event, names them, and goes on", async () => {
  await withEnv(async ({ file, kv, run }) => {
    fillMixed(file, 6, T0);
    file.toolCall({
      call_id: "bad-json",
      correlation_id: "c",
      session_id: null,
      timestamp: pythonTimestamp(T0 + 1),
      tool_name: "t",
      method: "m",
      parameters: "{not json",
      result: null,
      error: null,
      duration_ms: null,
      container_id: null,
    });
    file.decision({
      decision_id: "bad-time",
      correlation_id: "c",
      session_id: null,
      timestamp: "yesterday",
      decision_type: "authorization",
      decision: "allow",
      reason: "r",
      context: null,
      tool_name: null,
      actor: "a",
    });
    file.event({
      event_id: "bad-actor",
      correlation_id: "c",
      session_id: null,
      timestamp: pythonTimestamp(T0 + 2),
      event_type: "request",
      actor: "",
      tool_name: null,
      action: "x",
      metadata: null,
      duration_ms: null,
      status: "pending",
      error_message: null,
    });
    const refused: MergedRow[] = [];
    const report = await run({ onRefused: (row) => refused.push(row) });
    assert.equal(report.refused, 3);
    assert.deepEqual(
      refused.map((r) => [r.table, r.cursor.id]).sort(),
      [
        ["audit_events", "bad-actor"],
        ["security_decisions", "bad-time"],
        ["tool_calls", "bad-json"],
      ],
    );
    const reasons = refused.map((r) => r.refused).join("\n");
    assert.match(reasons, /column parameters is not JSON/);
    assert.match(reasons, /timestamp "yesterday" is not an ISO 8601 date-time/);
    assert.match(reasons, /actor must not be empty/);
    assert.equal((await outboxEvents(kv, "elasticsearch")).length, 6);
    // A rerun does not report them again: the checkpoint is past them.
    assert.equal((await run()).refused, 0);
  });
});

Deno.test("import refuses rows whose metadata an Elasticsearch destination without its template can never index, naming the field, and goes on", async () => {
  await withEnv(async ({ file, kv, run }) => {
    fillMixed(file, 4, T0);
    file.event({
      event_id: "empty-key",
      correlation_id: "c",
      session_id: null,
      timestamp: pythonTimestamp(T0 + 1),
      event_type: "request",
      actor: "a",
      tool_name: null,
      action: "x",
      metadata: JSON.stringify({ "": 1 }),
      duration_ms: null,
      status: "success",
      error_message: null,
    });
    const refused: MergedRow[] = [];
    const report = await run({ onRefused: (row) => refused.push(row) });
    assert.deepEqual(refused.map((r) => r.cursor.id), ["empty-key"]);
    assert.match(
      refused[0]!.refused!,
      /^metadata has an empty key.*indexTemplate: true/,
    );
    assert.equal(report.refused, 1);
    assert.equal((await outboxEvents(kv, "elasticsearch")).length, 4);
  });
});

Deno.test("import splits a batch too large for one transaction, and stores a 300 KB row once for three destinations", async () => {
  await withEnv(async ({ file, kv, run }) => {
    file.transaction(() => {
      for (let i = 0; i < 400; i++) {
        // Escaped quotes: the JSON stored is larger than the row's text.
        toolCallWithText(
          file,
          `big-${String(i).padStart(3, "0")}`,
          T0 + i,
          '"'.repeat(1500),
        );
      }
      toolCallWithText(file, "huge", T0 + 1000, "x".repeat(300_000));
    });
    const refused: MergedRow[] = [];
    const report = await run({ onRefused: (row) => refused.push(row) });
    // Three copies of the 300 KB row passed what one transaction takes; the
    // spool stores a group once for all its destinations.
    assert.equal(report.imported.tool_calls, 401);
    assert.deepEqual(refused, []);
    for (const destination of ["splunk", "elasticsearch", "datadog"]) {
      const ids = (await outboxEvents(kv, destination)).map((e) => e.event_id);
      assert.equal(new Set(ids).size, 401);
    }
  }, THREE);
});

// The spool stores a group once for all its destinations: an import for
// three commits as much at once as an import for one (a third as much
// before, three times the transactions).
Deno.test("import commits as many rows at once for three destinations as for one", async () => {
  const commits: number[] = [];
  for (const destinations of [[THREE[0]!], THREE]) {
    await withEnv(async ({ file, spool, run }) => {
      file.transaction(() => {
        for (let i = 0; i < 600; i++) {
          toolCallWithText(
            file,
            `row-${String(i).padStart(3, "0")}`,
            T0 + i,
            "x".repeat(1500),
          );
        }
      });
      let accepts = 0;
      const report = await run({
        sink: {
          accept: (events, extras) => {
            accepts++;
            return spool.accept(events, extras);
          },
        },
      });
      assert.equal(report.imported.tool_calls, 600);
      commits.push(accepts);
    }, destinations);
  }
  assert.ok(commits[0]! >= 2, `${commits}`);
  assert.equal(commits[1], commits[0]);
});

Deno.test("import refuses a row whose event is larger than the spool stores at all, and goes on", async () => {
  await withEnv(async ({ file, kv, run }) => {
    fillMixed(file, 3, T0);
    file.toolCall({
      call_id: "over-700kb",
      correlation_id: "c",
      session_id: null,
      timestamp: pythonTimestamp(T0 + 1),
      tool_name: "t",
      method: "m",
      parameters: JSON.stringify({ text: "x".repeat(800_000) }),
      result: null,
      error: null,
      duration_ms: null,
      container_id: null,
    });
    const refused: MergedRow[] = [];
    const report = await run({ onRefused: (row) => refused.push(row) });
    assert.deepEqual(refused.map((r) => r.cursor.id), ["over-700kb"]);
    assert.match(refused[0]!.refused!, /too large to store/);
    assert.equal(report.refused, 1);
    assert.equal((await outboxEvents(kv, "elasticsearch")).length, 3);
  });
});

Deno.test("import stops, storing nothing, when another importer moved the checkpoint", async () => {
  await withEnv(async ({ file, kv, run, spool }) => {
    fillMixed(file, 9000, T0);
    await assert.rejects(
      run({
        sink: {
          async accept(events, extras): Promise<void> {
            // Another process writes the checkpoint between two batches.
            await kv.set(extras.sets![0]!.key, { path: "other" });
            return spool.accept(events, extras);
          },
        },
      }),
      /a check of the transaction failed/,
    );
    assert.equal((await outboxEvents(kv, "elasticsearch")).length, 0);
  });
});

Deno.test("import --follow picks up rows written after it started, then stops on its signal", async () => {
  await withEnv(async ({ file, kv, run }) => {
    fillMixed(file, 30, Date.now() - 60_000);
    const stop = new AbortController();
    let imported = 0;
    const running = run({
      follow: true,
      settleMs: 0,
      pollMs: 20,
      signal: stop.signal,
      onProgress: (p) => imported = p.imported,
    });
    await waitFor(() => imported === 30, 10_000, "the first rows");
    const writer = new DatabaseSync(file.path);
    writer.exec("PRAGMA busy_timeout = 5000");
    const insert = writer.prepare(
      "INSERT INTO security_decisions (decision_id, correlation_id, timestamp, decision_type, decision, reason, actor) VALUES (?, 'c', ?, 'hitl', 'require_confirmation', 'r', 'a')",
    );
    for (let i = 0; i < 5; i++) {
      insert.run(`live-${i}`, pythonTimestamp(Date.now()));
    }
    writer.close();
    await waitFor(() => imported === 35, 10_000, "the rows written later");
    stop.abort();
    const report = await running;
    assert.equal(report.interrupted, true);
    const ids = (await outboxEvents(kv, "elasticsearch")).map((e) =>
      e.event_id
    );
    assert.deepEqual(ids.slice(30), [0, 1, 2, 3, 4].map((i) => `live-${i}`));
  });
});

Deno.test("import --follow leaves rows younger than its settle time for a later pass", async () => {
  await withEnv(async ({ file, kv, run }) => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    fillMixed(file, 10, now - 10_000, 1000);
    const stop = new AbortController();
    const report = await run({
      follow: true,
      settleMs: 5000,
      pollMs: 10,
      now: () => now,
      signal: stop.signal,
      onProgress: () => stop.abort(),
    });
    assert.equal(report.interrupted, true);
    // Rows i at now - 10 s + i s + i µs: those up to now - 6 s are old
    // enough; now - 5 s + 5 µs and later wait.
    assert.equal((await outboxEvents(kv, "elasticsearch")).length, 5);
  });
});
