// As the Deno server does, the Bun entry reads the Google SecOps key from the
// file named by SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE (a mounted secret).
import assert from "node:assert/strict";
import { realisticEvents } from "../../fixtures/events.ts";
import {
  makeServiceAccount,
  startFakeGoogleToken,
} from "../../fakes/fake_google_token.ts";
import { startFakeGoogleSecOps } from "../../fakes/fake_google_secops.ts";
import { ensureRuntimeTools } from "../runtime_tools.ts";
import { postEvents, startBun } from "./bun_process.ts";

const TOKEN = "bun-ingest-token-0123456789";
const EMAIL = "siem-writer@test-project.iam.gserviceaccount.com";
const INSTANCE = "ebdc4bb9-878b-11e7-8455-10604b7cb5c1";

Deno.test("the Bun entry delivers to google_secops with the key read from SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE", async () => {
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
    const keyFile = `${dir}/key.json`;
    await Deno.writeTextFile(keyFile, JSON.stringify(account.key));
    const bun = await startBun(dir, {
      INGEST_TOKENS: TOKEN,
      SIEM_GOOGLE_SECOPS_URL: chronicle.url,
      SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE: keyFile,
      SIEM_GOOGLE_SECOPS_PROJECT: "test-project",
      SIEM_GOOGLE_SECOPS_LOCATION: "eu",
      SIEM_GOOGLE_SECOPS_INSTANCE: INSTANCE,
      SIEM_GOOGLE_SECOPS_LOG_TYPE: "HAROMBE_AUDIT",
      DATA_DIR: `${dir}/data`,
    });
    const events = realisticEvents(5, 11);
    let status: number;
    try {
      status = await postEvents(bun.url, TOKEN, events);
    } finally {
      // The graceful stop delivers what is buffered.
      const { code, output } = await bun.stop("SIGTERM");
      assert.equal(code, 0, output);
      assert.doesNotMatch(output, /undelivered/);
    }
    assert.equal(status, 202);
    assert.deepEqual(tokens.refusals, []);
    assert.deepEqual(
      chronicle.logs.map((log) => log.event.event_id).sort(),
      events.map((e) => e.event_id!).sort(),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
