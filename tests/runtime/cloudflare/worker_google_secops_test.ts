import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import {
  makeServiceAccount,
  startFakeGoogleToken,
} from "../../fakes/fake_google_token.ts";
import { startFakeGoogleSecOps } from "../../fakes/fake_google_secops.ts";
import { bundle, ensureRuntimeTools, TOOLS } from "../runtime_tools.ts";

const TOKEN = "worker-ingest-token-0123456789";
const EMAIL = "siem-writer@test-project.iam.gserviceaccount.com";
const INSTANCE = "ebdc4bb9-878b-11e7-8455-10604b7cb5c1";

Deno.test("the Workers entry delivers to google_secops from SIEM_GOOGLE_SECOPS_* in workerd, signing the JWT with WebCrypto", async () => {
  await ensureRuntimeTools();
  await using tokens = startFakeGoogleToken({ email: EMAIL });
  const account = await makeServiceAccount(tokens.tokenUri, EMAIL);
  tokens.trust(account.publicKey);
  await using chronicle = startFakeGoogleSecOps({
    tokens,
    project: "test-project",
    location: "eu",
    instance: INSTANCE,
    logTypes: ["HAROMBE_AUDIT"],
  });
  const dir = await Deno.makeTempDir();
  try {
    await bundle(
      "src/runtime/cloudflare/worker.ts",
      "browser",
      `${dir}/worker.js`,
    );
    const events = realisticEvents(250, 9);
    await Deno.writeTextFile(
      `${dir}/events.ndjson`,
      events.map((event) => JSON.stringify(event)).join("\n"),
    );
    await Deno.writeTextFile(
      `${dir}/bindings.json`,
      JSON.stringify({
        INGEST_TOKENS: TOKEN,
        SIEM_GOOGLE_SECOPS_URL: chronicle.url,
        SIEM_GOOGLE_SECOPS_CREDENTIALS: JSON.stringify(account.key),
        SIEM_GOOGLE_SECOPS_PROJECT: "test-project",
        SIEM_GOOGLE_SECOPS_LOCATION: "eu",
        SIEM_GOOGLE_SECOPS_INSTANCE: INSTANCE,
        SIEM_GOOGLE_SECOPS_LOG_TYPE: "HAROMBE_AUDIT",
        SIEM_GOOGLE_SECOPS_NAMESPACE: "edge",
      }),
    );
    const { code, stdout, stderr } = await new Deno.Command("node", {
      args: [
        new URL("./run_worker.mjs", import.meta.url).pathname,
        TOOLS,
        `${dir}/worker.js`,
        `${dir}/bindings.json`,
        `${dir}/events.ndjson`,
        TOKEN,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const results = JSON.parse(new TextDecoder().decode(stdout));
    assert.equal(results.stats.buffered, 0);
    assert.equal(results.stats.eventsFailed, 0);
    assert.deepEqual(tokens.refusals, []);
    assert.ok(tokens.requests.length >= 1);
    assert.deepEqual(
      chronicle.logs.map((log) => log.event.event_id).sort(),
      events.map((e) => e.event_id!).sort(),
    );
    assert.ok(
      chronicle.logs.every((log) => log.environmentNamespace === "edge"),
    );
    // The private key never shows in what the Worker answered.
    const pemBody = account.key.private_key.replace(
      /-----[A-Z ]+-----|\s/g,
      "",
    );
    const answered = new TextDecoder().decode(stdout);
    assert.equal(answered.includes(pemBody.slice(100, 140)), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
