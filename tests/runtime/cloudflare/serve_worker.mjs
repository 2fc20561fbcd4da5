// deno-lint-ignore-file no-console
// Serves a bundled Worker in workerd through Miniflare on 127.0.0.1, with
// the options of a JSON file (bindings, queue producers and consumers), and
// prints "READY <url>" once it listens. It stops when its stdin closes.
// Usage:
//   node serve_worker.mjs <tools dir> <worker.js> <options.json>
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [tools, script, optionsFile] = process.argv.slice(2);
const require = createRequire(`${tools}/`);
const { Miniflare } = await import(
  pathToFileURL(require.resolve("miniflare")).href
);
const mf = new Miniflare({
  modules: true,
  script: readFileSync(script, "utf8"),
  // The newest date this workerd build supports is 2026-05-03.
  compatibilityDate: "2026-04-01",
  host: "127.0.0.1",
  port: 0,
  ...JSON.parse(readFileSync(optionsFile, "utf8")),
});
const url = await mf.ready;
console.log(`READY ${url.href}`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await mf.dispose();
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
