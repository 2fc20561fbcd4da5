/**
 * Audit events from LogTape loggers without glue code: {@linkcode auditSink}
 * is a LogTape sink that turns the records of an audit category into audit
 * events for a `SIEMIntegrator`. Import from `@harombe/siem/logtape`; LogTape
 * itself is not a dependency (its records are typed structurally).
 *
 * @example Routing the audit category to the SIEMs
 * ```ts ignore
 * import { configure, getLogger } from "@logtape/logtape";
 * import { SIEMIntegrator } from "@harombe/siem";
 * import { auditSink } from "@harombe/siem/logtape";
 *
 * const integrator = new SIEMIntegrator([
 *   { platform: "datadog", endpoint: "https://http-intake.logs.datadoghq.com", token: "dd-key" },
 * ]);
 * await configure({
 *   sinks: { siem: auditSink({ integrator }) },
 *   loggers: [{ category: ["audit"], sinks: ["siem"], lowestLevel: "info" }],
 * });
 * getLogger(["audit", "billing"]).info("Refund {amount} granted", {
 *   amount: 40,
 *   actor: "alice",
 * });
 * ```
 *
 * @module
 */
export {
  auditSink,
  type AuditSinkOptions,
  type LogTapeRecord,
  type LogTapeSink,
} from "./logtape_sink.ts";
