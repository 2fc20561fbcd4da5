import assert from "node:assert/strict";
import {
  GOOGLE_SECOPS_MAX_REQUEST_BYTES,
  GOOGLE_TOKEN_URI,
  pemBody,
} from "../../src/platforms/google_secops_config.ts";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";

const EMAIL = "siem-writer@test-project.iam.gserviceaccount.com";
const PEM =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";

function config(
  secops: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): SIEMConfigInput {
  return {
    platform: "google_secops",
    endpoint: "https://chronicle.eu.rep.googleapis.com",
    googleSecOps: {
      credentials: { client_email: EMAIL, private_key: PEM },
      project: "test-project",
      location: "eu",
      instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
      logType: "HAROMBE_AUDIT",
      ...secops,
    },
    ...extra,
  } as SIEMConfigInput;
}

function refused(input: SIEMConfigInput, message: RegExp): void {
  assert.throws(
    () => parseSIEMConfig(input),
    (error: Error) =>
      message.test(error.message) && !error.message.includes("MIIE"),
    String(message),
  );
}

Deno.test("pemBody(): the base64 between the armour lines, line breaks taken out; anything else is empty", () => {
  assert.equal(
    pemBody(PEM),
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
  );
  assert.equal(
    pemBody(PEM.replace(/\n/g, "\r\n")),
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
  );
  assert.equal(pemBody("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"), "");
  assert.equal(
    pemBody(
      PEM.replace("PRIVATE KEY-----\nMIIE", "RSA PRIVATE KEY-----\nMIIE"),
    ),
    "",
  );
  assert.equal(
    pemBody("-----BEGIN PRIVATE KEY----------END PRIVATE KEY-----"),
    "",
  );
});

Deno.test("googleSecOps.credentials: a key file as JSON text or object; token_uri defaults to Google's; each missing part named, never quoting the key", () => {
  const fromText = parseSIEMConfig(config({
    credentials: JSON.stringify({ client_email: EMAIL, private_key: PEM }),
  }));
  assert.deepEqual(fromText.googleSecOps?.credentials, {
    client_email: EMAIL,
    private_key: PEM,
    token_uri: GOOGLE_TOKEN_URI,
  });
  assert.equal(GOOGLE_TOKEN_URI, "https://oauth2.googleapis.com/token");
  refused(
    config({ credentials: "[1,2]" }),
    /credentials must be the service-account key file's JSON object/,
  );
  refused(
    config({ credentials: null }),
    /credentials must be the service-account key file's JSON object/,
  );
  refused(
    config({ credentials: { private_key: PEM } }),
    /credentials must have client_email/,
  );
  refused(
    config({ credentials: { client_email: "not an email", private_key: PEM } }),
    /credentials must have client_email/,
  );
  refused(
    config({ credentials: { client_email: EMAIL } }),
    /credentials must have private_key, a PKCS#8 PEM/,
  );
  refused(
    config({
      credentials: { client_email: EMAIL, private_key: PEM, token_uri: 7 },
    }),
    /credentials must have token_uri as an http or https URL/,
  );
  refused(
    config({
      credentials: {
        client_email: EMAIL,
        private_key: PEM,
        token_uri: "not a url",
      },
    }),
    /credentials must have token_uri as an http or https URL/,
  );
  refused(
    config({
      credentials: {
        client_email: EMAIL,
        private_key: PEM,
        token_uri: "http://oauth2.example.com/token",
      },
    }),
    /credentials must have an https token_uri \(http only on loopback\)/,
  );
  refused(
    config({
      credentials: {
        client_email: EMAIL,
        private_key: PEM,
        token_uri: "ftp://127.0.0.1/token",
      },
    }),
    /https token_uri/,
  );
  for (const host of ["127.0.0.1:8400", "localhost:8400", "[::1]:8400"]) {
    assert.equal(
      parseSIEMConfig(config({
        credentials: {
          client_email: EMAIL,
          private_key: PEM,
          token_uri: `http://${host}/token`,
        },
      })).googleSecOps?.credentials.token_uri,
      `http://${host}/token`,
    );
  }
});

Deno.test("googleSecOps: project, location, instance, log type, namespace and labels at their limits", () => {
  const ok = (secops: Record<string, unknown>) =>
    parseSIEMConfig(config(secops)).googleSecOps!;
  assert.equal(ok({ project: "abcdef" }).project, "abcdef");
  assert.equal(ok({ project: `a${"b".repeat(28)}c` }).project.length, 30);
  assert.equal(ok({ project: "123456789012" }).project, "123456789012");
  refused(
    config({ project: "abcde" }),
    /project must be a Google Cloud project id/,
  );
  refused(config({ project: `a${"b".repeat(29)}c` }), /project must be/);
  refused(config({ project: "abcde-" }), /project must be/);
  refused(config({ project: "Test-project" }), /project must be/);
  assert.equal(ok({ location: "europe-west2" }).location, "europe-west2");
  refused(config({ location: "e" }), /location must be a SecOps location/);
  refused(config({ location: "EU" }), /location must be/);
  assert.equal(ok({ instance: `a${"b".repeat(63)}` }).instance.length, 64);
  refused(
    config({ instance: `a${"b".repeat(64)}` }),
    /instance must be the SecOps instance's customer id/,
  );
  refused(config({ instance: "-abc" }), /instance must be/);
  assert.equal(ok({ logType: `A${"B".repeat(127)}` }).logType.length, 128);
  refused(
    config({ logType: `A${"B".repeat(128)}` }),
    /logType must be a Chronicle log type/,
  );
  refused(config({ logType: "HAROMBE-AUDIT" }), /logType must be/);
  assert.equal(ok({ namespace: "prod.eu-1_a" }).namespace, "prod.eu-1_a");
  refused(config({ namespace: ".prod" }), /namespace must be 1-128/);
  refused(
    config({ namespace: `a${"b".repeat(128)}` }),
    /namespace must be 1-128/,
  );
  assert.deepEqual(ok({}).labels, {});
  const fifty = Object.fromEntries(
    Array.from({ length: 50 }, (_, i) => [`k${i}`, "v"]),
  );
  assert.equal(Object.keys(ok({ labels: fifty }).labels).length, 50);
  refused(
    config({ labels: { ...fifty, k50: "v" } }),
    /labels must have at most 50 labels/,
  );
  assert.equal(
    ok({ labels: { [`${"k".repeat(63)}`]: "x".repeat(1024) } })
      .labels["k".repeat(63)]!.length,
    1024,
  );
  refused(
    config({ labels: { ["k".repeat(64)]: "v" } }),
    /googleSecOps\.labels\.k{64} /,
  );
  refused(
    config({ labels: { team: "x".repeat(1025) } }),
    /must be at most 1024 characters/,
  );
  refused(
    config({ labels: { team: "a\nb" } }),
    /must not contain control characters/,
  );
});

Deno.test("google_secops: maxBatchBytes may be exactly the 4 MB request cap, not one byte more", () => {
  assert.equal(
    parseSIEMConfig(
      config({}, { maxBatchBytes: GOOGLE_SECOPS_MAX_REQUEST_BYTES }),
    ).maxBatchBytes,
    4_000_000,
  );
  refused(
    config({}, { maxBatchBytes: GOOGLE_SECOPS_MAX_REQUEST_BYTES + 1 }),
    /maxBatchBytes must be at most 4000000/,
  );
});
