import assert from "node:assert/strict";
import {
  serverConfig,
  ServerConfigError,
} from "../../src/ingest/server_config.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";

const PEM =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
const KEY = JSON.stringify({
  type: "service_account",
  client_email: "siem@p.iam.gserviceaccount.com",
  private_key: PEM,
});
const ENV = {
  SIEM_GOOGLE_SECOPS_CREDENTIALS: KEY,
  SIEM_GOOGLE_SECOPS_PROJECT: "my-secops-project",
  SIEM_GOOGLE_SECOPS_LOCATION: "europe",
  SIEM_GOOGLE_SECOPS_INSTANCE: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
  SIEM_GOOGLE_SECOPS_LOG_TYPE: "HAROMBE_AUDIT",
};

Deno.test("serverConfig() builds a Google SecOps destination from SIEM_GOOGLE_SECOPS_*, with the regional endpoint", () => {
  const config = serverConfig({
    ...ENV,
    SIEM_GOOGLE_SECOPS_NAMESPACE: "prod-eu",
    SIEM_GOOGLE_SECOPS_LABELS: "team=sec, env=prod",
  });
  assert.equal(config.destinations.length, 1);
  const valid = parseSIEMConfig(config.destinations[0]!);
  assert.equal(valid.platform, "google_secops");
  assert.equal(valid.endpoint, "https://chronicle.europe.rep.googleapis.com");
  assert.deepEqual(
    { ...valid.googleSecOps, credentials: undefined },
    {
      credentials: undefined,
      project: "my-secops-project",
      location: "europe",
      instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
      logType: "HAROMBE_AUDIT",
      namespace: "prod-eu",
      labels: { team: "sec", env: "prod" },
    },
  );
  assert.equal(valid.googleSecOps?.credentials.private_key, PEM);
  assert.equal(
    valid.googleSecOps?.credentials.token_uri,
    "https://oauth2.googleapis.com/token",
  );
});

Deno.test("serverConfig() SIEM_GOOGLE_SECOPS_* complete a SIEM_DESTINATIONS entry named google_secops", () => {
  const config = serverConfig({
    SIEM_DESTINATIONS: JSON.stringify([{
      platform: "google_secops",
      endpoint: "https://chronicle.us.rep.googleapis.com",
      batchSize: 200,
      googleSecOps: {
        project: "p-123456",
        location: "us",
        instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
        logType: "OLD_TYPE",
      },
    }]),
    SIEM_GOOGLE_SECOPS_CREDENTIALS: KEY,
    SIEM_GOOGLE_SECOPS_LOG_TYPE: "HAROMBE_AUDIT",
  });
  assert.equal(config.destinations.length, 1);
  const valid = parseSIEMConfig(config.destinations[0]!);
  assert.equal(valid.batchSize, 200);
  assert.equal(valid.endpoint, "https://chronicle.us.rep.googleapis.com");
  assert.equal(valid.googleSecOps?.logType, "HAROMBE_AUDIT");
  assert.equal(valid.googleSecOps?.project, "p-123456");
});

Deno.test("serverConfig() refuses SIEM_GOOGLE_SECOPS_* without a key, and bad labels, quoting neither", () => {
  assert.throws(
    () => serverConfig({ SIEM_GOOGLE_SECOPS_PROJECT: "my-secops-project" }),
    (error: unknown) =>
      error instanceof ServerConfigError &&
      /no service-account key: set SIEM_GOOGLE_SECOPS_CREDENTIALS/.test(
        error.message,
      ),
  );
  assert.throws(
    () => serverConfig({ ...ENV, SIEM_GOOGLE_SECOPS_LABELS: "nolabel" }),
    /SIEM_GOOGLE_SECOPS_LABELS must be key=value pairs/,
  );
});

Deno.test("serverConfig() Google SecOps: blank label pairs are skipped, a pair without a key is refused, and the JSON destination's endpoint is kept", () => {
  const config = serverConfig({
    ...ENV,
    SIEM_GOOGLE_SECOPS_LABELS: "team=sec,, ,env=prod,",
  }, {
    destinations: [{
      platform: "google_secops",
      endpoint: "https://chronicle.private.example",
      batchSize: 50,
    }],
  });
  assert.equal(config.destinations.length, 1);
  const [google] = config.destinations;
  assert.equal(google?.endpoint, "https://chronicle.private.example");
  assert.equal(google?.batchSize, 50);
  assert.deepEqual(google?.googleSecOps?.labels, { team: "sec", env: "prod" });
  assert.throws(
    () => serverConfig({ ...ENV, SIEM_GOOGLE_SECOPS_LABELS: "=x" }),
    (error: unknown) =>
      error instanceof ServerConfigError &&
      /SIEM_GOOGLE_SECOPS_LABELS must be key=value pairs/.test(error.message),
  );
  assert.equal(
    serverConfig({ ...ENV, SIEM_GOOGLE_SECOPS_URL: "https://override.example" })
      .destinations[0]?.endpoint,
    "https://override.example",
  );
});
