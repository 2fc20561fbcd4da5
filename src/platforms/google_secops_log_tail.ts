/**
 * The end of each Google SecOps `Log`: its namespace and ingestion labels.
 *
 * @module
 */
import { utf8 } from "./body_writer.ts";
import type { GoogleSecOpsConfig } from "./google_secops_config.ts";

/**
 * The bytes that close one `Log`: `environmentNamespace` and `labels` (each a
 * `LogLabel` `{value}`, keys sorted), then `}`. A producer's stamp is a label
 * of its own, `producer`, beside the configured ones: the ingest sets it from
 * the token, Chronicle indexes ingestion labels, and the event cannot write
 * one (a configured label of that name gives way to the stamp).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logTail } from "./google_secops_log_tail.ts";
 *
 * const tail = logTail({ namespace: "prod", labels: { team: "sec" } }, "billing");
 * assert.equal(
 *   new TextDecoder().decode(tail),
 *   ',"environmentNamespace":"prod","labels":{"producer":{"value":"billing"},"team":{"value":"sec"}}}',
 * );
 * ```
 *
 * @param secops The destination's namespace and labels.
 * @param producer The event's producer stamp, if any.
 * @returns The tail's UTF-8 bytes.
 */
export function logTail(
  secops: Pick<GoogleSecOpsConfig, "namespace" | "labels">,
  producer: string | undefined,
): Uint8Array {
  const labels: Record<string, string> = producer === undefined
    ? secops.labels
    : { ...secops.labels, producer };
  let tail = secops.namespace === undefined
    ? ""
    : `,"environmentNamespace":${JSON.stringify(secops.namespace)}`;
  const keys = Object.keys(labels).sort();
  if (keys.length > 0) {
    tail += `,"labels":{${
      keys.map((key) =>
        `${JSON.stringify(key)}:{"value":${JSON.stringify(labels[key])}}`
      ).join(",")
    }}`;
  }
  return utf8(tail + "}");
}
