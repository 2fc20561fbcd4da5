// deno-lint-ignore-file no-console
// Runs the bundled ingest Worker in workerd through Miniflare, posts the
// events of a file to it, waits until its flush is done, and prints the
// answers as JSON. Usage:
//   node run_worker.mjs <tools dir> <worker.js> <bindings.json> <events.ndjson> <token>
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [tools, script, bindingsFile, eventsFile, token] = process.argv.slice(2);
const require = createRequire(`${tools}/`);
const { Miniflare } = await import(
  pathToFileURL(require.resolve("miniflare")).href
);
const mf = new Miniflare({
  modules: true,
  script: readFileSync(script, "utf8"),
  // The newest date this workerd build supports is 2026-05-03.
  compatibilityDate: "2026-04-01",
  bindings: JSON.parse(readFileSync(bindingsFile, "utf8")),
});
const results = {};
try {
  const lines = readFileSync(eventsFile, "utf8").trim().split("\n");
  const auth = { Authorization: `Bearer ${token}` };
  const posted = [];
  for (let i = 0; i < lines.length; i += 100) {
    const response = await mf.dispatchFetch("http://localhost/events", {
      method: "POST",
      headers: { ...auth, "Content-Type": "application/x-ndjson" },
      body: lines.slice(i, i + 100).join("\n"),
    });
    posted.push({ status: response.status, body: await response.json() });
  }
  results.posted = posted;
  const wrong = await mf.dispatchFetch("http://localhost/events", {
    method: "POST",
    headers: { Authorization: "Bearer wrong-token-0123456789abc" },
    body: lines[0],
  });
  results.wrongToken = { status: wrong.status, body: await wrong.json() };
  // The flushes run in waitUntil; poll the stats until nothing is buffered.
  const deadline = Date.now() + 20_000;
  let stats;
  do {
    const response = await mf.dispatchFetch("http://localhost/stats", {
      headers: auth,
    });
    stats = await response.json();
    if (stats.buffered === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  } while (Date.now() < deadline);
  results.stats = stats;
  const health = await mf.dispatchFetch("http://localhost/health");
  results.health = { status: health.status, body: await health.json() };
  results.userAgent = await (await mf.dispatchFetch("http://localhost/nope"))
    .json();
} finally {
  await mf.dispose();
}
console.log(JSON.stringify(results));
