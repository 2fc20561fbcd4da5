/**
 * Ingest tokens read from a Workers KV entry, per request with a short
 * cache, so that revoking a producer takes effect in every isolate within
 * the cache time and without a deployment.
 *
 * @module
 */
import {
  parseTokenList,
  type ProducerToken,
  ProducerTokens,
} from "../../ingest/producer_tokens.ts";
import { reloadTokens } from "../../ingest/token_reload.ts";

/** The part of a Workers KV namespace binding the token source reads. */
export interface KvTokenNamespace {
  /** The entry's text, or null when there is none. */
  get(key: string): Promise<string | null>;
}

/** Whether a binding is a KV namespace (has `get`). */
export function isKvNamespace(value: unknown): value is KvTokenNamespace {
  return typeof value === "object" && value !== null &&
    typeof (value as { get?: unknown }).get === "function" &&
    typeof (value as { put?: unknown }).put === "function";
}

/** Options of {@linkcode kvTokenSource}. */
export interface KvTokenSourceOptions {
  /** The entry's key. */
  key: string;
  /** How long a read is used before the next, in ms. */
  cacheMs: number;
  /** The clock. */
  clock: { now(): number };
  /** Where reload outcomes and failures go. */
  log: (line: string) => void;
}

/** Tokens that follow a KV entry. */
export interface KvTokenSource {
  /**
   * The tokens, read again when the last read is older than the cache
   * time. A failed read or a malformed entry keeps the tokens in use (and
   * logs why); only the first read's failure rejects.
   */
  current(kv: KvTokenNamespace): Promise<ProducerTokens>;
}

/**
 * Parses a KV entry: a JSON array as the config file's `ingestTokens`, or
 * the `INGEST_TOKENS` format (`name:token,…`).
 *
 * @param text The entry.
 * @returns The token entries.
 * @throws {TypeError} When it is neither.
 */
export function parseTokenEntry(
  text: string | null,
): (string | ProducerToken)[] {
  if (text === null) throw new TypeError("the KV entry is missing");
  if (!text.trimStart().startsWith("[")) return parseTokenList(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text: never a token in a log.
    throw new TypeError("the KV entry is not valid JSON");
  }
  if (!Array.isArray(value)) {
    throw new TypeError("the KV entry must be a JSON array");
  }
  return value;
}

/**
 * A token source over a KV entry.
 *
 * @param options The key, cache time, clock and log.
 * @returns The source.
 */
export function kvTokenSource(options: KvTokenSourceOptions): KvTokenSource {
  let tokens: ProducerTokens | undefined;
  let readAt = -Infinity;
  let reading: Promise<ProducerTokens> | undefined;
  // Why the first read failed, kept for the cache time as tokens would be.
  let failure: { error: unknown } | undefined;
  const read = async (kv: KvTokenNamespace): Promise<ProducerTokens> => {
    const load = async () => parseTokenEntry(await kv.get(options.key));
    if (tokens === undefined) {
      const first = new ProducerTokens(await load(), "ingestTokens");
      if (first.size === 0) throw new TypeError("the KV entry has no token");
      tokens = first;
    } else {
      await reloadTokens(tokens, load, options.log);
    }
    return tokens;
  };
  return {
    current(kv: KvTokenNamespace): Promise<ProducerTokens> {
      const now = options.clock.now();
      if (now - readAt < options.cacheMs) {
        if (tokens !== undefined) return Promise.resolve(tokens);
        if (failure !== undefined) return Promise.reject(failure.error);
      }
      // One read at a time; a failed one is retried after the cache time
      // too, so that a missing entry does not cost a read per request.
      return reading ??= read(kv).then((read) => {
        failure = undefined;
        return read;
      }, (error) => {
        failure = { error };
        throw error;
      }).finally(() => {
        readAt = options.clock.now();
        reading = undefined;
      });
    },
  };
}
