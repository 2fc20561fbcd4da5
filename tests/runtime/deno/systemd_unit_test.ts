/**
 * The shipped systemd unit's ExecStart line, run as systemd would run it
 * (its WorkingDirectory and Environment), on a temporary data directory:
 * the server must answer, store an event and stop cleanly on SIGTERM.
 */
import assert from "node:assert/strict";
import { postNdjson, startServerProcess } from "./subprocess_server.ts";

const ROOT = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");
const UNIT = new URL(
  "../../../src/runtime/deno/systemd/harombe-siem.service",
  import.meta.url,
);

interface Unit {
  execStart: string[];
  workingDirectory: string;
  environment: Record<string, string>;
}

function parseUnit(text: string): Unit {
  const values = (key: string): string[] =>
    text.split("\n").filter((line) => line.startsWith(`${key}=`)).map((
      line,
    ) => line.slice(key.length + 1));
  const environment: Record<string, string> = {};
  for (const assignment of values("Environment")) {
    const eq = assignment.indexOf("=");
    environment[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return {
    execStart: values("ExecStart")[0]!.split(" "),
    workingDirectory: values("WorkingDirectory")[0]!,
    environment,
  };
}

Deno.test("the systemd unit's ExecStart serves, stores and stops on SIGTERM", async () => {
  const unit = parseUnit(await Deno.readTextFile(UNIT));
  const dataDir = unit.environment.DATA_DIR!;
  const tempDir = await Deno.makeTempDir();
  try {
    const [program, ...args] = unit.execStart.map((part) =>
      part.replaceAll(dataDir, tempDir)
    );
    assert.match(program!, /\/deno$/);
    assert.equal(args[0], "run", "ExecStart runs the server, not deno task");
    const env: Record<string, string> = {
      ...unit.environment,
      DATA_DIR: tempDir,
      HOSTNAME: "127.0.0.1",
      PORT: "0",
      NO_COLOR: "1",
      INGEST_TOKENS: "systemd-test-token-0123456789",
    };
    // The test uses this machine's Deno cache instead of the unit's.
    delete env.DENO_DIR;
    const denoDir = Deno.env.get("DENO_DIR");
    if (denoDir) env.DENO_DIR = denoDir;
    const server = await startServerProcess(
      env,
      new Deno.Command(Deno.execPath(), {
        args,
        cwd: unit.workingDirectory.replace("/opt/harombe-siem", ROOT),
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }),
    );
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    assert.equal(
      await postNdjson(server.url, "systemd-test-token-0123456789", [{
        event_id: "systemd-1",
        correlation_id: "c",
        event_type: "request",
        actor: "a",
        action: "b",
        status: "success",
        timestamp: "2026-11-30T00:00:00.000Z",
      }]),
      202,
    );
    assert.equal(await server.stop("SIGTERM"), 0);
    const files = await Array.fromAsync(Deno.readDir(tempDir));
    const stored = await Promise.all(
      files.filter((f) => f.name.endsWith(".ndjson")).map((f) =>
        Deno.readTextFile(`${tempDir}/${f.name}`)
      ),
    );
    assert.match(stored.join(""), /"event_id":"systemd-1"/);
  } finally {
    await Deno.remove(tempDir, { recursive: true });
  }
});
