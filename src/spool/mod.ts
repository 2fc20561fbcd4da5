/**
 * Durable delivery: spools that hold accepted events in a store that
 * survives a crash until each destination has them. Import from
 * `@harombe/siem/spool`; the store is given as a structural
 * {@linkcode KvLike} (`Deno.Kv` fits), so no type here needs Deno's.
 *
 * @module
 */
export {
  KvSpool,
  type KvSpoolOptions,
  type SpoolCommitExtras,
  type SpoolStopReport,
  type StoredDeadLetter,
} from "./kv_spool.ts";
export type {
  KvAtomicLike,
  KvEntryLike,
  KvKey,
  KvKeyPart,
  KvLike,
  KvMaybeEntryLike,
} from "./kv_like.ts";
