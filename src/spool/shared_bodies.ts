/**
 * The bodies of groups stored once for several destinations (see
 * src/spool/kv_keys.ts): read together for a feed, and deleted once no
 * destination refers to them.
 *
 * @module
 */
import type { Logger } from "../delivery/logger.ts";
import { counterValue, type KvKey } from "./kv_like.ts";
import type { KvOutbox } from "./kv_outbox.ts";

/** A shared group's id and its body's part count. */
export interface SharedBody {
  /** The group's id. */
  id: string;
  /** How many parts its body has. */
  parts: number;
}

/** Getting many keys at once: Deno KV reads at most 10 in one call. */
const GET_MANY_KEYS = 10;
/** Bodies deleted in one transaction: a body has at most a dozen parts. */
const BODIES_PER_DELETE = 50;

/**
 * Reads the bodies of shared groups, several keys a read.
 *
 * @example
 * ```ts ignore
 * const bodies = await readBodies(outbox, [{ id, parts: 1 }]);
 * bodies.get(id); // its parts, or undefined when not stored
 * ```
 *
 * @param outbox The storage.
 * @param groups The groups.
 * @returns Each group's parts by id; a group whose body is not (or not
 * wholly) stored is left out.
 */
export async function readBodies(
  outbox: KvOutbox,
  groups: readonly SharedBody[],
): Promise<Map<string, Uint8Array[]>> {
  const keys = groups.flatMap(({ id, parts }) =>
    Array.from(
      { length: parts },
      (_, index) => outbox.keys.body(id, index, parts),
    )
  );
  const values = await getMany(outbox, keys);
  const bodies = new Map<string, Uint8Array[]>();
  let at = 0;
  for (const { id, parts } of groups) {
    const read = values.slice(at, at + parts);
    at += parts;
    if (read.every((value) => value instanceof Uint8Array)) {
      bodies.set(id, read as Uint8Array[]);
    }
  }
  return bodies;
}

/**
 * Deletes the bodies of shared groups no destination refers to any more.
 * A reference count reaches zero once and never rises again: deleting at
 * zero needs no check, and two instances doing it at once do no harm.
 *
 * @example
 * ```ts ignore
 * await releaseBodies(outbox, [{ id, parts: 1 }]); // 1 if it was the last reference
 * ```
 *
 * @param outbox The storage.
 * @param groups The groups whose references were just deleted.
 * @returns How many bodies were deleted.
 */
export async function releaseBodies(
  outbox: KvOutbox,
  groups: readonly SharedBody[],
): Promise<number> {
  if (groups.length === 0) return 0;
  const counts = await getMany(
    outbox,
    groups.map(({ id }) => outbox.keys.refs(id)),
  );
  const free = groups.filter((_, i) =>
    counts[i] !== null && counterValue(counts[i]) === 0
  );
  for (let at = 0; at < free.length; at += BODIES_PER_DELETE) {
    const op = outbox.kv.atomic();
    for (const { id, parts } of free.slice(at, at + BODIES_PER_DELETE)) {
      for (let index = 0; index < parts; index++) {
        op.delete(outbox.keys.body(id, index, parts));
      }
      op.delete(outbox.keys.refs(id));
    }
    await outbox.retry(() => op.commit());
  }
  return free.length;
}

/**
 * Deletes every body no destination refers to any more: those whose last
 * reference was settled by an instance that stopped before it deleted the
 * body.
 *
 * @example
 * ```ts ignore
 * const swept = await sweepBodies(outbox);
 * ```
 *
 * @param outbox The storage.
 * @returns How many bodies were deleted.
 */
export async function sweepBodies(outbox: KvOutbox): Promise<number> {
  const free: SharedBody[] = [];
  for await (const entry of outbox.kv.list({ prefix: outbox.keys.allRefs() })) {
    const id = entry.key[entry.key.length - 1];
    if (typeof id !== "string" || counterValue(entry.value) !== 0) continue;
    let parts = 0;
    for await (
      const body of outbox.kv.list({ prefix: outbox.keys.bodyOf(id) }, {
        limit: 1,
      })
    ) parts = Number(body.key[body.key.length - 1]);
    free.push({ id, parts });
  }
  return await releaseBodies(outbox, free);
}

/**
 * {@linkcode sweepBodies} as a spool's start runs it: what it deleted, or
 * why it could not, is logged (never thrown).
 *
 * @example
 * ```ts ignore
 * const sweep = sweepOnStart(outbox, logger); // stop() awaits it
 * ```
 *
 * @param outbox The storage.
 * @param logger Where the outcome is written.
 * @returns When the sweep is done.
 */
export async function sweepOnStart(
  outbox: KvOutbox,
  logger: Logger,
): Promise<void> {
  try {
    const swept = await sweepBodies(outbox);
    if (swept > 0) {
      logger.warn("spool deleted bodies no destination refers to", { swept });
    }
  } catch (error) {
    logger.warn("spool could not sweep unreferenced bodies", {
      error: String(error),
    });
  }
}

async function getMany(
  outbox: KvOutbox,
  keys: readonly KvKey[],
): Promise<unknown[]> {
  const { kv } = outbox;
  const reads: Promise<readonly { value: unknown }[]>[] = [];
  for (let at = 0; at < keys.length; at += GET_MANY_KEYS) {
    const chunk = keys.slice(at, at + GET_MANY_KEYS);
    reads.push(
      outbox.retry(() =>
        kv.getMany
          ? kv.getMany(chunk)
          : Promise.all(chunk.map((key) => kv.get(key)))
      ),
    );
  }
  return (await Promise.all(reads)).flat().map((entry) => entry.value);
}
