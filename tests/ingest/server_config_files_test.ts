import assert from "node:assert/strict";
import { serverConfigWithFiles } from "../../src/ingest/server_config_files.ts";
import { ServerConfigError } from "../../src/ingest/server_config_error.ts";

const TOKEN = "file-token-0123456789abcdef";
const KEY = JSON.stringify({
  client_email: "siem@p.iam.gserviceaccount.com",
  private_key: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
});

function files(
  contents: Record<string, string>,
): (path: string) => Promise<string> {
  return (path) =>
    path in contents
      ? Promise.resolve(contents[path]!)
      : Promise.reject(new Error(`${path}: not found`));
}

Deno.test("serverConfigWithFiles() reads the config file and the Google SecOps key file, and leaves the environment as it was", async () => {
  // Bun.env is the process's own environment: reading the key must not
  // write it there.
  const env: Record<string, string | undefined> = {
    SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE: "/key.json",
    SIEM_GOOGLE_SECOPS_PROJECT: "p",
    SIEM_GOOGLE_SECOPS_LOCATION: "us",
    SIEM_GOOGLE_SECOPS_INSTANCE: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
    SIEM_GOOGLE_SECOPS_LOG_TYPE: "HAROMBE_AUDIT",
  };
  const before = { ...env };
  const config = await serverConfigWithFiles(
    env,
    files({
      "/config.json": JSON.stringify({
        ingestTokens: [{ name: "billing", token: TOKEN }],
        tokenReloadMs: 60_000,
      }),
      "/key.json": KEY,
    }),
    "/config.json",
  );
  assert.deepEqual(env, before);
  assert.deepEqual(config.tokens, [{ name: "billing", token: TOKEN }]);
  assert.equal(config.tokenReloadMs, 60_000);
  const [google] = config.destinations;
  assert.equal(google?.platform, "google_secops");
  assert.equal(
    (google as { googleSecOps: { credentials: string } }).googleSecOps
      .credentials,
    KEY,
  );
});

Deno.test("serverConfigWithFiles() prefers SIEM_GOOGLE_SECOPS_CREDENTIALS to the key file, and reads no file without a path", async () => {
  const config = await serverConfigWithFiles(
    {
      INGEST_TOKENS: TOKEN,
      SIEM_GOOGLE_SECOPS_CREDENTIALS: KEY,
      SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE: "/missing.json",
      SIEM_GOOGLE_SECOPS_PROJECT: "p",
      SIEM_GOOGLE_SECOPS_LOCATION: "us",
      SIEM_GOOGLE_SECOPS_INSTANCE: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
      SIEM_GOOGLE_SECOPS_LOG_TYPE: "HAROMBE_AUDIT",
    },
    files({}),
    undefined,
  );
  assert.deepEqual(config.tokens, [TOKEN]);
  assert.equal(config.destinations.length, 1);
});

Deno.test("serverConfigWithFiles() says a config file is not JSON without quoting it (it may hold a token)", async () => {
  const error = await serverConfigWithFiles(
    {},
    files({ "/config.json": `{"ingestTokens": ["${TOKEN}"` }),
    "/config.json",
  ).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ServerConfigError);
  assert.equal(error.message, "/config.json is not valid JSON");
});
