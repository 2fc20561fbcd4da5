/**
 * Destination names are unique within one integrator, spool or consumer:
 * stats, dead letters and queue messages are keyed by them.
 *
 * @module
 */
import { SIEMConfigError } from "./siem_config.ts";

/**
 * Throws when a destination name is taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertNameFree } from "./destination_name.ts";
 *
 * const names = new Set(["splunk"]);
 * assertNameFree(names, "elasticsearch");
 * assert.throws(() => assertNameFree(names, "splunk"), /name "splunk" is taken/);
 * ```
 *
 * @param taken The names in use.
 * @param name The new destination's name.
 * @throws {SIEMConfigError} When `name` is in use.
 */
export function assertNameFree(
  taken: { has(name: string): boolean },
  name: string,
): void {
  if (!taken.has(name)) return;
  throw new SIEMConfigError(JSON.stringify(name), [{
    path: "name",
    message: `${
      JSON.stringify(name)
    } is taken by another destination (set a different "name")`,
  }]);
}
