/**
 * Helpers of the runtime smoke tests: the Bun and Miniflare installed from
 * npm into .tools/, and bundles of the entry points.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** Where Bun and Miniflare are installed. */
export const TOOLS = `${ROOT}.tools`;

/** Installs Bun and Miniflare from npm unless they are there. */
export async function ensureRuntimeTools(): Promise<void> {
  const { code, stderr } = await new Deno.Command("bash", {
    args: [`${ROOT}.ci/install-runtime-tools`],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `cannot install Bun and Miniflare: ${new TextDecoder().decode(stderr)}`,
    );
  }
}

/** Bundles an entry point with `deno bundle` into one JavaScript file. */
export async function bundle(
  entry: string,
  platform: "browser" | "deno",
  output: string,
): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--config",
      `${ROOT}deno.json`,
      `--platform=${platform}`,
      "-o",
      output,
      `${ROOT}${entry}`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`deno bundle failed: ${new TextDecoder().decode(stderr)}`);
  }
}
