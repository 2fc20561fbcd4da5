/**
 * A Deno KV store seen through `KvLike`, counting the transactions
 * committed: for the tests that check how many writes the spool makes.
 *
 * @module
 */
import type { KvAtomicLike, KvLike } from "../../src/spool/kv_like.ts";

/** The store, and how many transactions were committed through it. */
export interface CountingKv {
  /** The store as the spool takes it. */
  kv: KvLike;
  /** Transactions committed so far. */
  commits(): number;
}

/** Wraps a store so that its commits are counted. */
export function countingKv(kv: Deno.Kv): CountingKv {
  let commits = 0;
  return {
    kv: {
      get: (key) => kv.get(key),
      list: (selector, options) => kv.list(selector, options),
      atomic: (): KvAtomicLike => {
        const op = kv.atomic();
        const commit = op.commit.bind(op);
        op.commit = () => {
          commits++;
          return commit();
        };
        return op as unknown as KvAtomicLike;
      },
    },
    commits: () => commits,
  };
}
