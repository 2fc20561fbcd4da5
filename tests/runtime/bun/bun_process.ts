/**
 * The Bun entry (src/runtime/bun/server.ts), bundled and run under the Bun
 * of .tools/ as a subprocess, with its output read line by line.
 *
 * @module
 */
import { bundle, TOOLS } from "../runtime_tools.ts";

/** A running Bun server. */
export interface BunProcess {
  url: string;
  /** Every line it wrote to stdout so far. */
  lines: string[];
  /** Sends a signal (SIGHUP: reload). */
  signal(signal: Deno.Signal): void;
  /**
   * Waits for a line matching `pattern` among those written after the
   * first `after` lines: what the server did, not a delay.
   */
  waitForLine(pattern: RegExp, after: number): Promise<string>;
  /** Sends a signal; resolves with the exit code and what went to stdout after the banner. */
  stop(signal: Deno.Signal): Promise<{ code: number; output: string }>;
}

// Bun starts in well under a second; the margin is for a loaded machine.
const LINE_DEADLINE_MS = 20_000;

/**
 * Bundles the Bun entry into `dir` and runs it with `env` only (plus
 * `PORT=0`), after the banner line.
 */
export async function startBun(
  dir: string,
  env: Record<string, string>,
): Promise<BunProcess> {
  await bundle("src/runtime/bun/server.ts", "deno", `${dir}/server.js`);
  const bun = new Deno.Command(`${TOOLS}/node_modules/.bin/bun`, {
    args: ["run", `${dir}/server.js`],
    env: { PORT: "0", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors = new Response(bun.stderr).text();
  const lines: string[] = [];
  let text = "";
  let wake = (): void => {};
  // Reads stdout until Bun exits; each new chunk wakes the waiters.
  const pump = (async () => {
    for await (
      const chunk of bun.stdout.pipeThrough(new TextDecoderStream())
    ) {
      text += chunk;
      const parts = text.split("\n");
      text = parts.pop()!;
      lines.push(...parts);
      wake();
    }
    if (text) lines.push(text);
    wake();
  })();
  let exited = false;
  void pump.finally(() => exited = true);

  const waitForLine = async (
    pattern: RegExp,
    after: number,
  ): Promise<string> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, LINE_DEADLINE_MS);
    });
    let timedOut = false;
    void late.then(() => timedOut = true);
    try {
      while (true) {
        const line = lines.slice(after).find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (exited || timedOut) {
          throw new Error(
            `no line ${pattern} from Bun (${
              exited ? "exited" : "timed out"
            }): ${lines.join("\n")}`,
          );
        }
        await Promise.race([
          new Promise<void>((resolve) => wake = resolve),
          late,
        ]);
      }
    } finally {
      clearTimeout(timer);
    }
  };

  let banner: string;
  try {
    banner = await waitForLine(/listening on (\S+)/, 0);
  } catch (error) {
    if (!exited) bun.kill("SIGKILL");
    await bun.status;
    await pump;
    throw new Error(`${(error as Error).message} ${await errors}`);
  }
  const url = /listening on (\S+)/.exec(banner)![1]!;
  const afterBanner = lines.indexOf(banner) + 1;
  return {
    url,
    lines,
    signal: (signal): void => bun.kill(signal),
    waitForLine,
    async stop(signal): Promise<{ code: number; output: string }> {
      // Already gone (it crashed): the exit code says so.
      if (!exited) bun.kill(signal);
      await pump;
      const status = await bun.status;
      await errors;
      return { code: status.code, output: lines.slice(afterBanner).join("\n") };
    },
  };
}

/** Posts events with a bearer token; resolves with the status. */
export async function postEvents(
  url: string,
  token: string,
  events: unknown[],
): Promise<number> {
  const response = await fetch(`${url}/events`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify(events),
  });
  await response.body?.cancel();
  return response.status;
}
