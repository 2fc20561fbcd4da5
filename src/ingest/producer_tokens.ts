/**
 * Named producers: which token belongs to whom, when it is valid, and the
 * constant-time check that tells the ingest app who is posting.
 *
 * @module
 */

/**
 * One producer's token, as configured. Give either `token` or `sha256` (the
 * SHA-256 of the token in hex, `printf %s "$TOKEN" | sha256sum`), so that
 * a deployed config need not hold a usable secret.
 */
export interface ProducerToken {
  /** The producer's name: 1 to 64 characters of `A-Z a-z 0-9 . _ -`. */
  name: string;
  /** The token, 16 or more characters of `A-Z a-z 0-9 - . _ ~ + / =`. */
  token?: string | undefined;
  /** The SHA-256 of the token, 64 hex digits. */
  sha256?: string | undefined;
  /** When the token starts being accepted (ISO 8601 time). */
  notBefore?: string | undefined;
  /** When the token stops being accepted (ISO 8601 time). */
  expiresAt?: string | undefined;
}

/** The name given to a token configured without one (a bare token). */
export const DEFAULT_PRODUCER = "default";

const TOKEN = /^[A-Za-z0-9._~+/=-]{16,}$/;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const HEX = /^[0-9a-fA-F]{64}$/;

/** A checked producer token. */
export interface CheckedToken {
  /** The producer's name. */
  readonly name: string;
  /** The token, when given as such. */
  readonly token?: string | undefined;
  /** The token's SHA-256, when given as a hash. */
  readonly sha256?: Uint8Array | undefined;
  /** Start of validity, epoch ms. */
  readonly notBefore: number;
  /** End of validity, epoch ms. */
  readonly expiresAt: number;
}

/**
 * Checks producer tokens: names, token or hash, times, duplicates. Error
 * messages name the entry by position and never quote a token or hash.
 *
 * A bare string is a token of the producer {@linkcode DEFAULT_PRODUCER};
 * several bare tokens (rotation as before named producers) share that
 * name. A name given explicitly may appear more than once only when every
 * entry of it sets `notBefore` or `expiresAt` (a rotation).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkProducerTokens } from "@harombe/siem/ingest";
 *
 * const [checked] = checkProducerTokens([
 *   { name: "billing", token: "billing-token-0123456789" },
 * ], "tokens");
 * assert.equal(checked?.name, "billing");
 * ```
 *
 * @param entries The configured tokens.
 * @param where What to call the list in errors (`INGEST_TOKENS`, `tokens`).
 * @returns The checked tokens.
 * @throws {TypeError} When an entry is malformed.
 */
export function checkProducerTokens(
  entries: readonly (string | ProducerToken)[],
  where: string,
): CheckedToken[] {
  const checked: CheckedToken[] = [];
  const byName = new Map<string, boolean[]>();
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const at = `${where}[${index}]`;
    const spec: ProducerToken = typeof entry === "string"
      ? { name: DEFAULT_PRODUCER, token: entry }
      : entry;
    if (typeof spec !== "object" || spec === null) {
      throw new TypeError(`${at} must be a token or {name, token|sha256}`);
    }
    if (typeof spec.name !== "string" || !NAME.test(spec.name)) {
      throw new TypeError(
        `${at}.name must be 1 to 64 characters of A-Z a-z 0-9 . _ -`,
      );
    }
    if ((spec.token === undefined) === (spec.sha256 === undefined)) {
      throw new TypeError(`${at} must have either token or sha256`);
    }
    if (
      spec.token !== undefined &&
      (typeof spec.token !== "string" || !TOKEN.test(spec.token))
    ) {
      throw new TypeError(
        `${at}${
          typeof entry === "string" ? "" : ".token"
        } must be 16 or more characters of A-Z a-z 0-9 - . _ ~ + / =`,
      );
    }
    if (
      spec.sha256 !== undefined &&
      (typeof spec.sha256 !== "string" || !HEX.test(spec.sha256))
    ) {
      throw new TypeError(
        `${at}.sha256 must be 64 hex digits (printf %s "$TOKEN" | sha256sum)`,
      );
    }
    const notBefore = time(at, "notBefore", spec.notBefore, -Infinity);
    const expiresAt = time(at, "expiresAt", spec.expiresAt, Infinity);
    if (expiresAt <= notBefore) {
      throw new TypeError(`${at}.expiresAt must be later than its notBefore`);
    }
    const secret = spec.token ?? `sha256:${spec.sha256!.toLowerCase()}`;
    if (seen.has(secret)) {
      throw new TypeError(`${at} repeats a token or hash given before it`);
    }
    seen.add(secret);
    const windows = byName.get(spec.name) ?? [];
    windows.push(
      typeof entry === "string" ||
        spec.notBefore !== undefined || spec.expiresAt !== undefined,
    );
    byName.set(spec.name, windows);
    if (windows.length > 1 && windows.includes(false)) {
      throw new TypeError(
        `${at}: duplicate producer name "${spec.name}" (give each of its tokens notBefore or expiresAt to rotate)`,
      );
    }
    checked.push({
      name: spec.name,
      token: spec.token,
      sha256: spec.sha256 === undefined ? undefined : fromHex(spec.sha256),
      notBefore,
      expiresAt,
    });
  });
  return checked;
}

function time(
  at: string,
  field: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const ms = typeof value === "string" ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new TypeError(`${at}.${field} must be an ISO 8601 time`);
  }
  return ms;
}

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

/**
 * Parses `INGEST_TOKENS`: comma-separated `name:token` pairs, or bare
 * tokens (the producer {@linkcode DEFAULT_PRODUCER}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTokenList } from "@harombe/siem/ingest";
 *
 * assert.deepEqual(parseTokenList("billing:billing-token-0123456789"), [
 *   { name: "billing", token: "billing-token-0123456789" },
 * ]);
 * ```
 *
 * @param text The variable's value.
 * @returns The entries (checked later, with the rest).
 */
export function parseTokenList(text: string): (string | ProducerToken)[] {
  return text.split(",").map((t) => t.trim()).filter(Boolean).map((item) => {
    // Tokens have no ":" (see TOKEN), so the first one ends the name.
    const colon = item.indexOf(":");
    return colon === -1
      ? item
      : { name: item.slice(0, colon), token: item.slice(colon + 1) };
  });
}

/** What {@linkcode ProducerTokens.match} found. */
export type TokenMatch =
  | { readonly kind: "accepted"; readonly name: string }
  | { readonly kind: "unknown" }
  | {
    readonly kind: "expired" | "not_yet_valid";
    readonly name: string;
  };

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", encoder.encode(text)),
  );
}

/**
 * The tokens an app accepts now. {@linkcode ProducerTokens.replace} swaps
 * them at run time (a reload), keeping the old ones when the new ones are
 * malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProducerTokens } from "@harombe/siem/ingest";
 *
 * const tokens = new ProducerTokens([
 *   { name: "billing", token: "billing-token-0123456789" },
 * ]);
 * const match = await tokens.match("billing-token-0123456789", Date.now());
 * assert.deepEqual(match, { kind: "accepted", name: "billing" });
 * ```
 */
export class ProducerTokens {
  // The entries and their digests swap together, so that a reload during
  // a check never pairs one list's digests with the other's names.
  #state: {
    entries: CheckedToken[];
    source: string;
    digests?: Promise<Uint8Array[]>;
  };

  /**
   * Checks the tokens (hashing waits for the first request).
   *
   * @param entries The tokens.
   * @param where What to call the list in errors.
   * @throws {TypeError} When an entry is malformed.
   */
  constructor(
    entries: readonly (string | ProducerToken)[],
    where: string = "tokens",
  ) {
    this.#state = {
      entries: checkProducerTokens(entries, where),
      source: JSON.stringify(entries),
    };
  }

  /** How many tokens are configured. */
  get size(): number {
    return this.#state.entries.length;
  }

  /** The producers' names, each once. */
  get names(): string[] {
    return [...new Set(this.#state.entries.map((e) => e.name))];
  }

  /**
   * Replaces the tokens, or throws and keeps the current ones.
   *
   * @param entries The new tokens.
   * @param where What to call the list in errors.
   * @returns False when they are the tokens in use already.
   * @throws {TypeError} When an entry is malformed.
   */
  replace(
    entries: readonly (string | ProducerToken)[],
    where: string = "tokens",
  ): boolean {
    const checked = checkProducerTokens(entries, where);
    const source = JSON.stringify(entries);
    if (source === this.#state.source) return false;
    this.#state = { entries: checked, source };
    return true;
  }

  /**
   * Finds whose token `candidate` is, in time that depends on neither the
   * candidate nor which entry matches: the candidate is hashed with
   * SHA-256 and compared in full with every entry's digest.
   *
   * @param candidate The token presented.
   * @param now The time, epoch ms, for `notBefore` and `expiresAt`.
   * @returns Whose it is and whether it is valid now.
   */
  async match(candidate: string, now: number): Promise<TokenMatch> {
    const state = this.#state;
    const entries = state.entries;
    const digests = await (state.digests ??= Promise.all(
      entries.map((e) => e.sha256 ?? digest(e.token!)),
    ));
    const presented = await digest(candidate);
    let found = -1;
    for (let index = 0; index < digests.length; index++) {
      const expected = digests[index]!;
      let difference = 0;
      for (let i = 0; i < expected.length; i++) {
        difference |= (expected[i] as number) ^ (presented[i] as number);
      }
      // Branch-free select: every entry is compared whatever matched.
      const hit = ((difference - 1) >> 8) & 1;
      found = hit * index + (1 - hit) * found;
    }
    const entry = entries[found];
    if (entry === undefined) return { kind: "unknown" };
    if (now < entry.notBefore) {
      return { kind: "not_yet_valid", name: entry.name };
    }
    if (now >= entry.expiresAt) return { kind: "expired", name: entry.name };
    return { kind: "accepted", name: entry.name };
  }
}
