import assert from "node:assert/strict";
import {
  serverConfig,
  ServerConfigError,
  type ServerConfigFile,
} from "../../src/ingest/server_config.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";

function configErrorOf(fn: () => unknown): ServerConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(
      error instanceof ServerConfigError,
      `expected a ServerConfigError, got ${String(error)}`,
    );
    return error;
  }
  assert.fail("expected a ServerConfigError, nothing was thrown");
}

Deno.test("serverConfig() has defaults for an empty environment", () => {
  const config = serverConfig({});
  assert.equal(config.port, 8080);
  assert.equal(config.hostname, "127.0.0.1");
  assert.equal(config.dataDir, "./data");
  assert.deepEqual(config.destinations, []);
  assert.deepEqual(config.tokens, []);
  assert.equal(config.allowUnauthenticated, false);
  assert.equal(config.maxBodyBytes, undefined);
  assert.equal(config.maxEventsPerRequest, undefined);
});

Deno.test("serverConfig() splits and trims INGEST_TOKENS", () => {
  const config = serverConfig({
    INGEST_TOKENS: " token-a , token-b,token-c ,, ",
  });
  assert.deepEqual(config.tokens, ["token-a", "token-b", "token-c"]);
  assert.deepEqual(serverConfig({ INGEST_TOKENS: "one" }).tokens, ["one"]);
});

Deno.test("serverConfig() builds a Splunk destination from SIEM_SPLUNK_*", () => {
  const config = serverConfig({
    SIEM_SPLUNK_URL: "https://splunk.example.com:8088",
    SIEM_SPLUNK_TOKEN: "hec-token",
    SIEM_SPLUNK_INDEX: "audit",
  });
  assert.deepEqual(config.destinations, [{
    platform: "splunk",
    endpoint: "https://splunk.example.com:8088",
    token: "hec-token",
    index: "audit",
  }]);
});

Deno.test("serverConfig() builds an Elasticsearch destination from SIEM_ELASTICSEARCH_*", () => {
  const config = serverConfig({
    SIEM_ELASTICSEARCH_URL: "https://es.example.com:9200",
    SIEM_ELASTICSEARCH_TOKEN: "api-key",
    SIEM_ELASTICSEARCH_INDEX: "logs-audit",
  });
  assert.deepEqual(config.destinations, [{
    platform: "elasticsearch",
    endpoint: "https://es.example.com:9200",
    token: "api-key",
    index: "logs-audit",
  }]);
});

Deno.test("serverConfig() reads SIEM_ELASTICSEARCH_INDEX_TEMPLATE as the destination's indexTemplate", () => {
  const config = serverConfig({
    SIEM_ELASTICSEARCH_URL: "https://es.example.com:9200",
    SIEM_ELASTICSEARCH_INDEX_TEMPLATE: "true",
  });
  assert.deepEqual(config.destinations, [{
    platform: "elasticsearch",
    endpoint: "https://es.example.com:9200",
    indexTemplate: true,
  }]);
  assert.match(
    configErrorOf(() =>
      serverConfig({
        SIEM_ELASTICSEARCH_URL: "https://es.example.com:9200",
        SIEM_ELASTICSEARCH_INDEX_TEMPLATE: "yes",
      })
    ).message,
    /SIEM_ELASTICSEARCH_INDEX_TEMPLATE must be true or false/,
  );
});

Deno.test("serverConfig() builds a Datadog destination from SIEM_DATADOG_*", () => {
  const config = serverConfig({
    SIEM_DATADOG_URL: "https://http-intake.logs.datadoghq.eu",
    SIEM_DATADOG_TOKEN: "dd-api-key",
  });
  assert.deepEqual(config.destinations, [{
    platform: "datadog",
    endpoint: "https://http-intake.logs.datadoghq.eu",
    token: "dd-api-key",
  }]);
});

Deno.test("serverConfig() leaves out a platform's token and index when unset", () => {
  const config = serverConfig({ SIEM_SPLUNK_URL: "http://127.0.0.1:8088" });
  assert.deepEqual(config.destinations, [{
    platform: "splunk",
    endpoint: "http://127.0.0.1:8088",
  }]);
  // A token with nowhere to go is a setup mistake, not something to ignore.
  assert.throws(
    () => serverConfig({ SIEM_SPLUNK_TOKEN: "hec-token" }),
    ServerConfigError,
  );
});

Deno.test("serverConfig() builds all three platform destinations at once", () => {
  const config = serverConfig({
    SIEM_SPLUNK_URL: "https://splunk.example.com:8088",
    SIEM_SPLUNK_TOKEN: "hec-token",
    SIEM_ELASTICSEARCH_URL: "https://es.example.com:9200",
    SIEM_ELASTICSEARCH_TOKEN: "api-key",
    SIEM_DATADOG_URL: "https://http-intake.logs.datadoghq.com",
    SIEM_DATADOG_TOKEN: "dd-api-key",
  });
  assert.deepEqual(
    config.destinations.map((d) => [d.platform, d.endpoint, d.token]),
    [
      ["splunk", "https://splunk.example.com:8088", "hec-token"],
      ["elasticsearch", "https://es.example.com:9200", "api-key"],
      ["datadog", "https://http-intake.logs.datadoghq.com", "dd-api-key"],
    ],
  );
});

Deno.test("serverConfig() uses the SIEM_DESTINATIONS JSON array", () => {
  const destinations = [
    { platform: "splunk", endpoint: "https://a.example.com", name: "a" },
    { platform: "datadog", endpoint: "https://b.example.com", enabled: false },
  ];
  const config = serverConfig(
    { SIEM_DESTINATIONS: JSON.stringify(destinations) },
    {
      destinations: [{ platform: "splunk", endpoint: "https://file.example" }],
    },
  );
  assert.deepEqual(config.destinations, destinations);
});

Deno.test("serverConfig() refuses SIEM_DESTINATIONS that is not a JSON array", () => {
  for (const value of ["[{", "not json", '{"platform":"splunk"}', "42"]) {
    const error = configErrorOf(() =>
      serverConfig({ SIEM_DESTINATIONS: value })
    );
    assert.match(error.message, /SIEM_DESTINATIONS/);
  }
});

Deno.test("serverConfig() lets the environment win over the file", () => {
  const file: ServerConfigFile = {
    ingestTokens: ["file-token"],
    port: 9000,
    hostname: "0.0.0.0",
    dataDir: "/var/lib/file",
    allowUnauthenticated: true,
    maxBodyBytes: 1000,
    maxEventsPerRequest: 10,
  };
  const config = serverConfig({
    INGEST_TOKENS: "env-token",
    PORT: "9100",
    HOSTNAME: "::1",
    DATA_DIR: "/tmp/env",
    INGEST_ALLOW_UNAUTHENTICATED: "false",
    MAX_BODY_BYTES: "2000",
    MAX_EVENTS_PER_REQUEST: "20",
  }, file);
  assert.deepEqual(config.tokens, ["env-token"]);
  assert.equal(config.port, 9100);
  assert.equal(config.hostname, "::1");
  assert.equal(config.dataDir, "/tmp/env");
  assert.equal(config.allowUnauthenticated, false);
  assert.equal(config.maxBodyBytes, 2000);
  assert.equal(config.maxEventsPerRequest, 20);
});

Deno.test("serverConfig() uses the file when the environment is silent", () => {
  const config = serverConfig({}, {
    destinations: [{ platform: "splunk", endpoint: "https://file.example" }],
    ingestTokens: ["file-token-1", "file-token-2"],
    port: 9000,
    hostname: "0.0.0.0",
    dataDir: "/var/lib/file",
    allowUnauthenticated: true,
    maxBodyBytes: 1000,
    maxEventsPerRequest: 10,
  });
  assert.deepEqual(config.destinations, [
    { platform: "splunk", endpoint: "https://file.example" },
  ]);
  assert.deepEqual(config.tokens, ["file-token-1", "file-token-2"]);
  assert.equal(config.allowUnauthenticated, true);
  assert.equal(config.port, 9000);
  assert.equal(config.hostname, "0.0.0.0");
  assert.equal(config.maxBodyBytes, 1000);
  assert.equal(config.maxEventsPerRequest, 10);
  assert.equal(config.dataDir, "/var/lib/file");
});

Deno.test("serverConfig() adds platform variables to the file's destinations", () => {
  const config = serverConfig(
    { SIEM_DATADOG_URL: "https://dd.example" },
    {
      destinations: [{ platform: "splunk", endpoint: "https://file.example" }],
    },
  );
  assert.deepEqual(config.destinations.map((d) => d.platform), [
    "splunk",
    "datadog",
  ]);
});

Deno.test("serverConfig() refuses a PORT that is not a whole number", () => {
  for (const value of ["abc", "80.5", "-1"]) {
    const error = configErrorOf(() => serverConfig({ PORT: value }));
    assert.match(error.message, /\bPORT\b/);
  }
  const error = configErrorOf(() => serverConfig({ MAX_BODY_BYTES: "lots" }));
  assert.match(error.message, /MAX_BODY_BYTES/);
});

Deno.test("serverConfig() reads INGEST_ALLOW_UNAUTHENTICATED", () => {
  assert.equal(
    serverConfig({ INGEST_ALLOW_UNAUTHENTICATED: "true" }).allowUnauthenticated,
    true,
  );
  assert.equal(
    serverConfig({ INGEST_ALLOW_UNAUTHENTICATED: "yes" }).allowUnauthenticated,
    false,
  );
});

Deno.test("serverConfig() refuses a file that is not a JSON object", () => {
  for (const file of [[], null, "config", 42]) {
    configErrorOf(() => serverConfig({}, file as unknown as ServerConfigFile));
  }
});

Deno.test("serverConfig() never reads an empty PORT as port 0", () => {
  for (const value of ["", "  "]) {
    let port: number | undefined;
    try {
      port = serverConfig({ PORT: value }).port;
    } catch (error) {
      assert.ok(error instanceof ServerConfigError, String(error));
      assert.match(error.message, /\bPORT\b/);
      continue;
    }
    assert.equal(port, 8080, `PORT=${JSON.stringify(value)} gave ${port}`);
  }
});

Deno.test("serverConfig() lets SIEM_DATADOG_* complete the JSON destination named datadog", () => {
  const config = serverConfig({
    SIEM_DESTINATIONS: JSON.stringify([
      { platform: "datadog", service: "api", tags: ["env:prod"] },
      { platform: "datadog", name: "datadog-eu", endpoint: "https://eu" },
    ]),
    SIEM_DATADOG_URL: "https://http-intake.logs.datadoghq.com",
    SIEM_DATADOG_TOKEN: "dd-key",
  });
  assert.deepEqual(config.destinations, [
    {
      platform: "datadog",
      service: "api",
      tags: ["env:prod"],
      endpoint: "https://http-intake.logs.datadoghq.com",
      token: "dd-key",
    },
    { platform: "datadog", name: "datadog-eu", endpoint: "https://eu" },
  ]);
});

Deno.test("serverConfig() lets a token variable override the file's secret", () => {
  const config = serverConfig({ SIEM_SPLUNK_TOKEN: "from-env" }, {
    destinations: [{
      platform: "splunk",
      endpoint: "https://splunk:8088",
      token: "from-file",
    }],
  });
  assert.deepEqual(config.destinations, [{
    platform: "splunk",
    endpoint: "https://splunk:8088",
    token: "from-env",
  }]);
});

Deno.test("serverConfig() refuses a platform token without a destination to use it", () => {
  const error = configErrorOf(() =>
    serverConfig({ SIEM_ELASTICSEARCH_TOKEN: "key" })
  );
  assert.match(
    error.message,
    /SIEM_ELASTICSEARCH_TOKEN, SIEM_ELASTICSEARCH_INDEX, SIEM_ELASTICSEARCH_INDEX_TEMPLATE or SIEM_ELASTICSEARCH_SCHEMA is set but there is no elasticsearch destination/,
  );
  assert.doesNotMatch(error.message, /key"/);
});

Deno.test("serverConfig() builds an OpenSearch destination with Basic auth from SIEM_OPENSEARCH_*", () => {
  const config = serverConfig({
    SIEM_OPENSEARCH_URL: "https://os.example.com:9200",
    SIEM_OPENSEARCH_USERNAME: "audit-writer",
    SIEM_OPENSEARCH_PASSWORD: "os-password",
    SIEM_OPENSEARCH_INDEX: "logs-audit",
    // Set for other tools: not read without SIEM_OPENSEARCH_AWS_SERVICE.
    AWS_REGION: "eu-west-1",
    AWS_SECRET_ACCESS_KEY: "not-for-us",
  });
  assert.deepEqual(config.destinations, [{
    platform: "opensearch",
    endpoint: "https://os.example.com:9200",
    token: "os-password",
    username: "audit-writer",
    index: "logs-audit",
  }]);
  assert.equal(
    parseSIEMConfig(config.destinations[0]!).username,
    "audit-writer",
  );
});

Deno.test("serverConfig() signs the OpenSearch destination with SigV4 from SIEM_OPENSEARCH_AWS_SERVICE and the AWS_* variables", () => {
  const env = {
    SIEM_OPENSEARCH_URL: "https://abc123.eu-west-1.aoss.amazonaws.com",
    SIEM_OPENSEARCH_AWS_SERVICE: "aoss",
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "ASIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    AWS_SESSION_TOKEN: "session-token-0123",
  };
  const [destination] = serverConfig(env).destinations;
  assert.deepEqual(destination, {
    platform: "opensearch",
    endpoint: "https://abc123.eu-west-1.aoss.amazonaws.com",
    aws: {
      region: "eu-west-1",
      service: "aoss",
      accessKeyId: "ASIAIOSFODNN7EXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      sessionToken: "session-token-0123",
    },
  });
  assert.equal(parseSIEMConfig(destination!).aws?.service, "aoss");
  // The variables complete a JSON destination named "opensearch": the
  // secrets from the environment, the rest from the JSON.
  const completed = serverConfig({
    SIEM_DESTINATIONS: JSON.stringify([{
      platform: "opensearch",
      endpoint: "https://search-audit.eu-west-1.es.amazonaws.com",
      index: "audit",
      batchSize: 200,
      aws: {
        region: "eu-central-1",
        service: "es",
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
      },
    }]),
    SIEM_OPENSEARCH_AWS_SERVICE: "es",
    AWS_SECRET_ACCESS_KEY: "secret-from-env",
  }).destinations[0]!;
  assert.deepEqual(completed.aws, {
    region: "eu-central-1",
    service: "es",
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "secret-from-env",
  });
  assert.equal(completed.batchSize, 200);
  // A missing secret is named by the config's validation, unquoted.
  const missing = serverConfig({ ...env, AWS_SECRET_ACCESS_KEY: "" })
    .destinations[0]!;
  assert.throws(
    () => parseSIEMConfig(missing),
    /aws\.secretAccessKey must not be empty/,
  );
});

Deno.test("serverConfig() refuses OpenSearch variables without a destination to use them", () => {
  const error = configErrorOf(() =>
    serverConfig({ SIEM_OPENSEARCH_PASSWORD: "pw-0123" })
  );
  assert.match(
    error.message,
    /SIEM_OPENSEARCH_USERNAME, SIEM_OPENSEARCH_PASSWORD, SIEM_OPENSEARCH_INDEX, SIEM_OPENSEARCH_INDEX_TEMPLATE, SIEM_OPENSEARCH_SCHEMA or SIEM_OPENSEARCH_AWS_SERVICE is set but there is no opensearch destination/,
  );
  assert.doesNotMatch(error.message, /pw-0123/);
});

Deno.test("serverConfig() builds a Sentinel destination from SIEM_SENTINEL_*", () => {
  const config = serverConfig({
    SIEM_SENTINEL_URL: "https://dce-1.westeurope-1.ingest.monitor.azure.com",
    SIEM_SENTINEL_TENANT_ID: "contoso.onmicrosoft.com",
    SIEM_SENTINEL_CLIENT_ID: "00000000-0000-0000-0000-000000000001",
    SIEM_SENTINEL_CLIENT_SECRET: "app-secret-value",
    SIEM_SENTINEL_DCR_ID: "dcr-0123456789abcdef0123456789abcdef",
    SIEM_SENTINEL_STREAM: "Custom-Audit",
    SIEM_SENTINEL_AUTHORITY_HOST: "https://login.microsoftonline.us",
    SIEM_SENTINEL_SCOPE: "https://monitor.azure.us/.default",
  });
  assert.deepEqual(config.destinations, [{
    platform: "sentinel",
    endpoint: "https://dce-1.westeurope-1.ingest.monitor.azure.com",
    sentinel: {
      tenantId: "contoso.onmicrosoft.com",
      clientId: "00000000-0000-0000-0000-000000000001",
      clientSecret: "app-secret-value",
      dcrImmutableId: "dcr-0123456789abcdef0123456789abcdef",
      streamName: "Custom-Audit",
      authorityHost: "https://login.microsoftonline.us",
      scope: "https://monitor.azure.us/.default",
    },
  }]);
  // The result is a valid destination config.
  assert.equal(
    parseSIEMConfig(config.destinations[0]!).sentinel?.streamName,
    "Custom-Audit",
  );
});

Deno.test("serverConfig() lets SIEM_SENTINEL_* complete the JSON destination named sentinel", () => {
  const config = serverConfig({
    SIEM_DESTINATIONS: JSON.stringify([{
      platform: "sentinel",
      endpoint: "https://dce-1.westeurope-1.ingest.monitor.azure.com",
      compression: "gzip",
      sentinel: {
        tenantId: "contoso.onmicrosoft.com",
        clientId: "00000000-0000-0000-0000-000000000001",
        clientSecret: "",
        dcrImmutableId: "dcr-0123456789abcdef0123456789abcdef",
      },
    }]),
    SIEM_SENTINEL_CLIENT_SECRET: "from-the-environment",
  });
  assert.equal(config.destinations.length, 1);
  const [sentinel] = config.destinations;
  assert.equal(sentinel!.compression, "gzip");
  assert.equal(sentinel!.sentinel?.clientSecret, "from-the-environment");
  assert.equal(sentinel!.sentinel?.tenantId, "contoso.onmicrosoft.com");
});

Deno.test("serverConfig() refuses SIEM_SENTINEL_* without a destination to use them, never quoting the secret", () => {
  assert.throws(
    () => serverConfig({ SIEM_SENTINEL_CLIENT_SECRET: "secret-0123456789" }),
    (error: Error) =>
      error instanceof ServerConfigError &&
      /SIEM_SENTINEL_CLIENT_SECRET, SIEM_SENTINEL_DCR_ID, SIEM_SENTINEL_STREAM, SIEM_SENTINEL_AUTHORITY_HOST or SIEM_SENTINEL_SCOPE is set but there is no sentinel destination: set SIEM_SENTINEL_URL too/
        .test(error.message) &&
      !error.message.includes("secret-0123456789"),
  );
});

Deno.test("serverConfig() builds an http destination from SIEM_HTTP_*: URL, bearer token, headers, framing", () => {
  const config = serverConfig({
    SIEM_HTTP_URL: "https://vector.example.com:8080/audit?source=siem",
    SIEM_HTTP_TOKEN: "http-bearer-0123456789",
    SIEM_HTTP_HEADERS: '{"X-Hook-Secret":"s-0123456789","X-Team":"sec"}',
    SIEM_HTTP_SECRET_HEADERS: "X-Hook-Secret",
    SIEM_HTTP_FRAMING: "ndjson",
  });
  assert.deepEqual(config.destinations, [{
    platform: "http",
    endpoint: "https://vector.example.com:8080/audit?source=siem",
    token: "http-bearer-0123456789",
    http: {
      headers: { "X-Hook-Secret": "s-0123456789", "X-Team": "sec" },
      secretHeaders: ["X-Hook-Secret"],
      framing: "ndjson",
    },
  }]);
  const valid = parseSIEMConfig(config.destinations[0]!);
  assert.equal(valid.http?.framing, "ndjson");
  assert.deepEqual(valid.http?.secretHeaders, ["x-hook-secret"]);
});

Deno.test("serverConfig() builds a Sumo Logic destination from SIEM_HTTP_URL and SIEM_HTTP_PRESET, and completes a JSON destination named http", () => {
  const url =
    "https://endpoint4.collection.us2.sumologic.com/receiver/v1/http/ZaVnC4dhaV3a8sT0kQ1bYw==";
  const config = serverConfig({
    SIEM_HTTP_URL: url,
    SIEM_HTTP_PRESET: "sumo_logic",
    SIEM_HTTP_SUMO_CATEGORY: "security/harombe",
    SIEM_DESTINATIONS: JSON.stringify([{
      platform: "http",
      endpoint: "https://placeholder.example.com/",
      batchSize: 200,
      http: { sumoName: "edge" },
    }]),
  });
  assert.deepEqual(config.destinations, [{
    platform: "http",
    endpoint: url,
    batchSize: 200,
    http: {
      sumoName: "edge",
      preset: "sumo_logic",
      sumoCategory: "security/harombe",
      headers: {},
    },
  }]);
  const valid = parseSIEMConfig(config.destinations[0]!);
  assert.equal(valid.compression, "gzip");
  assert.equal(valid.http?.framing, "ndjson");
});

Deno.test("serverConfig() refuses SIEM_HTTP_HEADERS that is not a JSON object of strings, without quoting it", () => {
  for (
    const headers of [
      '{"Authorization":"Bearer leak-0123456789"',
      '["Authorization","Bearer leak-0123456789"]',
      '{"Authorization":["Bearer leak-0123456789"]}',
    ]
  ) {
    const error = configErrorOf(() =>
      serverConfig({
        SIEM_HTTP_URL: "https://hooks.example.com/in",
        SIEM_HTTP_HEADERS: headers,
      })
    );
    assert.match(error.message, /SIEM_HTTP_HEADERS must be a JSON object/);
    assert.ok(!error.message.includes("leak-0123456789"), error.message);
  }
  assert.match(
    configErrorOf(() => serverConfig({ SIEM_HTTP_TOKEN: "t-0123456789" }))
      .message,
    /no http destination: set SIEM_HTTP_URL too/,
  );
});

Deno.test("serverConfig() takes a destination's schema from SIEM_<PLATFORM>_SCHEMA, alone or completing the JSON destination", () => {
  assert.deepEqual(
    serverConfig({
      SIEM_ELASTICSEARCH_URL: "https://es.example:9200",
      SIEM_ELASTICSEARCH_SCHEMA: "ecs",
    }).destinations,
    [{
      platform: "elasticsearch",
      endpoint: "https://es.example:9200",
      schema: "ecs",
    }],
  );
  assert.deepEqual(
    serverConfig({ SIEM_SPLUNK_SCHEMA: "cim" }, {
      destinations: [{ platform: "splunk", endpoint: "https://s.example" }],
    }).destinations,
    [{ platform: "splunk", endpoint: "https://s.example", schema: "cim" }],
  );
});

Deno.test("serverConfig() reads SigV4's region from AWS_DEFAULT_REGION too, and keeps the file's credentials the environment does not set", () => {
  const [fromDefault] = serverConfig({
    SIEM_OPENSEARCH_URL: "https://search.example.com",
    SIEM_OPENSEARCH_AWS_SERVICE: "es",
    AWS_DEFAULT_REGION: "ap-south-1",
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "secret-env",
  }).destinations;
  assert.deepEqual(fromDefault?.aws, {
    region: "ap-south-1",
    service: "es",
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "secret-env",
  });
  const [fromFile] = serverConfig({
    SIEM_OPENSEARCH_AWS_SERVICE: "aoss",
  }, {
    destinations: [{
      platform: "opensearch",
      endpoint: "https://file.example.com",
      aws: {
        region: "eu-north-1",
        service: "es",
        accessKeyId: "AKIDFILE",
        secretAccessKey: "secret-file",
        sessionToken: "session-file",
      },
    }],
  }).destinations;
  assert.deepEqual(fromFile?.aws, {
    region: "eu-north-1",
    service: "aoss",
    accessKeyId: "AKIDFILE",
    secretAccessKey: "secret-file",
    sessionToken: "session-file",
  });
});

Deno.test("serverConfig() reads SIEM_HTTP_SUMO_NAME and SIEM_HTTP_SUMO_HOST, and SIEM_HTTP_SECRET_HEADERS trimmed", () => {
  const [http] = serverConfig({
    SIEM_HTTP_URL: "https://hooks.example.com/in",
    SIEM_HTTP_SUMO_NAME: "edge-1",
    SIEM_HTTP_SUMO_HOST: "host-1",
    SIEM_HTTP_SECRET_HEADERS: " X-Api-Key , X-Signature ,",
  }).destinations;
  assert.deepEqual(http?.http, {
    sumoName: "edge-1",
    sumoHost: "host-1",
    secretHeaders: ["X-Api-Key", "X-Signature"],
    headers: {},
  });
});

Deno.test("serverConfig() merges SIEM_HTTP_HEADERS over the JSON destination's headers, keeping the others", () => {
  const [http] = serverConfig({
    SIEM_HTTP_HEADERS: '{"X-Api-Key":"from-env"}',
  }, {
    destinations: [{
      platform: "http",
      endpoint: "https://hooks.example.com/in",
      http: { headers: { "X-Api-Key": "from-file", "X-Team": "sec" } },
    }],
  }).destinations;
  assert.deepEqual(http?.http?.headers, {
    "X-Api-Key": "from-env",
    "X-Team": "sec",
  });
});

Deno.test("serverConfig() edges: PORT 65535 is the last port; an empty SPOOL_PATH is unset; INDEX_TEMPLATE=false is false; env wins over the file for hostname and quotas", () => {
  assert.equal(serverConfig({ PORT: "65535" }).port, 65535);
  assert.match(
    configErrorOf(() => serverConfig({ PORT: "65536" })).message,
    /PORT must be a whole number: current value is "65536"/,
  );
  assert.equal(serverConfig({ PORT: "0" }).port, 0);
  assert.equal(
    serverConfig({ SPOOL_PATH: "" }, { spoolPath: "/srv/spool.sqlite" })
      .spoolPath,
    "/srv/spool.sqlite",
  );
  assert.equal(serverConfig({ SPOOL_PATH: "" }).spoolPath, undefined);
  const [es] = serverConfig({
    SIEM_ELASTICSEARCH_URL: "https://es.example:9200",
    SIEM_ELASTICSEARCH_INDEX_TEMPLATE: "false",
  }).destinations;
  assert.equal(es?.indexTemplate, false);
  const both = serverConfig({
    HOSTNAME: "0.0.0.0",
    INGEST_QUOTAS: '{"*":{"eventsPerSecond":9}}',
  }, { hostname: "10.0.0.1", quotas: { "*": { eventsPerSecond: 1 } } });
  assert.equal(both.hostname, "0.0.0.0");
  assert.deepEqual(both.quotas, { "*": { eventsPerSecond: 9 } });
  assert.equal(
    serverConfig({ INGEST_ALLOW_UNAUTHENTICATED: "false" }, {
      allowUnauthenticated: true,
    }).allowUnauthenticated,
    false,
  );
  for (const value of ["1", "TRUE", " true", ""]) {
    assert.equal(
      serverConfig({ INGEST_ALLOW_UNAUTHENTICATED: value })
        .allowUnauthenticated,
      false,
      value,
    );
  }
});

Deno.test("serverConfig() completes only the JSON destination named after its platform: another one of that platform stays as it is", () => {
  const config = serverConfig({ SIEM_SPLUNK_TOKEN: "hec-env" }, {
    destinations: [
      { platform: "splunk", name: "archive", endpoint: "https://a.example" },
      { platform: "splunk", endpoint: "https://s.example" },
    ],
  });
  assert.deepEqual(config.destinations, [
    { platform: "splunk", name: "archive", endpoint: "https://a.example" },
    { platform: "splunk", endpoint: "https://s.example", token: "hec-env" },
  ]);
});

Deno.test("serverConfig(): the README's SIEM_DESTINATIONS example with maxConcurrentRequests reaches the destination's config", async () => {
  const readme = await Deno.readTextFile(
    new URL("../../README.md", import.meta.url),
  );
  const example = readme.match(/`(\[\{[^`]*"maxConcurrentRequests"[^`]*\])`/)
    ?.[1];
  assert.ok(example !== undefined, "the README shows the example");
  // The token is the reader's to fill in.
  const config = serverConfig({
    SIEM_DESTINATIONS: example.replace("…", "hec-token"),
  });
  const [parsed] = config.destinations.map((d) => parseSIEMConfig(d));
  assert.equal(parsed!.maxConcurrentRequests, 3);
  assert.equal(parsed!.platform, "splunk");
});
