/**
 * The `schema` option: which platform carries which schema, the config
 * error for one it cannot, the server's variables, and the document each
 * exporter's envelope carries in place of the SIEM event.
 */
import assert from "node:assert/strict";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import type { SIEMConfigInput } from "../../src/platforms/config_types.ts";
import { SIEM_PLATFORMS } from "../../src/platforms/platform.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { schemasOf, SIEM_SCHEMAS } from "../../src/schemas/siem_schema.ts";
import { serverConfig } from "../../src/ingest/server_config.ts";
import { toECS } from "../../src/schemas/ecs.ts";
import { toOCSF } from "../../src/schemas/ocsf.ts";
import { toCIM } from "../../src/schemas/cim.ts";
import { toDatadogAttributes } from "../../src/schemas/datadog_attributes.ts";
import { eventTable } from "./_events.ts";

const CARRIED: Record<string, string[]> = {
  splunk: ["native", "ocsf", "cim"],
  elasticsearch: ["native", "ecs", "ocsf"],
  opensearch: ["native", "ecs", "ocsf"],
  datadog: ["native", "ocsf", "datadog"],
  sentinel: ["native"],
  http: ["native", "ecs", "ocsf"],
  google_secops: ["native"],
};

/** A config of `platform` that parses: Sentinel needs its app registration, Google SecOps its key. */
function configOf(
  platform: string,
): Pick<SIEMConfigInput, "sentinel" | "googleSecOps"> {
  if (platform === "google_secops") {
    return {
      googleSecOps: {
        credentials: {
          client_email: "w@p.iam.gserviceaccount.com",
          private_key:
            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
        },
        project: "test-project",
        location: "us",
        instance: "ebdc4bb9-878b-11e7-8455-10604b7cb5c1",
        logType: "HAROMBE_AUDIT",
      },
    };
  }
  return platform === "sentinel"
    ? {
      sentinel: {
        tenantId: "00000000-0000-0000-0000-000000000001",
        clientId: "00000000-0000-0000-0000-000000000002",
        clientSecret: "secret-value-0123456789",
        dcrImmutableId: "dcr-00000000000000000000000000000001",
      },
    }
    : {};
}

Deno.test("schema: each platform takes its schemas and refuses the others by name", () => {
  for (const platform of SIEM_PLATFORMS) {
    for (const schema of SIEM_SCHEMAS) {
      const input = {
        platform,
        endpoint: "https://siem.example.com",
        schema,
        ...configOf(platform),
      };
      if (CARRIED[platform]!.includes(schema)) {
        assert.equal(parseSIEMConfig(input).schema, schema);
      } else {
        assert.throws(() => parseSIEMConfig(input), {
          name: "SIEMConfigError",
          message:
            `Cannot use SIEM config "${platform}": schema "${schema}" cannot be sent to ${platform}: use one of ${
              CARRIED[platform]!.join(", ")
            }`,
        });
      }
    }
    assert.deepEqual(schemasOf(platform), CARRIED[platform]);
  }
});

Deno.test("schema: Sentinel, and a platform whose exporter maps no schema, carry only native", () => {
  assert.deepEqual(schemasOf("sentinel"), ["native"]);
  assert.deepEqual(schemasOf("a-platform-added-later"), ["native"]);
});

Deno.test("schema: an unknown schema is refused with the list", () => {
  assert.throws(
    () =>
      parseSIEMConfig({
        platform: "splunk",
        endpoint: "https://splunk.example.com:8088",
        // deno-lint-ignore no-explicit-any
        schema: "leef" as any,
      }),
    /schema must be one of native, ecs, ocsf, cim, datadog/,
  );
});

Deno.test("schema: the server takes SIEM_<PLATFORM>_SCHEMA and SIEM_DESTINATIONS' schema", () => {
  const config = serverConfig({
    SIEM_ELASTICSEARCH_URL: "https://es.example.com:9200",
    SIEM_ELASTICSEARCH_SCHEMA: "ecs",
    SIEM_DESTINATIONS: JSON.stringify([
      { platform: "splunk", endpoint: "https://hec:8088", schema: "cim" },
    ]),
  });
  assert.deepEqual(
    config.destinations.map((d) => parseSIEMConfig(d).schema),
    ["cim", "ecs"],
  );
  assert.throws(
    () => serverConfig({ SIEM_DATADOG_SCHEMA: "ocsf" }),
    /SIEM_DATADOG_SCHEMA is set but there is no datadog destination/,
  );
});

const event = eventTable().find((c) => c.name === "security_decision/denied")!
  .event;

Deno.test("schema: native keeps today's bytes on every platform", () => {
  // Google SecOps dates each Log's collectionTime at the moment of
  // formatting: two formattings may be a millisecond apart.
  const undated = (body: string): string =>
    body.replace(/"collectionTime":"[^"]*"/g, '"collectionTime":""');
  for (const platform of SIEM_PLATFORMS) {
    const endpoint = "https://siem.example.com";
    assert.equal(
      undated(
        createExporter({
          platform,
          endpoint,
          schema: "native",
          ...configOf(platform),
        }).formatBatch([event]),
      ),
      undated(
        createExporter({ platform, endpoint, ...configOf(platform) })
          .formatBatch([event]),
      ),
    );
  }
});

Deno.test("schema: Splunk's HEC event is the CIM or OCSF document, the envelope unchanged", () => {
  for (
    const [schema, doc] of [["cim", toCIM(event)], [
      "ocsf",
      toOCSF(event),
    ]] as const
  ) {
    const body = JSON.parse(
      createExporter({
        platform: "splunk",
        endpoint: "https://hec:8088",
        schema,
      }).formatBatch([event]),
    );
    assert.deepEqual(body, {
      time: Date.parse(event.timestamp) / 1000,
      source: "harombe",
      sourcetype: "harombe:security",
      index: "harombe-security",
      event: JSON.parse(JSON.stringify(doc)),
    });
  }
});

Deno.test("schema: the bulk document is the ECS document, or OCSF with @timestamp first", () => {
  for (const platform of ["elasticsearch", "opensearch"] as const) {
    const ecs = createExporter({
      platform,
      endpoint: "https://es:9200",
      schema: "ecs",
    }).formatBatch([event]);
    const [action, source, end] = ecs.split("\n");
    assert.equal(end, "");
    assert.deepEqual(JSON.parse(action!), {
      create: { _id: "evt-security_decision-denied" },
    });
    assert.equal(source, JSON.stringify(toECS(event)));
    const ocsf = createExporter({
      platform,
      endpoint: "https://es:9200",
      schema: "ocsf",
    }).formatBatch([event]).split("\n")[1]!;
    assert.equal(
      ocsf,
      JSON.stringify({ "@timestamp": event.timestamp, ...toOCSF(event) }),
    );
  }
});

Deno.test("schema: Datadog's standard attributes at the top, OCSF under ocsf, the reserved ones kept", () => {
  const datadog = JSON.parse(
    createExporter({
      platform: "datadog",
      endpoint: "https://http-intake.logs.datadoghq.eu",
      schema: "datadog",
    }).formatBatch([event]),
  )[0];
  const envelope = {
    ddsource: "harombe",
    ddtags: "event_type:security_decision",
    service: "harombe",
    message: "security_decision: agent-7 delete_file shell -> denied",
    status: "warning",
    timestamp: event.timestamp,
  };
  assert.deepEqual(datadog, {
    ...envelope,
    ...JSON.parse(JSON.stringify(toDatadogAttributes(event))),
  });
  const ocsf = JSON.parse(
    createExporter({
      platform: "datadog",
      endpoint: "https://http-intake.logs.datadoghq.eu",
      schema: "ocsf",
    }).formatBatch([event, event]),
  );
  assert.equal(ocsf.length, 2);
  assert.deepEqual(ocsf[0], {
    ...envelope,
    ocsf: JSON.parse(JSON.stringify(toOCSF(event))),
  });
});

Deno.test("schema: the generic HTTP destination sends each event as its ECS or OCSF document", () => {
  for (
    const [schema, doc] of [["ecs", toECS(event)], [
      "ocsf",
      toOCSF(event),
    ]] as const
  ) {
    const body = createExporter({
      platform: "http",
      endpoint: "https://hooks.example.com/in",
      schema,
      http: { framing: "ndjson" },
    }).formatBatch([event, event]);
    assert.deepEqual(
      body.split("\n").filter(Boolean).map((line) => JSON.parse(line)),
      [doc, doc],
    );
  }
});
