/**
 * Helpers of the runtime smoke tests: the Bun and Miniflare installed from
 * npm into .tools/ (with playwright-core and Debian's chromium for the
 * status page's browser test), and bundles of the entry points.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** Where Bun, Miniflare and playwright-core are installed. */
export const TOOLS = `${ROOT}.tools`;

/** Installs Bun, Miniflare and playwright-core from npm, and chromium, unless they are there. */
export async function ensureRuntimeTools(): Promise<void> {
  const { code, stderr } = await new Deno.Command("bash", {
    args: [`${ROOT}.ci/install-runtime-tools`],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `cannot install the runtime tools (Bun, Miniflare, playwright-core, chromium): ${
        new TextDecoder().decode(stderr)
      }`,
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
