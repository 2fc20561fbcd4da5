import assert from "node:assert/strict";
import {
  parseSIEMConfig,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import {
  hasSentinelEnv,
  SENTINEL_MAX_REQUEST_BYTES,
  sentinelFromEnv,
} from "../../src/platforms/sentinel_config.ts";
import { SentinelExporter } from "../../src/platforms/sentinel.ts";
import { SENTINEL } from "../support/sentinel.ts";

const BASE = {
  platform: "sentinel" as const,
  endpoint: "https://dce.westeurope-1.ingest.monitor.azure.com",
  sentinel: {
    tenantId: SENTINEL.tenantId,
    clientId: SENTINEL.clientId,
    clientSecret: SENTINEL.clientSecret,
    dcrImmutableId: SENTINEL.dcrImmutableId,
  },
};

function withSentinel(extra: Record<string, unknown>): SIEMConfigInput {
  return { ...BASE, sentinel: { ...BASE.sentinel, ...extra } };
}

Deno.test("Sentinel config: maxBatchBytes may be exactly the API's 1 MB per call, not one byte more", () => {
  assert.equal(
    parseSIEMConfig({ ...BASE, maxBatchBytes: SENTINEL_MAX_REQUEST_BYTES })
      .maxBatchBytes,
    1_048_576,
  );
  assert.throws(
    () => parseSIEMConfig({ ...BASE, maxBatchBytes: 1_048_577 }),
    /maxBatchBytes must be at most 1048576 for Sentinel/,
  );
});

Deno.test("Sentinel config: the login host is a host only; http only on loopback or with allowInsecureHttp; kept as its origin", () => {
  for (
    const authorityHost of [
      "https://login.example.com/tenant",
      "https://login.example.com/?x=1",
      "https://login.example.com/#frag",
      "https://user:pw@login.example.com",
    ]
  ) {
    assert.throws(
      () => parseSIEMConfig(withSentinel({ authorityHost })),
      /sentinel\.authorityHost must be the login host only/,
      authorityHost,
    );
  }
  for (
    const authorityHost of [
      "http://127.0.0.1:8400",
      "http://localhost:8400",
      "http://[::1]:8400",
    ]
  ) {
    assert.equal(
      parseSIEMConfig(withSentinel({ authorityHost })).sentinel?.authorityHost,
      authorityHost,
    );
  }
  assert.throws(
    () => parseSIEMConfig(withSentinel({ authorityHost: "http://10.0.0.5" })),
    /must use https: the client secret is sent there/,
  );
  assert.equal(
    parseSIEMConfig({
      ...withSentinel({ authorityHost: "http://login.internal" }),
      allowInsecureHttp: true,
    }).sentinel?.authorityHost,
    "http://login.internal",
  );
  // A trailing slash is dropped, so the token URL has no double slash.
  const valid = parseSIEMConfig(
    withSentinel({ authorityHost: "https://login.microsoftonline.us/" }),
  );
  assert.equal(
    valid.sentinel?.authorityHost,
    "https://login.microsoftonline.us",
  );
  assert.equal(
    new SentinelExporter(valid).tokens.url,
    `https://login.microsoftonline.us/${SENTINEL.tenantId}/oauth2/v2.0/token`,
  );
});

Deno.test("Sentinel config: the secret is visible ASCII of 1 to 1024 characters; the scope ends in /.default", () => {
  assert.ok(parseSIEMConfig(withSentinel({ clientSecret: "x".repeat(1024) })));
  assert.throws(
    () => parseSIEMConfig(withSentinel({ clientSecret: "x".repeat(1025) })),
    /clientSecret must be at most 1024 characters/,
  );
  assert.throws(
    () => parseSIEMConfig(withSentinel({ clientSecret: "has space" })),
    /clientSecret must be visible ASCII/,
  );
  assert.throws(
    () => parseSIEMConfig(withSentinel({ clientSecret: "" })),
    /clientSecret must not be empty/,
  );
  assert.equal(
    parseSIEMConfig(
      withSentinel({ scope: "https://monitor.azure.us//.default" }),
    )
      .sentinel?.scope,
    "https://monitor.azure.us//.default",
  );
  assert.throws(
    () => parseSIEMConfig(withSentinel({ scope: "https://monitor.azure.com" })),
    /scope must be a token scope ending in \/\.default/,
  );
  assert.ok(
    parseSIEMConfig(withSentinel({ streamName: "Microsoft-Syslog" })),
  );
  assert.ok(
    parseSIEMConfig(withSentinel({ streamName: `Custom-A${"b".repeat(99)}` })),
  );
  assert.throws(
    () =>
      parseSIEMConfig(
        withSentinel({ streamName: `Custom-A${"b".repeat(100)}` }),
      ),
    /streamName must be the DCR's stream/,
  );
});

Deno.test("sentinelFromEnv(): each SIEM_SENTINEL_* variable over the JSON destination's field; an empty variable does not count", () => {
  const env = {
    SIEM_SENTINEL_TENANT_ID: "t-env",
    SIEM_SENTINEL_CLIENT_ID: "c-env",
    SIEM_SENTINEL_CLIENT_SECRET: "s-env",
    SIEM_SENTINEL_DCR_ID: "d-env",
    SIEM_SENTINEL_STREAM: "Custom-Env",
    SIEM_SENTINEL_AUTHORITY_HOST: "https://login.env",
    SIEM_SENTINEL_SCOPE: "https://env/.default",
  };
  assert.deepEqual(sentinelFromEnv(env, undefined), {
    tenantId: "t-env",
    clientId: "c-env",
    clientSecret: "s-env",
    dcrImmutableId: "d-env",
    streamName: "Custom-Env",
    authorityHost: "https://login.env",
    scope: "https://env/.default",
  });
  const from = {
    tenantId: "t-json",
    clientId: "c-json",
    clientSecret: "s-json",
    dcrImmutableId: "d-json",
    streamName: "Custom-Json",
    authorityHost: "https://login.json",
    scope: "https://json/.default",
  };
  assert.deepEqual(
    sentinelFromEnv({
      SIEM_SENTINEL_CLIENT_SECRET: "s-env",
      SIEM_SENTINEL_TENANT_ID: "",
    }, from),
    { ...from, clientSecret: "s-env" },
  );
  assert.equal(sentinelFromEnv({}, undefined), undefined);
  assert.equal(
    sentinelFromEnv(
      { SIEM_SENTINEL_TENANT_ID: "", SIEM_OTHER: "x" },
      undefined,
    ),
    undefined,
  );
  // One variable is enough; what is missing is left empty for the
  // validation to name (the optional fields stay unset, for their defaults).
  assert.deepEqual(
    sentinelFromEnv({ SIEM_SENTINEL_SCOPE: "https://x/.default" }, undefined),
    {
      tenantId: "",
      clientId: "",
      clientSecret: "",
      dcrImmutableId: "",
      scope: "https://x/.default",
    },
  );
});

Deno.test("hasSentinelEnv(): any SIEM_SENTINEL_* but the URL, when not empty", () => {
  assert.equal(hasSentinelEnv({ SIEM_SENTINEL_URL: "https://dce" }), false);
  assert.equal(hasSentinelEnv({ SIEM_SENTINEL_TENANT_ID: "" }), false);
  assert.equal(hasSentinelEnv({ SIEM_SENTINEL_STREAM: "Custom-X" }), true);
  assert.equal(hasSentinelEnv({ SIEM_SPLUNK_TOKEN: "x" }), false);
});

Deno.test("SentinelExporter refuses a config without sentinel settings", () => {
  const splunk = parseSIEMConfig({
    platform: "splunk",
    endpoint: "https://hec:8088",
  });
  assert.throws(
    () => new SentinelExporter(splunk),
    /Cannot create SentinelExporter: the config has no sentinel settings/,
  );
});
