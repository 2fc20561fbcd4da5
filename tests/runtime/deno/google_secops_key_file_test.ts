import assert from "node:assert/strict";

const SERVER = new URL("../../../src/runtime/deno/server.ts", import.meta.url);
const PEM =
  "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";

Deno.test("configFromDenoEnv() reads the Google SecOps key from SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const keyFile = `${dir}/key.json`;
    await Deno.writeTextFile(
      keyFile,
      JSON.stringify({
        client_email: "siem@p.iam.gserviceaccount.com",
        private_key: PEM,
      }),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { configFromDenoEnv } from "${SERVER.href}";
         const config = await configFromDenoEnv([]);
         console.log(JSON.stringify(config.destinations));`,
      ],
      env: {
        SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE: keyFile,
        SIEM_GOOGLE_SECOPS_PROJECT: "my-secops-project",
        SIEM_GOOGLE_SECOPS_LOCATION: "us",
        SIEM_GOOGLE_SECOPS_INSTANCE: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
        SIEM_GOOGLE_SECOPS_LOG_TYPE: "HAROMBE_AUDIT",
        SIEM_CONFIG_FILE: "",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const [destination] = JSON.parse(new TextDecoder().decode(stdout));
    assert.equal(destination.platform, "google_secops");
    assert.equal(
      destination.endpoint,
      "https://chronicle.us.rep.googleapis.com",
    );
    assert.equal(
      JSON.parse(destination.googleSecOps.credentials).private_key,
      PEM,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
