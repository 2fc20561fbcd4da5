// deno-lint-ignore-file no-console
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { loadCheckpoint } from "../../../../src/runtime/deno/audit_db/checkpoint.ts";
import { startFakeElasticsearch } from "../../../fakes/fake_elasticsearch.ts";
import { waitFor } from "../../../support/fake_clock.ts";
import { AuditDbFile, fillMixed, pythonTimestamp } from "./audit_db_fixture.ts";
import { importerCommand, runImporter } from "./cli.ts";
import { outboxEvents } from "./spool_contents.ts";

const ROWS = 60_000;

function importedOf(
  value: { imported: Record<string, number | undefined> },
): number {
  return Object.values(value.imported).reduce<number>(
    (a, b) => a + (b ?? 0),
    0,
  );
}

async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// Waits for the spool's file, then opens it (the importer creates it).
async function openSpool(path: string): Promise<Deno.Kv> {
  await waitFor(
    () => {
      try {
        return Deno.statSync(path).isFile;
      } catch {
        return false;
      }
    },
    30_000,
    "the spool's file",
  );
  return await Deno.openKv(path);
}

Deno.test("kill test: an import SIGKILLed midway and run again stores every row exactly once, then delivers all", async () => {
  await using es = startFakeElasticsearch();
  const dir = await Deno.makeTempDir();
  const file = new AuditDbFile(`${dir}/audit.db`);
  fillMixed(file, ROWS, Date.now() - 3_600_000, 1);
  file.close();
  const env = {
    DATA_DIR: `${dir}/data`,
    SIEM_ELASTICSEARCH_URL: es.url,
  };
  let kv: Deno.Kv | undefined;
  try {
    const child = importerCommand([file.path, "--store-only"], env).spawn();
    const output = Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    kv = await openSpool(`${dir}/data/spool.sqlite`);
    const path = Deno.realPathSync(file.path);
    let seen = 0;
    const deadline = Date.now() + 60_000;
    // Killed a third of the way or later, while batches are being written.
    while (seen < ROWS / 3 && Date.now() < deadline) {
      seen = importedOf((await loadCheckpoint(kv, path)).value);
      if (seen < ROWS / 3) await new Promise((r) => setTimeout(r, 5));
    }
    child.kill("SIGKILL");
    const status = await child.status;
    await output;
    assert.equal(status.signal, "SIGKILL");
    const atKill = importedOf((await loadCheckpoint(kv, path)).value);
    assert.ok(
      atKill > 0 && atKill < ROWS,
      `the kill must land midway: ${atKill} of ${ROWS} imported`,
    );
    // The checkpoint covers exactly what the spool holds: stored together.
    assert.equal((await outboxEvents(kv, "elasticsearch")).length, atKill);

    const rerun = await runImporter([file.path, "--store-only"], env);
    assert.equal(rerun.code, 0, rerun.stderr);
    const ids = (await outboxEvents(kv, "elasticsearch")).map((e) =>
      e.event_id
    );
    assert.equal(ids.length, ROWS, "every row stored, none twice");
    assert.equal(new Set(ids).size, ROWS);
    const db = new DatabaseSync(file.path, { readOnly: true });
    const expected = [
      ...db.prepare("SELECT event_id AS id FROM audit_events").all(),
      ...db.prepare("SELECT call_id AS id FROM tool_calls").all(),
      ...db.prepare("SELECT decision_id AS id FROM security_decisions").all(),
    ].map((row) => String(row.id)).sort();
    db.close();
    assert.deepEqual([...ids].sort(), expected);
    kv.close();
    kv = undefined;

    // A run without --store-only has nothing new to import and delivers
    // what the spool holds.
    const deliver = await runImporter([file.path], env);
    assert.equal(deliver.code, 0, deliver.stderr);
    assert.match(deliver.stdout, /imported 0 event\(s\)/);
    const delivered = new Set(es.documents.map((d) => d.id));
    assert.equal(delivered.size, ROWS);
    console.log(
      `import kill test: killed at ${atKill} of ${ROWS} rows; after the rerun ${ids.length} stored, ${delivered.size} delivered, 0 lost, 0 stored twice`,
    );
  } finally {
    kv?.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import-audit-db --follow imports rows a live writer adds, and stops cleanly on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  const file = new AuditDbFile(`${dir}/audit.db`);
  fillMixed(file, 30, Date.now() - 60_000);
  const env = {
    DATA_DIR: `${dir}/data`,
    SIEM_ELASTICSEARCH_URL: "http://127.0.0.1:9",
  };
  let kv: Deno.Kv | undefined;
  try {
    const child = importerCommand(
      [
        file.path,
        "--follow",
        "--store-only",
        "--settle-ms",
        "0",
        "--poll-ms",
        "50",
      ],
      env,
    ).spawn();
    const output = Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    kv = await openSpool(`${dir}/data/spool.sqlite`);
    const path = Deno.realPathSync(file.path);
    const imported = async (): Promise<number> =>
      importedOf((await loadCheckpoint(kv!, path)).value);
    let count = 0;
    await until(
      async () => (count = await imported()) === 30,
      "the first rows",
    );
    // Past the first second, a batch prints the progress line.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // The logger goes on writing to the same file (WAL, like the Python one).
    for (let i = 0; i < 5; i++) {
      file.decision({
        decision_id: `live-${i}`,
        correlation_id: "c",
        session_id: null,
        timestamp: pythonTimestamp(Date.now()),
        decision_type: "hitl",
        decision: "require_confirmation",
        reason: "r",
        context: null,
        tool_name: null,
        actor: "a",
      });
    }
    await until(
      async () => (count = await imported()) === 35,
      "the rows written later",
    );
    child.kill("SIGTERM");
    const status = await child.status;
    const [stdout, stderr] = await output;
    assert.equal(status.code, 0, stderr);
    assert.match(stdout, /imported 35 event\(s\)/);
    assert.match(stderr, /import: 35\/35 rows \(100\.0%\), \d+ rows\/s/);
    const ids = (await outboxEvents(kv, "elasticsearch")).map((e) =>
      e.event_id
    );
    assert.deepEqual(ids.slice(30), [0, 1, 2, 3, 4].map((i) => `live-${i}`));
    assert.equal(count, 35);
  } finally {
    kv?.close();
    file.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import-audit-db stopped by SIGINT mid-import exits 130, and a rerun finishes it", async () => {
  const dir = await Deno.makeTempDir();
  const file = new AuditDbFile(`${dir}/audit.db`);
  fillMixed(file, ROWS, Date.now() - 3_600_000, 1);
  file.close();
  const env = {
    DATA_DIR: `${dir}/data`,
    SIEM_ELASTICSEARCH_URL: "http://127.0.0.1:9",
  };
  let kv: Deno.Kv | undefined;
  try {
    const child = importerCommand([file.path, "--store-only"], env).spawn();
    const output = Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    kv = await openSpool(`${dir}/data/spool.sqlite`);
    const path = Deno.realPathSync(file.path);
    await until(
      async () => importedOf((await loadCheckpoint(kv!, path)).value) > 0,
      "the first batch",
    );
    child.kill("SIGINT");
    const status = await child.status;
    const [stdout] = await output;
    assert.equal(status.code, 130);
    assert.match(stdout, /stopped: run the same command again to resume/);
    const stopped = importedOf((await loadCheckpoint(kv, path)).value);
    assert.ok(stopped < ROWS, `stopped at ${stopped} of ${ROWS}`);
    assert.equal((await outboxEvents(kv, "elasticsearch")).length, stopped);
    const rerun = await runImporter([file.path, "--store-only"], env);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal((await outboxEvents(kv, "elasticsearch")).length, ROWS);
  } finally {
    kv?.close();
    await Deno.remove(dir, { recursive: true });
  }
});
