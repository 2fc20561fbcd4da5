import assert from "node:assert/strict";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import {
  parseSIEMConfig,
  SIEMConfigError,
  type SIEMConfigInput,
} from "../../src/platforms/siem_config.ts";
import type { SIEMPlatform } from "../../src/platforms/platform.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { startFakeDatadog } from "../fakes/fake_datadog.ts";
import { startFakeElasticsearch } from "../fakes/fake_elasticsearch.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";

const BULK = "/_bulk?filter_path=errors,items.*.status,items.*.error";
const SENTINEL_SETTINGS = {
  tenantId: "contoso.onmicrosoft.com",
  clientId: "00000000-0000-0000-0000-000000000001",
  clientSecret: "secret",
  dcrImmutableId: "dcr-0123456789abcdef0123456789abcdef",
};
const STREAM =
  "/dataCollectionRules/dcr-0123456789abcdef0123456789abcdef/streams/Custom-HarombeSecurity?api-version=2023-01-01";

function urlOf(
  platform: SIEMPlatform,
  endpoint: string,
  index?: string,
): string {
  return createExporter({
    platform,
    endpoint,
    ...(index === undefined ? {} : { index }),
    ...(platform === "sentinel" ? { sentinel: SENTINEL_SETTINGS } : {}),
  }).url;
}

function configError(input: SIEMConfigInput): SIEMConfigError {
  try {
    parseSIEMConfig(input);
  } catch (error) {
    assert.ok(error instanceof SIEMConfigError, `got ${error}`);
    return error;
  }
  assert.fail(`parseSIEMConfig() accepted ${input.endpoint}`);
}

const FORMS: Record<
  Exclude<SIEMPlatform, "google_secops">,
  [string, string][]
> = {
  splunk: [
    ["https://hec.test:8088", "https://hec.test:8088/services/collector/event"],
    [
      "https://hec.test:8088/",
      "https://hec.test:8088/services/collector/event",
    ],
    [
      "https://hec.test:8088/services/collector/event",
      "https://hec.test:8088/services/collector/event",
    ],
    [
      "https://hec.test:8088/services/collector/event/",
      "https://hec.test:8088/services/collector/event",
    ],
    [
      "https://hec.test:8088/services/collector",
      "https://hec.test:8088/services/collector/event",
    ],
    [
      "https://hec.test:8088/services/collector/event/1.0",
      "https://hec.test:8088/services/collector/event",
    ],
    [
      "https://proxy.test/splunk/services/collector/event",
      "https://proxy.test/splunk/services/collector/event",
    ],
    ["HTTPS://HEC.test:443", "https://hec.test/services/collector/event"],
  ],
  datadog: [
    [
      "https://http-intake.logs.datadoghq.com",
      "https://http-intake.logs.datadoghq.com/api/v2/logs",
    ],
    [
      "https://http-intake.logs.datadoghq.com/api/v2/logs",
      "https://http-intake.logs.datadoghq.com/api/v2/logs",
    ],
    [
      "https://http-intake.logs.datadoghq.com/api/v2/logs/",
      "https://http-intake.logs.datadoghq.com/api/v2/logs",
    ],
    ["https://proxy.test/dd/", "https://proxy.test/dd/api/v2/logs"],
  ],
  elasticsearch: [
    ["https://es.test:9200", `https://es.test:9200/harombe-security${BULK}`],
    [
      "https://es.test:9200/_bulk",
      `https://es.test:9200/harombe-security${BULK}`,
    ],
    [
      "https://es.test:9200/harombe-security/_bulk",
      `https://es.test:9200/harombe-security${BULK}`,
    ],
    [
      "https://proxy.test/es/harombe-security/_bulk/",
      `https://proxy.test/es/harombe-security${BULK}`,
    ],
    [
      "https://proxy.test/es//",
      `https://proxy.test/es/harombe-security${BULK}`,
    ],
  ],
  opensearch: [
    [
      "https://search-audit.eu-west-1.es.amazonaws.com",
      `https://search-audit.eu-west-1.es.amazonaws.com/harombe-security${BULK}`,
    ],
    [
      "https://os.test:9200/_bulk",
      `https://os.test:9200/harombe-security${BULK}`,
    ],
    [
      "https://os.test:9200/harombe-security/_bulk/",
      `https://os.test:9200/harombe-security${BULK}`,
    ],
  ],
  sentinel: [
    [
      "https://dce-1.westeurope-1.ingest.monitor.azure.com",
      `https://dce-1.westeurope-1.ingest.monitor.azure.com${STREAM}`,
    ],
    [
      "https://dce-1.westeurope-1.ingest.monitor.azure.com/",
      `https://dce-1.westeurope-1.ingest.monitor.azure.com${STREAM}`,
    ],
    ["https://proxy.test/azure", `https://proxy.test/azure${STREAM}`],
  ],
  // A generic receiver's URL is used whole: path and query as given.
  http: [
    ["https://hooks.test/in?team=sec", "https://hooks.test/in?team=sec"],
    ["https://hooks.test", "https://hooks.test/"],
    [
      "https://cribl.test:10080/cribl/_bulk",
      "https://cribl.test:10080/cribl/_bulk",
    ],
  ],
};

for (const [platform, forms] of Object.entries(FORMS)) {
  Deno.test(`${platform}: a base URL or the full intake URL gives the intake URL once`, () => {
    for (const [endpoint, url] of forms) {
      assert.equal(urlOf(platform as SIEMPlatform, endpoint), url, endpoint);
    }
  });
}

Deno.test("parseSIEMConfig() keeps the base URL as the endpoint", () => {
  assert.equal(
    parseSIEMConfig({
      platform: "datadog",
      endpoint: "https://http-intake.logs.datadoghq.eu/api/v2/logs",
    }).endpoint,
    "https://http-intake.logs.datadoghq.eu",
  );
  assert.equal(
    parseSIEMConfig({
      platform: "elasticsearch",
      endpoint: "https://es.test/logs-a/_bulk",
      index: "logs-a",
    }).endpoint,
    "https://es.test",
  );
});

for (
  const platform of [
    "splunk",
    "elasticsearch",
    "datadog",
    "opensearch",
  ] as const
) {
  Deno.test(`${platform}: an empty query or fragment, a query, a fragment or credentials are refused with the base URL to give`, () => {
    for (
      const [endpoint, base] of [
        ["https://hec.test:8088/#", "https://hec.test:8088"],
        ["https://hec.test:8088/?", "https://hec.test:8088"],
        ["https://hec.test:8088?", "https://hec.test:8088"],
        ["https://hec.test:8088/x?a=1", "https://hec.test:8088/x"],
        ["https://hec.test:8088/#frag", "https://hec.test:8088"],
        ["https://user:pass@hec.test:8088/", "https://hec.test:8088"],
        ["https://@hec.test:8088", "https://hec.test:8088"],
        ["https://:pw@hec.test:8088", "https://hec.test:8088"],
      ]
    ) {
      const error = configError({ platform, endpoint: endpoint! });
      assert.ok(
        error.message.includes(
          `endpoint must have no query, fragment or credentials: give the base URL, e.g. "${base}"`,
        ),
        `${endpoint}: ${error.message}`,
      );
      assert.ok(!error.message.includes("pass"), error.message);
      assert.ok(!error.message.includes("pw"), error.message);
    }
  });
}

Deno.test("splunk: a full URL with a query names the base URL without the intake path", () => {
  const error = configError({
    platform: "splunk",
    endpoint: "https://hec.test:8088/services/collector/event?channel=x",
  });
  assert.match(
    error.message,
    /give the base URL, e\.g\. "https:\/\/hec\.test:8088"/,
  );
});

Deno.test("splunk: another HEC endpoint (raw) is refused with the base URL", () => {
  const error = configError({
    platform: "splunk",
    endpoint: "https://hec.test:8088/services/collector/raw",
  });
  assert.match(
    error.message,
    /endpoint must not name another HEC endpoint \(\/services\/collector\/raw\)/,
  );
  assert.match(
    error.message,
    /give the base URL, e\.g\. "https:\/\/hec\.test:8088"/,
  );
});

Deno.test("datadog: the v1 intake is refused with the base URL", () => {
  const error = configError({
    platform: "datadog",
    endpoint: "https://http-intake.logs.datadoghq.com/v1/input",
  });
  assert.match(error.message, /endpoint must not be the v1 intake/);
  assert.match(
    error.message,
    /give the base URL, e\.g\. "https:\/\/http-intake\.logs\.datadoghq\.com"/,
  );
  // Paths are matched without regard to case, as every other intake path.
  assert.match(
    configError({
      platform: "datadog",
      endpoint: "https://http-intake.logs.datadoghq.com/V1/Input",
    }).message,
    /endpoint must not be the v1 intake/,
  );
});

Deno.test("elasticsearch: the _bulk path of another index is refused, naming the index setting", () => {
  const error = configError({
    platform: "elasticsearch",
    endpoint: "https://es.test:9200/other-index/_bulk",
  });
  assert.match(error.message, /endpoint must not end in \/other-index\/_bulk/);
  assert.match(error.message, /set "index"/);
  assert.match(
    error.message,
    /give the base URL, e\.g\. "https:\/\/es\.test:9200"/,
  );
});

Deno.test("google_secops: an endpoint with the API path (/v1beta|v1alpha|v1/projects/...) is refused with the host to give", () => {
  const secops = {
    credentials: {
      client_email: "w@p.iam.gserviceaccount.com",
      private_key:
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
    },
    project: "test-project",
    location: "eu",
    instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
    logType: "HAROMBE_AUDIT",
  };
  for (const version of ["v1beta", "v1alpha", "v1", "V1BETA"]) {
    const error = configError({
      platform: "google_secops",
      endpoint:
        `https://chronicle.eu.rep.googleapis.com/${version}/projects/test-project/locations/eu/instances/x/logTypes/HAROMBE_AUDIT/logs:import`,
      googleSecOps: secops,
    });
    assert.match(
      error.message,
      /endpoint must be the Chronicle API host only \(set project, location, instance and logType in googleSecOps\): give the base URL, e\.g\. "https:\/\/chronicle\.eu\.rep\.googleapis\.com"/,
      version,
    );
  }
  assert.equal(
    parseSIEMConfig({
      platform: "google_secops",
      endpoint: "https://chronicle.eu.rep.googleapis.com/proxy/",
      googleSecOps: secops,
    }).endpoint,
    "https://chronicle.eu.rep.googleapis.com/proxy",
  );
});

Deno.test("elasticsearch: a _bulk path whose index segment is not valid percent-encoding is refused as another index, not thrown", () => {
  const error = configError({
    platform: "elasticsearch",
    endpoint: "https://es.test:9200/%E0%A4%A/_bulk",
  });
  assert.match(error.message, /endpoint must not end in \/%E0%A4%A\/_bulk/);
  // The configured index, percent-encoded, is the exporter's own path.
  assert.equal(
    urlOf("elasticsearch", "https://es.test:9200/%C3%A9v/_bulk", "év"),
    `https://es.test:9200/%C3%A9v${BULK}`,
  );
});

const EVENT = toSIEMEvent(parseAuditEvent({
  correlation_id: "c1",
  event_type: "request",
  actor: "a",
  action: "x",
  status: "success",
}));

Deno.test("a full intake URL delivers to each fake SIEM (the path is not doubled)", async () => {
  await using splunk = startFakeSplunk({ token: "hec-token" });
  await using datadog = startFakeDatadog({ apiKey: "dd-key" });
  await using elastic = startFakeElasticsearch({});
  const cases: [SIEMConfigInput, () => number][] = [
    [{
      platform: "splunk",
      endpoint: `${splunk.url}/services/collector/event`,
      token: "hec-token",
    }, () => splunk.events.length],
    [{
      platform: "datadog",
      endpoint: `${datadog.url}/api/v2/logs`,
      token: "dd-key",
    }, () => datadog.logs.length],
    [
      {
        platform: "elasticsearch",
        endpoint: `${elastic.url}/harombe-security/_bulk`,
      },
      () => elastic.documents.length,
    ],
  ];
  for (const [config, delivered] of cases) {
    const { verdict } = await createExporter(config).send([EVENT]);
    assert.equal(
      verdict.kind,
      "delivered",
      `${config.platform}: ${JSON.stringify(verdict)}`,
    );
    assert.equal(delivered(), 1, config.platform);
  }
});
