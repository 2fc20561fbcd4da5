/**
 * Regression test: whether a Datadog log is too large must not depend on
 * its place in the batch.
 *
 * Found while sizing the chaos run's oversize events: `Destination`
 * measures an event as the bytes `writeEvent` added to the body, and the
 * Datadog exporter writes the comma that separates a log from the previous
 * one inside `writeEvent`. A log of exactly `DATADOG_MAX_LOG_BYTES`
 * (1,000,000 bytes, which Datadog and the fake take without truncating) is
 * sent when it is first in its batch, and dead-lettered as "log is 1000001
 * bytes, above Datadog's 1000000-byte limit" when it is not.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SIEMIntegrator } from "../../src/delivery/integrator.ts";
import {
  type AuditEventInput,
  parseAuditEvent,
} from "../../src/events/audit_event.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import {
  DATADOG_MAX_LOG_BYTES,
  DatadogExporter,
} from "../../src/platforms/datadog.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { startFakeDatadog } from "../fakes/fake_datadog.ts";
import { deadLetterSink, MemoryLogger, TOKENS } from "../support/receivers.ts";

const encoder = new TextEncoder();

Deno.test("Datadog: a log of exactly the 1 MB limit is sent whatever its place in the batch", async () => {
  await using datadog = startFakeDatadog({ apiKey: TOKENS.datadog });
  const config = {
    platform: "datadog" as const,
    endpoint: datadog.url,
    token: TOKENS.datadog,
  };
  const exporter = new DatadogExporter(parseSIEMConfig(config));
  const base: AuditEventInput = {
    correlation_id: "corr-1",
    event_type: "request",
    actor: "agent-1",
    action: "read_file",
    status: "success",
    timestamp: new Date().toISOString(),
  };
  const sized = (id: string, blob: number): AuditEventInput => ({
    ...base,
    event_id: id,
    metadata: { blob: "x".repeat(blob) },
  });
  const logBytes = (event: AuditEventInput): number =>
    encoder.encode(exporter.formatEvent(toSIEMEvent(parseAuditEvent(event))))
      .length;
  // Same-length ids, so both logs have the same size.
  let blob = DATADOG_MAX_LOG_BYTES - 1000;
  blob += DATADOG_MAX_LOG_BYTES - logBytes(sized("edge-1", blob));
  const first = sized("edge-1", blob);
  const second = sized("edge-2", blob);
  assert.equal(logBytes(first), DATADOG_MAX_LOG_BYTES);
  assert.equal(logBytes(second), DATADOG_MAX_LOG_BYTES);

  const sink = deadLetterSink();
  await using integrator = new SIEMIntegrator([config], {
    autoFlush: false,
    logger: new MemoryLogger(),
    onDeadLetter: sink.onDeadLetter,
  });
  // Alone (first in its batch): sent.
  integrator.exportEvent(first);
  await integrator.flushAll();
  // Second in its batch, after a small log: must be sent too.
  integrator.exportEvent({ ...base, event_id: "small-1" });
  integrator.exportEvent(second);
  await integrator.flushAll();

  assert.deepEqual(
    sink.letters.map((letter) => letter.reason),
    [],
    "a 1,000,000-byte log was dead-lettered when it was not first in its batch",
  );
  assert.deepEqual(
    datadog.logs.map((log) => (log.audit as { event_id: string }).event_id),
    ["edge-1", "small-1", "edge-2"],
  );
  assert.equal(datadog.truncatedLogs, 0);
});
