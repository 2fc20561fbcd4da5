// deno-lint-ignore-file no-console
/**
 * `deno task bench:cold-start`: what a new user's first `deno task start`
 * costs. Each round starts the task with an empty `DENO_DIR`, waits until
 * `/health` answers, and reports the time and the size of the npm cache it
 * filled (an upper bound of what was downloaded: the tarballs are smaller
 * than their unpacked files). Needs the npm registry.
 *
 * ```sh
 * deno task bench:cold-start [--rounds 3]
 * ```
 *
 * @module
 */

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

interface Round {
  healthMs: number;
  cacheBytes: number;
  packages: string[];
}

async function directorySize(path: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(path)) {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory) total += await directorySize(child);
    else if (entry.isFile) total += (await Deno.lstat(child)).size;
  }
  return total;
}

async function packagesIn(denoDir: string): Promise<string[]> {
  const names: string[] = [];
  const registry = `${denoDir}/npm/registry.npmjs.org`;
  try {
    for await (const entry of Deno.readDir(registry)) {
      if (!entry.name.startsWith("@")) {
        names.push(entry.name);
        continue;
      }
      for await (const scoped of Deno.readDir(`${registry}/${entry.name}`)) {
        names.push(`${entry.name}/${scoped.name}`);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

async function round(): Promise<Round> {
  const denoDir = await Deno.makeTempDir({ prefix: "cold-start-deno-dir-" });
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "start"],
    cwd: ROOT,
    env: {
      DENO_DIR: denoDir,
      PORT: "0",
      NO_COLOR: "1",
      INGEST_TOKENS: "cold-start-token-0123456789",
    },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    let url: string | undefined;
    while (!url) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the server exited before listening: ${text}`);
      text += value;
      url = /listening on (http:\/\/\S+)/.exec(text)?.[1];
    }
    const drain = (async () => {
      while (!(await reader.read()).done);
    })();
    let healthMs: number | undefined;
    while (healthMs === undefined) {
      const response = await fetch(`${url}/health`).catch(() => undefined);
      if (response?.ok) healthMs = performance.now() - started;
      await response?.body?.cancel();
      if (healthMs === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    child.kill("SIGTERM");
    await child.status;
    await drain;
    return {
      healthMs,
      cacheBytes: await directorySize(`${denoDir}/npm`),
      packages: await packagesIn(denoDir),
    };
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await Deno.remove(denoDir, { recursive: true });
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--rounds");
  const rounds = at === -1 ? 3 : Number(Deno.args[at + 1]);
  const loadBefore = Deno.loadavg().join(" ");
  const results: Round[] = [];
  for (let i = 0; i < rounds; i++) {
    const result = await round();
    results.push(result);
    console.log(
      `round ${i + 1}: /health after ${
        result.healthMs.toFixed(0)
      } ms, npm cache ${(result.cacheBytes / 1e6).toFixed(1)} MB (${
        result.packages.join(", ")
      })`,
    );
  }
  const times = results.map((r) => r.healthMs);
  const sizes = results.map((r) => r.cacheBytes / 1e6);
  console.log(
    `cold deno task start: /health in ${Math.min(...times).toFixed(0)}-${
      Math.max(...times).toFixed(0)
    } ms, npm cache ${Math.min(...sizes).toFixed(1)}-${
      Math.max(...sizes).toFixed(1)
    } MB over ${rounds} round(s)`,
  );
  console.log(
    `load average before: ${loadBefore}; after: ${
      (Deno.loadavg().join(" ")).trim()
    }`,
  );
}
