/**
 * docs/schemas.md shows one security decision in each schema: each JSON
 * block there is what the module produces for that event, so that the page
 * cannot drift from the mappings.
 */
import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { toCIM } from "../../src/schemas/cim.ts";
import { toECS } from "../../src/schemas/ecs.ts";
import { toOCSF } from "../../src/schemas/ocsf.ts";

const page = await Deno.readTextFile(
  new URL("../../docs/schemas.md", import.meta.url),
);

// `<!-- schema: NAME -->` then a ```json block.
function shown(): Map<string, unknown> {
  const blocks = new Map<string, unknown>();
  for (
    const match of page.matchAll(
      /<!-- schema: (\w+) -->\s*```json\n([\s\S]*?)\n```/g,
    )
  ) blocks.set(match[1]!, JSON.parse(match[2]!));
  return blocks;
}

Deno.test("docs/schemas.md: each schema's document is the one the module produces", () => {
  const blocks = shown();
  assert.deepEqual([...blocks.keys()], [
    "native",
    "ecs",
    "ocsf",
    "cim",
    "datadog",
  ]);
  const native = blocks.get("native") as Record<string, unknown>;
  const { source: _source, severity: _severity, ...input } = native;
  const event = toSIEMEvent(parseAuditEvent(input as never));
  const wire = (doc: unknown) => JSON.parse(JSON.stringify(doc));
  assert.deepEqual(native, wire(event));
  assert.deepEqual(blocks.get("ecs"), wire(toECS(event)));
  assert.deepEqual(blocks.get("ocsf"), wire(toOCSF(event)));
  assert.deepEqual(blocks.get("cim"), wire(toCIM(event)));
  const datadog = createExporter(parseSIEMConfig({
    platform: "datadog",
    endpoint: "https://http-intake.logs.datadoghq.eu",
    schema: "datadog",
  }));
  assert.deepEqual(
    blocks.get("datadog"),
    JSON.parse(datadog.formatEvent(event)),
  );
});

Deno.test("docs/schemas.md: the refusal quoted is the config's own message", () => {
  const quoted = /```text\n(Cannot use SIEM config [^\n]+)\n```/.exec(page)
    ?.[1];
  assert.throws(
    () =>
      parseSIEMConfig({
        platform: "splunk",
        endpoint: "https://splunk.example.com:8088",
        schema: "ecs",
      }),
    { message: quoted },
  );
});
