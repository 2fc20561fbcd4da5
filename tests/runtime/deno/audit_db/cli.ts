/**
 * Runs `deno task import-audit-db` as a subprocess, for the CLI, follow and
 * kill tests.
 *
 * @module
 */

const MAIN = new URL(
  "../../../../src/runtime/deno/audit_db/main.ts",
  import.meta.url,
);
const CONFIG = new URL("../../../../deno.json", import.meta.url);

/** The importer's command with the given arguments and environment. */
export function importerCommand(
  args: string[],
  env: Record<string, string>,
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--unstable-kv",
      "--config",
      CONFIG.pathname,
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      MAIN.pathname,
      ...args,
    ],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs the importer to its end. */
export async function runImporter(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await importerCommand(args, env).output();
  const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}
