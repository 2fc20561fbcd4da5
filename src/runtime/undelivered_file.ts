/**
 * The NDJSON file a server writes at shutdown with the events it could not
 * deliver, shared by the Deno and Bun entries so that both write the same
 * thing. Web standards only: each entry writes the text with its own file
 * API.
 *
 * @module
 */
import type { StopReport } from "../delivery/export_result.ts";

/**
 * The path of the file of undelivered events: `<dataDir>/undelivered-<time>.ndjson`
 * (the time in ISO 8601 with `-` for `:`, which some file systems refuse).
 *
 * @example
 * ```ts
 * import { undeliveredPath } from "./undelivered_file.ts";
 *
 * console.log(undeliveredPath("./data", new Date(0)));
 * // ./data/undelivered-1970-01-01T00-00-00.000Z.ndjson
 * ```
 *
 * @param dataDir The data directory.
 * @param now The time of the shutdown.
 * @returns The path.
 */
export function undeliveredPath(dataDir: string, now: Date): string {
  return `${dataDir}/undelivered-${
    now.toISOString().replaceAll(":", "-")
  }.ndjson`;
}

/**
 * The file's content: one line `{"destination": name, "event": {...}}` per
 * event a destination could not deliver before the stop deadline.
 *
 * @example
 * ```ts
 * import { undeliveredNdjson } from "./undelivered_file.ts";
 *
 * console.log(undeliveredNdjson({ destinations: [], undeliveredCount: 0 })); // ""
 * ```
 *
 * @param report What the stop left undelivered.
 * @returns NDJSON text, each line ending in a newline.
 */
export function undeliveredNdjson(report: StopReport): string {
  return report.destinations.flatMap((d) =>
    d.undelivered.map((event) =>
      JSON.stringify({ destination: d.result.destination, event }) + "\n"
    )
  ).join("");
}
