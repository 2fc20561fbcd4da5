/**
 * The logger the integrator, the spools and the ingest app write to.
 *
 * @module
 */

/**
 * Where the integrator writes what it cannot report otherwise; never given a credential.
 *
 * @example A logger that keeps what it is told
 * ```ts
 * import type { Logger } from "@harombe/siem";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const logger: Logger = {
 *   warn: (message) => lines.push(`warn: ${message}`),
 *   error: (message) => lines.push(`error: ${message}`),
 * };
 * logger.warn("Splunk is slow");
 * assert.deepEqual(lines, ["warn: Splunk is slow"]);
 * ```
 */
export interface Logger {
  /** Something went wrong but delivery goes on. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Events were lost from a destination's point of view, or a callback failed. */
  error(message: string, fields?: Record<string, unknown>): void;
}
