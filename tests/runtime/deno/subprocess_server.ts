/**
 * Runs `deno task start`'s entry as a subprocess and waits for its banner:
 * for the tests that kill, restart and pair servers.
 *
 * @module
 */
import type { DeliveryStats } from "../../../src/delivery/stats.ts";

const MAIN = new URL("../../../src/runtime/deno/main.ts", import.meta.url);
const CONFIG = new URL("../../../deno.json", import.meta.url);

/** A server subprocess. */
export interface ServerProcess {
  /** Its base URL. */
  url: string;
  /** Its banner and later output lines. */
  lines: string[];
  /** Sends a signal and waits for the exit code. */
  stop(signal: Deno.Signal): Promise<number>;
  /** Sends a signal that does not stop it (SIGHUP). */
  signal(signal: Deno.Signal): void;
}

/** The command that runs the server with the given environment (PORT 0 unless set). */
export function serverCommand(env: Record<string, string>): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-kv",
      "--config",
      CONFIG.pathname,
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      MAIN.pathname,
    ],
    env: { PORT: "0", NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * Starts the server with the given environment (PORT 0 unless set), or runs
 * `command` instead when a test needs another command line.
 */
export async function startServerProcess(
  env: Record<string, string>,
  command: Deno.Command = serverCommand(env),
): Promise<ServerProcess> {
  const child = command.spawn();
  const lines: string[] = [];
  let url: string | undefined;
  let ready = false;
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const pump = (async () => {
    let rest = "";
    while (true) {
      const { done, value } = await reader.read();
      if (done) return;
      rest += value;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        url ??= /listening on (http:\/\/\S+)/.exec(line)?.[1];
        if (/ingest token/.test(line)) ready = true;
      }
    }
  })();
  const errors = new Response(child.stderr).text();
  let exited: Deno.CommandStatus | undefined;
  void child.status.then((status) => exited = status);
  const deadline = Date.now() + 30_000;
  while (!(url && ready) && !exited && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!url || !ready) {
    if (!exited) child.kill("SIGKILL");
    const status = await child.status;
    await pump;
    throw new Error(
      `server did not start (exit code ${status.code}): ${await errors}`,
    );
  }
  return {
    url,
    lines,
    signal(signal: Deno.Signal): void {
      child.kill(signal);
    },
    async stop(signal: Deno.Signal): Promise<number> {
      child.kill(signal);
      const status = await child.status;
      await pump;
      await errors;
      return status.code ?? -1;
    },
  };
}

/** Posts events as NDJSON; returns the HTTP status. */
export async function postNdjson(
  url: string,
  token: string,
  events: unknown[],
): Promise<number> {
  const response = await fetch(`${url}/events`, {
    method: "POST",
    body: events.map((event) => JSON.stringify(event)).join("\n"),
    headers: {
      "Content-Type": "application/x-ndjson",
      Authorization: `Bearer ${token}`,
    },
  });
  await response.body?.cancel();
  return response.status;
}

/** Reads `/stats` until `check` holds (the server's own view, not a delay), or fails after `timeoutMs`. */
export async function waitForStats(
  url: string,
  token: string,
  check: (stats: DeliveryStats) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<DeliveryStats> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const response = await fetch(`${url}/stats`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const stats = await response.json() as DeliveryStats;
    if (check(stats)) return stats;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify(stats)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
