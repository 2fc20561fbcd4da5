/**
 * The audit database importer (`deno task import-audit-db`): a generated
 * database of 1,000,000 rows in the Python logger's schema (a third in each
 * table, interleaved in time, WAL mode, the logger's timestamp indexes)
 * imported into the durable KV spool on a local file, as `--store-only`
 * does: read, merged, mapped, validated, stored with the checkpoint. Rows
 * per second = rows / import time (generation not counted). Target: 20,000
 * rows/s with one destination. The process's CPU time is reported too:
 * on a shared machine, rows per CPU second says more than the wall clock.
 *
 * Run: `deno task bench:import`; `--short` (100,000 rows) for a quick
 * check; `--rows=N`, `--destinations=1|2|3`.
 *
 * @module
 */
import process from "node:process";
import { KvSpool } from "../../src/spool/kv_spool.ts";
import { importAuditRows } from "../../src/runtime/deno/audit_db/importer.ts";
import { openAuditDatabase } from "../../src/runtime/deno/audit_db/tables.ts";
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import {
  AuditDbFile,
  fillMixed,
} from "../../tests/runtime/deno/audit_db/audit_db_fixture.ts";
import {
  hasFlag,
  machineLine,
  numberOption,
  report,
  SHORT_NOTE,
  thousands,
} from "../support.ts";

const short = hasFlag("--short");
const rows = numberOption("--rows", short ? 100_000 : 1_000_000);
const destinationCount = numberOption("--destinations", 1);
// Never contacted: the spool is not started, as with --store-only.
const destinations: SIEMConfigInput[] = (
  ["elasticsearch", "splunk", "datadog"] as const
).slice(0, destinationCount).map((platform) => ({
  platform,
  endpoint: "http://127.0.0.1:9",
}));

function load(): string {
  return Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
}

report(`# audit database import${short ? SHORT_NOTE : ""}`);
report(machineLine());
report(`load average before: ${load()}`);
const dir = await Deno.makeTempDir({ prefix: "import-bench-" });
try {
  const generating = performance.now();
  const file = new AuditDbFile(`${dir}/audit.db`);
  fillMixed(file, rows, Date.now() - 86_400_000, 1);
  file.close();
  report(
    `generated ${thousands(rows)} rows in ${
      ((performance.now() - generating) / 1000).toFixed(1)
    } s (${
      (Deno.statSync(`${dir}/audit.db`).size / 1e6).toFixed(0)
    } MB); importing for ${destinationCount} destination(s)`,
  );
  const kv = await Deno.openKv(`${dir}/spool.sqlite`);
  const spool = new KvSpool(kv, destinations, {
    maxSpooledEvents: rows * 2,
  });
  const db = openAuditDatabase(`${dir}/audit.db`);
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = await importAuditRows({
      db,
      kv,
      sink: spool,
      path: `${dir}/audit.db`,
      destinations: destinations.length,
    });
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuSeconds = (used.user + used.system) / 1e6;
    const imported = Object.values(result.imported).reduce((a, b) => a + b, 0);
    if (imported !== rows) {
      throw new Error(`imported ${imported} of ${rows} rows`);
    }
    report(
      `imported ${thousands(imported)} rows in ${seconds.toFixed(1)} s: ${
        thousands(Math.round(imported / seconds))
      } rows/s (target 20,000) | CPU ${cpuSeconds.toFixed(1)} s: ${
        thousands(Math.round(imported / cpuSeconds))
      } rows per CPU second | spool file ${
        (Deno.statSync(`${dir}/spool.sqlite`).size / 1e6).toFixed(0)
      } MB`,
    );
  } finally {
    db.close();
    await spool.stop({ timeoutMs: 0 });
    kv.close();
  }
  report(`load average after: ${load()}`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
