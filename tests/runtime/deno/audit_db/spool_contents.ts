/**
 * Reads what a KV spool's outbox holds, for the importer's tests.
 *
 * @module
 */
import type { SIEMEvent } from "../../../../src/events/siem_event.ts";
import { systemClock } from "../../../../src/delivery/clock.ts";
import { fromParts } from "../../../../src/spool/blob.ts";
import type { KvLike } from "../../../../src/spool/kv_like.ts";
import { KvOutbox } from "../../../../src/spool/kv_outbox.ts";
import { readBodies } from "../../../../src/spool/shared_bodies.ts";

/**
 * Every event in a destination's outbox, in stored order (groups in key
 * order), whether stored whole in the outbox or once for all destinations.
 */
export async function outboxEvents(
  kv: KvLike,
  destination: string,
): Promise<SIEMEvent[]> {
  const outbox = new KvOutbox(kv, "harombe-siem", systemClock, Math.random);
  const events: SIEMEvent[] = [];
  for await (const group of outbox.groups("outbox", destination)) {
    let parts = group.parts;
    if (group.shared) {
      const bodies = await readBodies(outbox, [
        { id: group.id, parts: group.shared.parts },
      ]);
      parts = bodies.get(group.id)!;
    }
    events.push(...fromParts(parts).events);
  }
  return events;
}
