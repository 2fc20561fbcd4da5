/**
 * Serves a bundled Worker in workerd through Miniflare (run by Node with
 * `serve_worker.mjs`), for the Workers smoke tests that talk to it over
 * HTTP.
 *
 * @module
 */
import { TOOLS } from "../runtime_tools.ts";

/** Miniflare serving a bundled Worker, from Node. */
export async function serveWorker(
  script: string,
  options: Record<string, unknown>,
  dir: string,
): Promise<AsyncDisposable & { url: string; output: () => string }> {
  await Deno.writeTextFile(`${dir}/options.json`, JSON.stringify(options));
  const child = new Deno.Command("node", {
    args: [
      new URL("./serve_worker.mjs", import.meta.url).pathname,
      TOOLS,
      script,
      `${dir}/options.json`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  let ready: (url: string) => void;
  const url = new Promise<string>((resolve) => ready = resolve);
  const read = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      output += text;
      const match = /READY (\S+)/.exec(output);
      if (match) ready(match[1]!.replace(/\/$/, ""));
    }
  };
  const reading = Promise.all([read(child.stdout), read(child.stderr)]);
  const stop = async (): Promise<void> => {
    await child.stdin.close().catch(() => {});
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    try {
      await child.status;
      await reading;
    } finally {
      clearTimeout(timer);
    }
  };
  const exited = child.status.then((status) => {
    throw new Error(`node exited (${status.code}) before READY:\n${output}`);
  });
  exited.catch(() => {}); // only the race below reports it
  try {
    const address = await Promise.race([url, exited]);
    return {
      url: address,
      output: () => output,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
