import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import { startFakeSplunk } from "../../fakes/fake_splunk.ts";
import { postNdjson, startServerProcess } from "./subprocess_server.ts";

const TOKEN = "server-doctor-token-0123456789";

Deno.test("deno task start prints the doctor's diagnosis when a destination fails its first delivery", async () => {
  await using hec = startFakeSplunk({ token: "the-real-hec-token" });
  const dataDir = await Deno.makeTempDir();
  try {
    const server = await startServerProcess({
      INGEST_TOKENS: TOKEN,
      DATA_DIR: dataDir,
      SIEM_DESTINATIONS: JSON.stringify([{
        platform: "splunk",
        endpoint: hec.url,
        token: "a-wrong-hec-token",
        flushIntervalMs: 100,
      }]),
    });
    assert.equal(await postNdjson(server.url, TOKEN, realisticEvents(1)), 202);
    // Waits for the server's own output, not for a fixed time.
    const deadline = Date.now() + 20_000;
    while (
      !server.lines.some((l) => l.includes("FAIL authentication")) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const output = server.lines.join("\n");
    assert.match(
      output,
      /doctor: splunk failed a delivery; what the doctor finds:\nsplunk \(splunk, http:\/\/127\.0\.0\.1:\d+\)\n {2}ok {3}connection/,
    );
    assert.match(
      output,
      /FAIL authentication {2}HEC does not know this token \(HTTP 403, "Invalid token", code 4\)/,
    );
    assert.equal(output.includes("a-wrong-hec-token"), false);
    assert.equal(await server.stop("SIGTERM"), 0);
    assert.equal(
      server.lines.filter((l) => l.includes("failed a delivery")).length,
      1,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
