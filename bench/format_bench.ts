/**
 * Formatting 1000 SIEM events to the exact request bytes of each platform,
 * beside the floor: one `JSON.stringify` + `TextEncoder` of the same events;
 * and the same with `schema: "ecs"` and `"ocsf"` beside `"native"`.
 *
 * Run: deno task bench
 */
import { parseAuditEvent } from "../src/events/audit_event.ts";
import { toSIEMEvent } from "../src/events/siem_event.ts";
import { createExporter } from "../src/platforms/create_exporter.ts";
import type { Exporter } from "../src/platforms/exporter.ts";
import type { Compression } from "../src/platforms/siem_config.ts";
import { realisticEvents } from "../tests/fixtures/events.ts";

const events = realisticEvents(1000).map((event) =>
  toSIEMEvent(parseAuditEvent(event))
);
const encoder = new TextEncoder();
let sink = 0;

function exporters(compression: Compression): Exporter[] {
  return [
    createExporter({
      platform: "splunk",
      endpoint: "http://127.0.0.1:8088",
      token: "t",
      host: "web-1",
      compression,
    }),
    createExporter({
      platform: "elasticsearch",
      endpoint: "http://127.0.0.1:9200",
      token: "k",
      compression,
    }),
    createExporter({
      platform: "datadog",
      endpoint: "http://127.0.0.1:8282",
      token: "k",
      tags: ["env:prod"],
      host: "web-1",
      compression,
    }),
  ];
}

// Each platform gets its own group with the floor measured right before it,
// so that garbage left by one benchmark does not tilt another's ratio.
for (const exporter of exporters("none")) {
  const group = `format 1000 ${exporter.platform}`;
  Deno.bench({
    name: `floor: JSON.stringify + TextEncoder (${exporter.platform} group)`,
    group,
    baseline: true,
    fn(): void {
      sink += encoder.encode(JSON.stringify(events)).length;
    },
  });
  Deno.bench({
    name: `${exporter.platform}: request bytes of 1000 events`,
    group,
    async fn(): Promise<void> {
      sink += (await exporter.prepare(events)).body.length;
    },
  });
}

for (const exporter of exporters("gzip")) {
  const group = `format 1000 gzip ${exporter.platform}`;
  Deno.bench({
    name: `floor + gzip (${exporter.platform} group)`,
    group,
    baseline: true,
    async fn(): Promise<void> {
      const stream = new Blob([encoder.encode(JSON.stringify(events))])
        .stream().pipeThrough(new CompressionStream("gzip"));
      sink += (await new Response(stream).arrayBuffer()).byteLength;
    },
  });
  Deno.bench({
    name: `${exporter.platform}: gzipped request bytes of 1000 events`,
    group,
    async fn(): Promise<void> {
      sink += (await exporter.prepare(events)).body.length;
    },
  });
}

// The schemas (issue 14): ECS and OCSF on Elasticsearch, beside the native
// document and the floor, in a group of their own. The mapping must not cost
// more than the formatting it feeds: within 2x of the floor.
{
  const group = "format 1000 elasticsearch schemas";
  Deno.bench({
    name: "floor: JSON.stringify + TextEncoder (schemas group)",
    group,
    baseline: true,
    fn(): void {
      sink += encoder.encode(JSON.stringify(events)).length;
    },
  });
  for (const schema of ["native", "ecs", "ocsf"] as const) {
    const exporter = createExporter({
      platform: "elasticsearch",
      endpoint: "http://127.0.0.1:9200",
      token: "k",
      schema,
    });
    Deno.bench({
      name: `elasticsearch schema ${schema}: request bytes of 1000 events`,
      group,
      async fn(): Promise<void> {
        sink += (await exporter.prepare(events)).body.length;
      },
    });
  }
}

globalThis.addEventListener("unload", () => {
  if (sink === -1) throw new Error("unreachable: keeps the work observable");
});
