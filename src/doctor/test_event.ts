/**
 * The doctor's test event: one event sent exactly as the destination's
 * exporter sends batches, so that what works here works for deliveries.
 *
 * @module
 */
import { parseAuditEvent } from "../events/audit_event.ts";
import { toSIEMEvent } from "../events/siem_event.ts";
import { createExporter } from "../platforms/create_exporter.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import { type DoctorCheck, fail, ok } from "./report.ts";

/** The `action` of the doctor's test event, to find (or filter) it. */
export const TEST_EVENT_ACTION = "harombe_siem_doctor_test";

/**
 * Sends one test event through the destination's exporter.
 *
 * @param config The destination.
 * @param doFetch The `fetch` to use.
 * @param stepTimeoutMs The time limit (at least 1000 ms, the exporter's floor).
 * @param target Where the event goes, for the message (e.g. `index "main"`).
 * @returns The outcome.
 */
export async function sendTestEvent(
  config: SIEMConfig,
  doFetch: typeof fetch,
  stepTimeoutMs: number,
  target: string,
): Promise<DoctorCheck> {
  const exporter = createExporter({
    ...config,
    timeoutMs: Math.min(120_000, Math.max(1000, stepTimeoutMs)),
  });
  const event = toSIEMEvent(parseAuditEvent({
    correlation_id: "harombe-siem-doctor",
    event_type: "security_decision",
    actor: "harombe-siem-doctor",
    action: TEST_EVENT_ACTION,
    status: "success",
    metadata: { test: true },
  }));
  const { verdict } = await exporter.post(await exporter.prepare([event]), {
    fetch: doFetch,
  });
  if (verdict.kind === "delivered") {
    return ok(
      "test_event",
      `A test event was delivered to ${target} (action "${TEST_EVENT_ACTION}", event_id ${event.event_id}).`,
    );
  }
  const reason = verdict.kind === "partial"
    ? [...verdict.rejected, ...verdict.retry].map((f) => f.reason).join("; ")
    : verdict.reason;
  const setup = verdict.kind === "retry" && verdict.setup
    ? ` ${verdict.setup}.`
    : "";
  return fail(
    "test_event",
    `The test event to ${target} was not delivered: ${reason}.${setup}`,
  );
}
