/**
 * The doctor's diagnosis as text for a terminal.
 *
 * @module
 */
import type { DestinationDiagnosis, DoctorStatus } from "./report.ts";

const MARK: Record<DoctorStatus, string> = {
  ok: "ok  ",
  fail: "FAIL",
  warn: "warn",
  skipped: "skip",
};

/**
 * Writes a diagnosis as lines: the destination, one line per step, and a
 * verdict.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDiagnosis } from "@harombe/siem/doctor";
 *
 * const text = formatDiagnosis({
 *   name: "splunk",
 *   platform: "splunk",
 *   endpoint: "https://splunk.example.com:8088",
 *   canDeliver: true,
 *   checks: [{ step: "connection", status: "ok", message: "splunk.example.com:8088 answers." }],
 * });
 * assert.equal(
 *   text,
 *   "splunk (splunk, https://splunk.example.com:8088)\n" +
 *     "  ok   connection      splunk.example.com:8088 answers.\n" +
 *     "  => can deliver",
 * );
 * ```
 *
 * @param diagnosis What `checkDestination` found.
 * @returns The text, without a final newline.
 */
export function formatDiagnosis(diagnosis: DestinationDiagnosis): string {
  const lines = [
    `${diagnosis.name} (${diagnosis.platform}, ${diagnosis.endpoint})`,
    ...diagnosis.checks.map((check) =>
      `  ${MARK[check.status]} ${check.step.padEnd(15)} ${check.message}`
    ),
    diagnosis.canDeliver
      ? "  => can deliver"
      : "  => cannot deliver: fix the FAIL line above",
  ];
  return lines.join("\n");
}
