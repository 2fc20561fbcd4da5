/**
 * Reads what a KV spool's outbox holds, for the importer's tests.
 *
 * @module
 */
import type { SIEMEvent } from "../../../../src/events/siem_event.ts";
import { fromParts } from "../../../../src/spool/blob.ts";
import type { KvLike } from "../../../../src/spool/kv_like.ts";

/** Every event in a destination's outbox, in stored order (groups in key order). */
export async function outboxEvents(
  kv: KvLike,
  destination: string,
): Promise<SIEMEvent[]> {
  const groups = new Map<string, Uint8Array[]>();
  for await (
    const entry of kv.list<Uint8Array>({
      prefix: ["harombe-siem", "outbox", destination],
    })
  ) {
    const id = String(entry.key[4]);
    const parts = groups.get(id) ?? [];
    parts.push(entry.value);
    groups.set(id, parts);
  }
  return [...groups.values()].flatMap((parts) => fromParts(parts).events);
}
