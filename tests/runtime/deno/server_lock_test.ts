/**
 * The Deno entries (`deno task start`, `deno task dead-letters`) run with
 * their own frozen lock file, `src/runtime/deno/server.lock`, so that a cold
 * start downloads only what the server imports (hono and zod), not the test
 * and benchmark dependencies of `deno.lock`. `deno task bench:cold-start`
 * measures it; these tests keep the lock honest.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../../", import.meta.url);
const SERVER_LOCK = new URL("src/runtime/deno/server.lock", ROOT);
const ENTRIES = [
  "src/runtime/deno/main.ts",
  "src/runtime/deno/dead_letters.ts",
  "src/runtime/deno/setup_index.ts",
  "src/runtime/deno/doctor.ts",
  "src/runtime/deno/audit_db/main.ts",
];

interface LockFile {
  specifiers: Record<string, string>;
  npm: Record<string, { integrity: string; dependencies?: string[] }>;
}

async function readLock(url: URL): Promise<LockFile> {
  return JSON.parse(await Deno.readTextFile(url)) as LockFile;
}

Deno.test("server.lock holds only the server's packages, as deno.lock pins them", async () => {
  const server = await readLock(SERVER_LOCK);
  const full = await readLock(new URL("deno.lock", ROOT));
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ) as { imports: Record<string, string> };
  assert.deepEqual(
    Object.keys(server.specifiers).sort(),
    Object.values(config.imports).filter((s) => s.startsWith("npm:")).sort(),
  );
  for (const [name, entry] of Object.entries(server.npm)) {
    assert.deepEqual(entry, full.npm[name], `${name} differs from deno.lock`);
  }
});

Deno.test("the Deno entries resolve with server.lock frozen (nothing else to download)", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "cache",
      "--quiet",
      `--lock=${SERVER_LOCK.pathname}`,
      "--frozen",
      "--unstable-kv",
      ...ENTRIES.map((entry) => new URL(entry, ROOT).pathname),
    ],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(
    output.code,
    0,
    `deno cache failed: ${new TextDecoder().decode(output.stderr)}`,
  );
});
