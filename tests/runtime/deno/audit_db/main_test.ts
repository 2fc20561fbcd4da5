import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { startFakeElasticsearch } from "../../../fakes/fake_elasticsearch.ts";
import { AuditDbFile, fillMixed, pythonTimestamp } from "./audit_db_fixture.ts";
import { runImporter } from "./cli.ts";

async function withDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const ES_ENV = (
  dir: string,
  url = "http://127.0.0.1:9",
): Record<string, string> => ({
  DATA_DIR: `${dir}/data`,
  SIEM_ELASTICSEARCH_URL: url,
});

Deno.test("import-audit-db: a file that is not an audit database exits 3 and says what is missing", async () => {
  await withDir(async (dir) => {
    const env = ES_ENV(dir);
    const missing = await runImporter([`${dir}/nope.db`], env);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /cannot read .*nope\.db/);

    await Deno.writeTextFile(
      `${dir}/text.db`,
      "hello, this is not SQLite at all\n".repeat(200),
    );
    const text = await runImporter([`${dir}/text.db`], env);
    assert.equal(text.code, 3);
    assert.match(
      text.stderr,
      /text\.db is not an SQLite database \(file is not a database\)/,
    );

    const noTable = new DatabaseSync(`${dir}/no_table.db`);
    noTable.exec(
      "CREATE TABLE audit_events (event_id TEXT); CREATE TABLE tool_calls (call_id TEXT)",
    );
    noTable.close();
    const table = await runImporter([`${dir}/no_table.db`], env);
    assert.equal(table.code, 3);
    assert.match(
      table.stderr,
      /is not a Python audit database: it has no table security_decisions \(tables: audit_events, tool_calls\)/,
    );

    const file = new AuditDbFile(`${dir}/no_column.db`);
    file.close();
    const db = new DatabaseSync(`${dir}/no_column.db`);
    db.exec("ALTER TABLE tool_calls DROP COLUMN container_id");
    db.close();
    const column = await runImporter([`${dir}/no_column.db`], env);
    assert.equal(column.code, 3);
    assert.match(
      column.stderr,
      /is not a Python audit database: table tool_calls has no column container_id/,
    );
    // Nothing was imported, so no spool was even created.
    await assert.rejects(Deno.stat(`${dir}/data/spool.sqlite`));
  });
});

Deno.test("import-audit-db: usage and configuration errors exit 2", async () => {
  await withDir(async (dir) => {
    const file = new AuditDbFile(`${dir}/audit.db`);
    file.close();
    const none = await runImporter([], ES_ENV(dir));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give exactly one database PATH/);
    const badSince = await runImporter(
      [file.path, "--since", "last week"],
      ES_ENV(dir),
    );
    assert.equal(badSince.code, 2);
    assert.match(badSince.stderr, /--since must be an ISO 8601 date/);
    const unknown = await runImporter([file.path, "--fast"], ES_ENV(dir));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option --fast/);
    const memory = await runImporter([file.path], {
      ...ES_ENV(dir),
      SPOOL: "memory",
    });
    assert.equal(memory.code, 2);
    assert.match(memory.stderr, /unset SPOOL=memory/);
    const noSiem = await runImporter([file.path], { DATA_DIR: `${dir}/data` });
    assert.equal(noSiem.code, 2);
    assert.match(noSiem.stderr, /no SIEM configured/);
  });
});

Deno.test("import-audit-db --dry-run counts per table and destination, and what Datadog's 18 h would age out", async () => {
  await withDir(async (dir) => {
    const file = new AuditDbFile(`${dir}/audit.db`);
    const now = Date.now();
    fillMixed(file, 30, now - 48 * 3_600_000, 1000); // 10 of each, 2 days old
    file.decision({
      decision_id: "fresh",
      correlation_id: "c",
      session_id: null,
      timestamp: pythonTimestamp(now - 3_600_000),
      decision_type: "egress",
      decision: "deny",
      reason: "r",
      context: null,
      tool_name: null,
      actor: "a",
    });
    file.toolCall({
      call_id: "bad",
      correlation_id: "c",
      session_id: null,
      timestamp: pythonTimestamp(now - 3_600_000),
      tool_name: "t",
      method: "m",
      parameters: "{oops",
      result: null,
      error: null,
      duration_ms: null,
      container_id: null,
    });
    file.close();
    const env = {
      DATA_DIR: `${dir}/data`,
      SIEM_ELASTICSEARCH_URL: "http://127.0.0.1:9",
      SIEM_DATADOG_URL: "http://127.0.0.1:9",
    };
    const result = await runImporter([file.path, "--dry-run"], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /audit_events: 10 to import, 0 refused, 0 before --since/,
    );
    assert.match(result.stdout, /tool_calls: 10 to import, 1 refused/);
    assert.match(result.stdout, /security_decisions: 11 to import/);
    assert.match(
      result.stdout,
      /destination elasticsearch: 31 events, no age limit/,
    );
    assert.match(
      result.stdout,
      /destination datadog: 31 events, 30 older than 1075 min would be dead-lettered/,
    );
    const since = await runImporter(
      [
        file.path,
        "--dry-run",
        "--since",
        new Date(now - 24 * 3_600_000).toISOString(),
      ],
      env,
    );
    assert.match(
      since.stdout,
      /audit_events: 0 to import, 0 refused, 10 before --since/,
    );
    assert.match(since.stdout, /destination datadog: 1 events, 0 older/);
    // A dry run writes nothing, not even the spool's file.
    await assert.rejects(Deno.stat(`${dir}/data/spool.sqlite`));
  });
});

Deno.test("import-audit-db delivers every row to the SIEM, exits 4 naming refused rows, and a rerun sends nothing again", async () => {
  await using es = startFakeElasticsearch();
  await withDir(async (dir) => {
    const file = new AuditDbFile(`${dir}/audit.db`);
    fillMixed(file, 3000, Date.now() - 3_600_000);
    file.event({
      event_id: "bad-status",
      correlation_id: "c",
      session_id: null,
      timestamp: pythonTimestamp(Date.now() - 60_000),
      event_type: "request",
      actor: "a",
      tool_name: null,
      action: "x",
      metadata: null,
      duration_ms: null,
      status: "",
      error_message: null,
    });
    file.close();
    const first = await runImporter([file.path], ES_ENV(dir, es.url));
    assert.equal(first.code, 4, first.stderr);
    assert.match(
      first.stderr,
      /refused audit_events row "bad-status" \(timestamp "[^"]+"\): status must not be empty/,
    );
    assert.match(
      first.stdout,
      /imported 3000 event\(s\) .* \(audit_events 1000, tool_calls 1000, security_decisions 1000\); 1 refused/,
    );
    assert.equal(es.documents.length, 3000);
    const second = await runImporter([file.path], ES_ENV(dir, es.url));
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /imported 0 event\(s\)/);
    assert.equal(es.requests.length > 0, true);
    assert.equal(es.documents.length, 3000);
  });
});

Deno.test("import-audit-db --restart forgets the checkpoint and imports everything again", async () => {
  await withDir(async (dir) => {
    const file = new AuditDbFile(`${dir}/audit.db`);
    fillMixed(file, 30, Date.now() - 3_600_000);
    file.close();
    const env = ES_ENV(dir);
    assert.match(
      (await runImporter([file.path, "--store-only"], env)).stdout,
      /imported 30 event/,
    );
    assert.match(
      (await runImporter([file.path, "--store-only"], env)).stdout,
      /imported 0 event/,
    );
    const again = await runImporter(
      [file.path, "--store-only", "--restart"],
      env,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /imported 30 event/);
  });
});
