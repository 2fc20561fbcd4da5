// deno-lint-ignore-file no-console
/**
 * The default logger, writing to the console.
 *
 * @module
 */
import type { Logger } from "./logger.ts";

/**
 * The default logger: `console.warn` and `console.error`, prefixed.
 *
 * @example
 * ```ts
 * import { consoleLogger } from "./console_logger.ts";
 *
 * consoleLogger.warn("destination backing off", { destination: "splunk" });
 * ```
 */
export const consoleLogger: Logger = {
  warn: (message: string, fields?: Record<string, unknown>): void =>
    console.warn(`[harombe-siem] ${message}`, fields ?? ""),
  error: (message: string, fields?: Record<string, unknown>): void =>
    console.error(`[harombe-siem] ${message}`, fields ?? ""),
};
