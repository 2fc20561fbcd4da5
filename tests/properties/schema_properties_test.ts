/**
 * Properties of the schema mappings, for any valid event: the mapped
 * document carries every field of the SIEM event (each at its standard
 * place, or in the schema's place for extra data), and the mapping is
 * deterministic.
 */
import assert from "node:assert/strict";
import fc from "npm:fast-check@4.11.0";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import { toECS } from "../../src/schemas/ecs.ts";
import { toOCSF } from "../../src/schemas/ocsf.ts";
import { toCIM } from "../../src/schemas/cim.ts";
import { DatadogExporter } from "../../src/platforms/datadog.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { validAuditEvent } from "./_audit_arbitraries.ts";
import { fcParams } from "./_fc_params.ts";

const params = fcParams(300);

// Any valid event, sometimes stamped with a named producer (names as
// producer_tokens.ts allows them), sometimes re-timed as `agedEvents:
// "send_as_now"` does.
const siemEvent: fc.Arbitrary<SIEMEvent> = fc.tuple(
  validAuditEvent(),
  fc.boolean(),
  fc.string(),
  fc.option(fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/), { nil: undefined }),
).map(([c, aged, source, producer]) => {
  const event = toSIEMEvent(parseAuditEvent(c.input), {
    source: source === "" ? "harombe" : source,
    producer,
  });
  return aged
    ? {
      ...event,
      timestamp: "2026-01-31T12:00:00.000Z",
      original_timestamp: event.timestamp,
    }
    : event;
});

// The JSON each mapped document is sent as, read back: what the SIEM gets.
const wire = <T>(doc: T): T => JSON.parse(JSON.stringify(doc));

const nanos = (ns: number | undefined, ms: number | undefined) =>
  ns === undefined
    ? ms
    : (assert.equal(BigInt(ns) % 1_000_000n, 0n),
      Number(BigInt(ns) / 1_000_000n));

/** Where each field of the SIEM event lands, per schema. */
const PLACES: Record<
  string,
  // deno-lint-ignore no-explicit-any
  (doc: any, event: SIEMEvent) => Record<keyof SIEMEvent, unknown>
> = {
  ecs: (d) => ({
    event_id: d.event.id,
    correlation_id: d.labels.correlation_id,
    session_id: d.labels.session_id,
    timestamp: d["@timestamp"],
    event_type: d.event.code,
    actor: d.user.name,
    tool_name: d.gen_ai?.tool.name,
    action: d.event.action,
    metadata: d.harombe.metadata,
    duration_ms: nanos(d.event.duration, d.harombe.duration_ms),
    status: d.labels.status,
    error_message: d.error?.message,
    source: d.event.provider,
    severity: d.log.level,
    original_timestamp: d.harombe.original_timestamp,
    producer: d.labels.producer,
  }),
  ocsf: (d) => ({
    event_id: d.metadata.uid,
    correlation_id: d.metadata.correlation_uid,
    session_id: d.actor.session?.uid,
    timestamp: new Date(d.time).toISOString(),
    event_type: d.unmapped.event_type,
    actor: d.actor.user.name,
    tool_name: d.api.service?.name,
    action: d.api.operation,
    metadata: d.unmapped.metadata,
    duration_ms: d.duration,
    status: d.status_code,
    error_message: d.status_detail,
    source: d.metadata.product.name,
    severity: ({ 1: "info", 3: "warning", 4: "error" } as const)[
      d.severity_id as 1 | 3 | 4
    ],
    original_timestamp: d.metadata.original_time,
    producer: d.src_endpoint.svc_name,
  }),
  cim: (d) => ({
    event_id: d.event_id,
    correlation_id: d.correlation_id,
    session_id: d.session_id,
    timestamp: d.timestamp,
    event_type: d.event_type,
    actor: d.user,
    tool_name: d.object,
    action: d.command,
    metadata: d.metadata,
    duration_ms: d.duration_ms,
    status: d.result_id,
    // A decision without an error message has its verdict in `result`.
    error_message: d.event_type === "security_decision" &&
        (d.result === "allowed" || d.result === "denied")
      ? undefined
      : d.result,
    source: d.vendor_product,
    severity: d.severity,
    original_timestamp: d.original_timestamp,
    producer: d.producer,
  }),
  // The whole log: the envelope's reserved attributes carry time, source
  // and severity.
  datadog: (d) => ({
    event_id: d.audit.event_id,
    correlation_id: d.audit.correlation_id,
    session_id: d.audit.session_id,
    timestamp: d.timestamp,
    event_type: d.audit.event_type,
    actor: d.usr.id,
    tool_name: d.audit.tool_name,
    action: d.evt.name,
    metadata: d.audit.metadata,
    duration_ms: nanos(d.duration, d.audit.duration_ms),
    status: d.audit.status,
    error_message: d.error?.message,
    source: d.ddsource,
    severity: d.status,
    original_timestamp: d.audit.original_timestamp,
    // The stamp beside `audit`, and as a tag.
    producer: d.producer === undefined ||
        d.ddtags.split(",").includes(`producer:${d.producer}`)
      ? d.producer
      : "(no producer tag)",
  }),
};

const datadog = new DatadogExporter(parseSIEMConfig({
  platform: "datadog",
  endpoint: "https://http-intake.logs.datadoghq.eu",
  schema: "datadog",
}));

const MAPPINGS: Record<string, (event: SIEMEvent) => string> = {
  ecs: (event) => JSON.stringify(toECS(event)),
  ocsf: (event) => JSON.stringify(toOCSF(event)),
  cim: (event) => JSON.stringify(toCIM(event)),
  datadog: (event) => datadog.formatEvent(event),
};

function expected(event: SIEMEvent): Record<string, unknown> {
  const all: Record<string, unknown> = {};
  for (
    const key of [
      "event_id",
      "correlation_id",
      "session_id",
      "timestamp",
      "event_type",
      "actor",
      "tool_name",
      "action",
      "metadata",
      "duration_ms",
      "status",
      "error_message",
      "source",
      "severity",
      "original_timestamp",
      "producer",
    ] as const
  ) all[key] = event[key];
  // The SIEM gets the event as JSON: read it back the same way.
  return wire(all);
}

for (const schema of Object.keys(MAPPINGS)) {
  Deno.test(`${schema}: the mapped document carries every field of any valid event`, () => {
    fc.assert(
      fc.property(siemEvent, (event) => {
        const doc = JSON.parse(MAPPINGS[schema]!(event));
        assert.deepEqual(wire(PLACES[schema]!(doc, event)), expected(event));
      }),
      params,
    );
  });

  Deno.test(`${schema}: the mapping is deterministic`, () => {
    fc.assert(
      fc.property(siemEvent, (event) => {
        const first = MAPPINGS[schema]!(event);
        assert.equal(MAPPINGS[schema]!(structuredClone(event)), first);
        assert.equal(MAPPINGS[schema]!(event), first);
      }),
      params,
    );
  });
}
