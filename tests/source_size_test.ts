import assert from "node:assert/strict";

// The house style: one concept per file; a file in src/ past this many
// lines answers several questions and is split (issue 17).
const MAX_LINES = 450;

async function* sources(dir: URL, prefix = ""): AsyncGenerator<[string, URL]> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) {
      yield* sources(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`);
    } else if (entry.name.endsWith(".ts")) {
      yield [`${prefix}${entry.name}`, new URL(entry.name, dir)];
    }
  }
}

Deno.test(`no file in src/ is over ${MAX_LINES} lines`, async () => {
  const over: string[] = [];
  for await (
    const [path, url] of sources(new URL("../src/", import.meta.url))
  ) {
    const lines = (await Deno.readTextFile(url)).split("\n").length - 1;
    if (lines > MAX_LINES) over.push(`src/${path}: ${lines} lines`);
  }
  assert.deepEqual(over, []);
});
