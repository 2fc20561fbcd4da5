import assert from "node:assert/strict";
import { Destination } from "../../src/delivery/destination.ts";
import { systemClock } from "../../src/delivery/clock.ts";
import { toSIEMEvent } from "../../src/events/siem_event.ts";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { createExporter } from "../../src/platforms/create_exporter.ts";
import { parseSIEMConfig } from "../../src/platforms/siem_config.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { MemoryLogger, TOKENS } from "../support/receivers.ts";

Deno.test("Destination.close() reports instead of rejecting when delivery throws", async () => {
  await using hec = startFakeSplunk({ token: TOKENS.splunk });
  const logger = new MemoryLogger();
  const destination = new Destination(
    createExporter(parseSIEMConfig({
      platform: "splunk",
      endpoint: hec.url,
      token: TOKENS.splunk,
      batchSize: 2,
    })),
    {
      clock: systemClock,
      random: () => 0,
      logger,
      autoFlush: false,
      // A defect in what a spool does with delivered events.
      onSettled: () => {
        throw new Error(`settling failed near ${TOKENS.splunk}`);
      },
    },
  );
  const events = realisticEvents(4).map((event) =>
    toSIEMEvent(parseAuditEvent(event))
  );
  for (const event of events) destination.enqueue(event, false);
  const report = await destination.close(1000);
  assert.equal(report.result.success, false);
  assert.match(report.result.error ?? "", /^delivery failed: settling failed/);
  assert.ok(!(report.result.error ?? "").includes(TOKENS.splunk));
  // The batch that was sent is gone; the rest is reported.
  assert.deepEqual(
    report.undelivered.map((event) => event.event_id),
    events.slice(2).map((event) => event.event_id),
  );
  assert.ok(
    logger.lines.some((line) =>
      line.includes("delivery failed while stopping")
    ),
  );
});
