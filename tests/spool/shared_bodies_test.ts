import assert from "node:assert/strict";
import { parseAuditEvent } from "../../src/events/audit_event.ts";
import { type SIEMEvent, toSIEMEvent } from "../../src/events/siem_event.ts";
import { systemClock } from "../../src/delivery/clock.ts";
import { KvOutbox } from "../../src/spool/kv_outbox.ts";
import {
  readBodies,
  releaseBodies,
  sweepBodies,
} from "../../src/spool/shared_bodies.ts";
import { realisticEvents } from "../fixtures/events.ts";
import { storedByKind, withKv } from "../support/spool_setup.ts";

function events(count: number, seed: number): SIEMEvent[] {
  return realisticEvents(count, seed).map((e) =>
    toSIEMEvent(parseAuditEvent(e))
  );
}

// What the store holds under the outboxes' prefix, by kind of key.
function stored(kv: Deno.Kv): Promise<Map<string, Deno.KvEntry<unknown>[]>> {
  return storedByKind(kv, "p");
}

Deno.test("readBodies() leaves out a body not wholly stored", async () => {
  await withKv(async (kv) => {
    const outbox = new KvOutbox(kv, "p", systemClock, Math.random);
    await outbox.store(["a", "b"], outbox.group(events(3, 1)));
    const [entry] = (await stored(kv)).get("body")!;
    const id = String(entry!.key[2]);
    // Twelve groups asked at once: more keys than one getMany takes.
    const asked = [{ id, parts: 1 }, { id: "gone", parts: 1 }, {
      id,
      parts: 2,
    }];
    for (let i = 0; i < 10; i++) asked.push({ id: `none-${i}`, parts: 1 });
    const bodies = await readBodies(outbox, asked);
    assert.deepEqual([...bodies.keys()], [id]);
  });
});

Deno.test("releaseBodies() deletes a body once no reference is left, and sweepBodies() those a stop left", async () => {
  await withKv(async (kv) => {
    const outbox = new KvOutbox(kv, "p", systemClock, Math.random);
    await outbox.store(["a", "b"], outbox.group(events(3, 1)));
    await outbox.store(["a", "b"], outbox.group(events(3, 2)));
    const [first, second] = (await stored(kv)).get("refs")!.map((r) =>
      String(r.key[2])
    );
    const release = (id: string) => releaseBodies(outbox, [{ id, parts: 1 }]);
    // Two references left, then one: the body stays.
    assert.equal(await release(first!), 0);
    await kv.atomic().sum(["p", "refs", first!], (1n << 64n) - 1n).commit();
    assert.equal(await release(first!), 0);
    await kv.atomic().sum(["p", "refs", first!], (1n << 64n) - 1n).commit();
    assert.equal(await release(first!), 1);
    let left = await stored(kv);
    assert.deepEqual(left.get("body")!.map((e) => e.key[2]), [second]);
    assert.deepEqual(left.get("refs")!.map((e) => e.key[2]), [second]);
    // The second's last reference settled, its body not deleted (a stop):
    // the sweep deletes it.
    await kv.atomic().sum(["p", "refs", second!], (1n << 64n) - 2n).commit();
    assert.equal(await sweepBodies(outbox), 1);
    left = await stored(kv);
    assert.equal(left.get("body"), undefined);
    assert.equal(left.get("refs"), undefined);
    assert.equal(await sweepBodies(outbox), 0);
  });
});
