// deno-lint-ignore-file no-console
/**
 * `deno task import-audit-db PATH`: forwards the Python audit logger's
 * SQLite database (tables audit_events, tool_calls, security_decisions) to
 * the SIEMs configured as for `deno task start`, through the durable KV
 * spool, with a checkpoint stored in the same transactions as the events.
 *
 * ```sh
 * deno task import-audit-db PATH [--since ISO] [--dry-run] [--follow]
 *   [--poll-ms N] [--settle-ms N] [--store-only] [--restart]
 * ```
 *
 * Exit codes: 0 done (or `--follow` stopped by SIGINT/SIGTERM); 1 failed
 * (spool, store or destination config); 2 usage or configuration error;
 * 3 not an audit database (missing file, not SQLite, missing table or
 * column); 4 done, but rows were refused (each named on stderr); 130/143 a
 * one-shot import stopped by SIGINT/SIGTERM (run again to resume).
 *
 * Deno only: it reads SQLite with the runtime's built-in `node:sqlite`.
 *
 * @module
 */
import { ServerConfigError } from "../../../ingest/server_config.ts";
import {
  parseSIEMConfig,
  type SIEMConfig,
} from "../../../platforms/siem_config.ts";
import { KvSpool } from "../../../spool/kv_spool.ts";
import { configFromDenoEnv } from "../server.ts";
import {
  type Checkpoint,
  checkpointKey,
  loadCheckpoint,
} from "./checkpoint.ts";
import { dryRun } from "./dry_run.ts";
import { importAuditRows } from "./importer.ts";
import { progressLine } from "./progress.ts";
import { NotAnAuditDatabaseError, openAuditDatabase } from "./tables.ts";
import { readStoredTimestamp } from "./timestamp.ts";

const USAGE = `usage: deno task import-audit-db PATH [options]
  --since ISO       skip rows older than this instant (kept in the checkpoint)
  --dry-run         count per table and destination, write nothing
  --follow          keep importing new rows until SIGINT/SIGTERM
  --poll-ms N       --follow: pause between looks for new rows (default 1000)
  --settle-ms N     --follow: leave rows younger than this for later (default 5000)
  --store-only      store in the spool and exit; deno task start delivers
  --restart         forget this file's checkpoint: import everything again`;

interface Flags {
  path: string;
  sinceMicros?: number | undefined;
  dryRun: boolean;
  follow: boolean;
  storeOnly: boolean;
  restart: boolean;
  pollMs: number;
  settleMs: number;
}

class UsageError extends Error {}

function parseFlags(args: readonly string[]): Flags {
  const flags: Partial<Flags> & { positional: string[] } = {
    positional: [],
    dryRun: false,
    follow: false,
    storeOnly: false,
    restart: false,
    pollMs: 1000,
    settleMs: 5000,
  };
  const value = (i: number, name: string): string => {
    const next = args[i + 1];
    if (next === undefined) throw new UsageError(`${name} needs a value`);
    return next;
  };
  const ms = (text: string, name: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new UsageError(`${name} must be a whole number of ms`);
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    switch (arg) {
      case "--dry-run":
        flags.dryRun = true;
        break;
      case "--follow":
        flags.follow = true;
        break;
      case "--store-only":
        flags.storeOnly = true;
        break;
      case "--restart":
        flags.restart = true;
        break;
      case "--since": {
        const text = value(i++, arg);
        const instant = readStoredTimestamp(
          /^\d{4}-\d\d-\d\d$/.test(text) ? `${text}T00:00:00` : text,
        );
        if (!instant) {
          throw new UsageError(
            `--since must be an ISO 8601 date or date-time, such as 2026-11-30T12:00:00Z: current value is ${text}`,
          );
        }
        flags.sinceMicros = instant.micros;
        break;
      }
      case "--poll-ms":
        flags.pollMs = ms(value(i++, arg), arg);
        break;
      case "--settle-ms":
        flags.settleMs = ms(value(i++, arg), arg);
        break;
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        flags.positional.push(arg);
    }
  }
  if (flags.positional.length !== 1) {
    throw new UsageError("give exactly one database PATH");
  }
  return { ...flags, path: flags.positional[0]! } as Flags;
}

/**
 * Runs the command.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await importAuditDbCommand(["./audit.db", "--dry-run"]));
 * ```
 *
 * @param args The command-line arguments.
 * @returns The exit code (see the module's doc).
 */
export async function importAuditDbCommand(
  args: readonly string[],
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let flags: Flags;
  let destinations: SIEMConfig[];
  let config;
  try {
    flags = parseFlags(args);
    config = await configFromDenoEnv([]);
    destinations = config.destinations.map((d) => parseSIEMConfig(d));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    console.error(
      `configuration error: ${error instanceof Error ? error.message : error}`,
    );
    return error instanceof ServerConfigError ||
        (error instanceof Error && error.name === "SIEMConfigError")
      ? 2
      : 1;
  }
  if (config.spool === "memory") {
    console.error(
      "the importer stores through the durable spool: unset SPOOL=memory",
    );
    return 2;
  }
  if (destinations.length === 0 && !flags.dryRun) {
    console.error(
      "no SIEM configured: set the same variables as for deno task start (SIEM_SPLUNK_URL, SIEM_DESTINATIONS, ...)",
    );
    return 2;
  }
  let db;
  try {
    db = openAuditDatabase(flags.path);
  } catch (error) {
    if (error instanceof NotAnAuditDatabaseError) {
      console.error(error.message);
      return 3;
    }
    throw error;
  }
  const path = Deno.realPathSync(flags.path);
  const kvPath = config.spoolPath === "default"
    ? undefined
    : config.spoolPath ?? `${config.dataDir}/spool.sqlite`;
  try {
    if (flags.dryRun) {
      return await dryRunCommand(db, path, kvPath, destinations, flags);
    }
    if (kvPath) {
      const dir = kvPath.slice(0, Math.max(0, kvPath.lastIndexOf("/")));
      if (dir) await Deno.mkdir(dir, { recursive: true });
    }
    const kv = await Deno.openKv(kvPath);
    try {
      return await importCommand(db, kv, path, destinations, config, flags);
    } finally {
      kv.close();
    }
  } catch (error) {
    console.error(
      `import failed: ${error instanceof Error ? error.message : error}`,
    );
    return 1;
  } finally {
    db.close();
  }
}

async function dryRunCommand(
  db: ReturnType<typeof openAuditDatabase>,
  path: string,
  kvPath: string | undefined,
  destinations: SIEMConfig[],
  flags: Flags,
): Promise<number> {
  let checkpoint = (await loadCheckpointIfAny(kvPath, path)) ??
    { path, cursors: {}, imported: {}, refused: 0, updatedAt: "" };
  if (flags.restart) {
    checkpoint = { path, cursors: {}, imported: {}, refused: 0, updatedAt: "" };
  }
  const since = Math.max(
    checkpoint.sinceMicros ?? -Infinity,
    flags.sinceMicros ?? -Infinity,
  );
  const report = dryRun(
    db,
    checkpoint,
    destinations,
    Number.isFinite(since) ? since : undefined,
    Date.now(),
  );
  console.log(`dry run of ${path} (nothing written)`);
  for (const [table, counts] of Object.entries(report.tables)) {
    console.log(
      `  ${table}: ${counts.events} to import, ${counts.refused} refused, ${counts.skipped} before --since`,
    );
  }
  if (report.destinations.length === 0) {
    console.log("  no SIEM configured");
  }
  for (const d of report.destinations) {
    const aged = d.maxEventAgeMs === undefined
      ? "no age limit"
      : `${d.aged} older than ${
        Math.round(d.maxEventAgeMs / 60_000)
      } min would be ${
        d.agedEvents === "send_as_now"
          ? "sent with the current time"
          : "dead-lettered"
      }`;
    console.log(`  destination ${d.name}: ${d.events} events, ${aged}`);
  }
  return 0;
}

async function loadCheckpointIfAny(
  kvPath: string | undefined,
  path: string,
): Promise<Checkpoint | undefined> {
  if (kvPath) {
    try {
      await Deno.stat(kvPath);
    } catch {
      return undefined;
    }
  }
  const kv = await Deno.openKv(kvPath);
  try {
    return (await loadCheckpoint(kv, path)).value;
  } finally {
    kv.close();
  }
}

async function importCommand(
  db: ReturnType<typeof openAuditDatabase>,
  kv: Deno.Kv,
  path: string,
  destinations: SIEMConfig[],
  config: Awaited<ReturnType<typeof configFromDenoEnv>>,
  flags: Flags,
): Promise<number> {
  if (flags.restart) await kv.delete(checkpointKey(path));
  const spool = new KvSpool(kv, destinations, {
    stopTimeoutMs: config.stopTimeoutMs,
    maxSpooledEvents: config.maxSpooledEvents,
    leaseMs: config.spoolLeaseMs,
    pollMs: config.spoolLeaseMs === undefined
      ? undefined
      : Math.max(50, Math.floor(config.spoolLeaseMs / 5)),
  });
  if (!flags.storeOnly) spool.start();
  const stop = new AbortController();
  let signalled: Deno.Signal | undefined;
  const listeners = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const listener = (): void => {
      signalled ??= signal;
      stop.abort();
    };
    Deno.addSignalListener(signal, listener);
    return () => Deno.removeSignalListener(signal, listener);
  });
  const status = statusLine();
  const started = Date.now();
  try {
    const report = await importAuditRows({
      db,
      kv,
      sink: spool,
      path,
      destinations: spool.destinations.length,
      sinceMicros: flags.sinceMicros,
      follow: flags.follow,
      pollMs: flags.pollMs,
      settleMs: flags.settleMs,
      signal: stop.signal,
      onProgress: (progress) =>
        status.show(progressLine(progress, Date.now() - started)),
      onRefused: (row) => {
        status.clear();
        console.error(
          `refused ${row.table} row ${
            JSON.stringify(row.cursor.id)
          } (timestamp ${
            JSON.stringify(row.cursor.timestamp)
          }): ${row.refused}`,
        );
      },
      onWaiting: (reason) =>
        status.show(`import: waiting for delivery (${reason})`, true),
    });
    status.clear();
    const imported = Object.values(report.imported).reduce((a, b) => a + b, 0);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `imported ${imported} event(s) from ${path} in ${seconds.toFixed(1)} s (${
        Object.entries(report.imported).map(([t, n]) => `${t} ${n}`).join(", ")
      }); ${report.refused} refused, ${report.skipped} before --since`,
    );
    if (!flags.storeOnly && !stop.signal.aborted) {
      await drain(spool, stop.signal, status);
    }
    // Stopped by a signal: what is stored stays stored, so do not wait
    // long on a SIEM.
    const stopReport = await spool.stop(
      stop.signal.aborted ? { timeoutMs: 1000 } : {},
    );
    const where = config.spoolPath ?? `${config.dataDir}/spool.sqlite`;
    if (flags.storeOnly) {
      console.log(
        `stored in the spool (${where}): deno task start with the same configuration delivers them`,
      );
    } else {
      const left = Math.max(
        spool.getStats().buffered,
        stopReport.undeliveredCount,
      );
      if (left > 0) {
        console.log(
          `${left} event(s) wait in the spool (${where}): the next run or deno task start delivers them`,
        );
      }
    }
    if (report.interrupted && !flags.follow) {
      console.log("stopped: run the same command again to resume");
      return signalled === "SIGTERM" ? 143 : 130;
    }
    return report.refused > 0 ? 4 : 0;
  } finally {
    status.clear();
    for (const remove of listeners) remove();
  }
}

// Waits until every destination's outbox is empty, or a signal.
async function drain(
  spool: KvSpool,
  signal: AbortSignal,
  status: ReturnType<typeof statusLine>,
): Promise<void> {
  // Sends the last partial batches now rather than after flushIntervalMs;
  // not awaited, so that a signal still stops a wait on a slow SIEM.
  spool.flush().catch(() => {});
  while (!signal.aborted) {
    const left = spool.getStats().buffered;
    if (left === 0) break;
    status.show(`delivering: ${left} event(s) left`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  status.clear();
}

// The progress line: rewritten in place on a terminal, else a line every
// 5 s; nothing for imports shorter than a second.
function statusLine(): {
  show(line: string, now?: boolean): void;
  clear(): void;
} {
  const tty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    show(line: string, now = false): void {
      const t = Date.now();
      if (!now && (t - started < 1000 || t - last < (tty ? 250 : 5000))) return;
      last = t;
      shown = true;
      Deno.stderr.writeSync(
        encoder.encode(tty ? `\r\x1b[K${line}` : `${line}\n`),
      );
    },
    clear(): void {
      if (tty && shown) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
      shown = false;
    },
  };
}

if (import.meta.main) Deno.exit(await importAuditDbCommand(Deno.args));
