/**
 * A delivery logger that runs the doctor on a destination the first time it
 * fails, so that a server says what to fix instead of only the last error.
 *
 * @module
 */
import type { Logger } from "../delivery/logger.ts";
import type { SIEMConfig } from "../platforms/siem_config.ts";
import { checkDestination } from "./check_destination.ts";
import { formatDiagnosis } from "./format.ts";
import type { CheckDestinationOptions } from "./report.ts";

// What a destination logs when a delivery fails: an answer that shows a
// setup error, or retries that ran out (src/delivery/destination.ts).
const FAILURES = new Set([
  "destination setup error",
  "destination backing off",
]);

/** A logger that also diagnoses failing destinations. */
export interface DiagnosingLogger extends Logger {
  /** Resolves when every diagnosis started so far is printed. */
  idle(): Promise<void>;
}

/**
 * Wraps a logger: everything goes through to it, and the first failed
 * delivery of each destination (a setup error, or retries that ran out)
 * runs `checkDestination` for it once and prints the diagnosis.
 *
 * @param destinations The validated destinations, by name.
 * @param inner The logger that gets every line.
 * @param print Where a diagnosis goes.
 * @param options The doctor's options (`fetch`, time limit).
 * @returns The logger.
 */
export function diagnosingLogger(
  destinations: readonly SIEMConfig[],
  inner: Logger,
  print: (text: string) => void,
  options: CheckDestinationOptions = {},
): DiagnosingLogger {
  const byName = new Map(destinations.map((d) => [d.name, d]));
  const diagnosed = new Set<string>();
  const running = new Set<Promise<void>>();
  const observe = (message: string, fields?: Record<string, unknown>): void => {
    const name = fields?.destination;
    if (!FAILURES.has(message) || typeof name !== "string") return;
    const config = byName.get(name);
    if (config === undefined || diagnosed.has(name)) return;
    diagnosed.add(name);
    const run = checkDestination(config, { ...options, sendTestEvent: false })
      .then(
        (diagnosis) =>
          print(
            `doctor: ${name} failed a delivery; what the doctor finds:\n${
              formatDiagnosis(diagnosis)
            }`,
          ),
        (error: unknown) =>
          inner.warn("doctor could not run", {
            destination: name,
            error: error instanceof Error ? error.message : String(error),
          }),
      )
      .finally(() => running.delete(run));
    running.add(run);
  };
  return {
    warn(message, fields): void {
      inner.warn(message, fields);
      observe(message, fields);
    },
    error(message, fields): void {
      inner.error(message, fields);
      observe(message, fields);
    },
    async idle(): Promise<void> {
      while (running.size > 0) await Promise.all(running);
    },
  };
}
