import assert from "node:assert/strict";
import {
  DataDirError,
  directRunCommand,
  ensureWritableDir,
} from "../../../src/runtime/deno/data_dir.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const MAIN = "src/runtime/deno/main.ts";

Deno.test("ensureWritableDir creates the directory and leaves no probe behind", async () => {
  const base = await Deno.makeTempDir();
  try {
    const dir = `${base}/nested/data`;
    await ensureWritableDir(dir, "DATA_DIR");
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("ensureWritableDir names the setting when the path is a file", async () => {
  const base = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${base}/file`, "");
    await assert.rejects(
      ensureWritableDir(`${base}/file`, "DATA_DIR"),
      (error: unknown) =>
        error instanceof DataDirError &&
        error.message.startsWith(`DATA_DIR=${base}/file cannot be used`),
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

async function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { PORT: "0", NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A server that starts is stopped as soon as its banner is complete.
  const decoder = new TextDecoder();
  let stdout = "";
  const reader = child.stdout.getReader();
  const stderr = new Response(child.stderr).text();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    stdout += decoder.decode(value);
    if (/ingest token/.test(stdout)) child.kill("SIGTERM");
  }
  const status = await child.status;
  return { code: status.code, stdout, stderr: await stderr };
}

Deno.test("a DATA_DIR the task may not write stops the start with the command to run instead", async () => {
  const allowed = await Deno.makeTempDir();
  const wanted = await Deno.makeTempDir();
  try {
    const env = {
      DATA_DIR: wanted,
      INGEST_TOKENS: "data-dir-test-token-0123456789",
    };
    // As `deno task start` runs it: write access to one directory only.
    const refused = await run([
      "run",
      "--lock=src/runtime/deno/server.lock",
      "--frozen",
      "--unstable-kv",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      `--allow-write=${allowed}`,
      MAIN,
    ], env);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, "");
    assert.match(refused.stderr, /DATA_DIR=.* is not writable by this process/);
    const suggested = directRunCommand([wanted]);
    assert.ok(
      refused.stderr.includes(suggested),
      `the message should give the command: ${refused.stderr}`,
    );

    // The suggested command starts the server on that directory.
    const [deno, ...args] = suggested.split(" ");
    assert.equal(deno, "deno");
    const started = await run(args, env);
    assert.match(started.stdout, /no SIEM configured: events go to /);
    assert.ok(started.stdout.includes(wanted), started.stdout);
  } finally {
    await Deno.remove(allowed, { recursive: true });
    await Deno.remove(wanted, { recursive: true });
  }
});
