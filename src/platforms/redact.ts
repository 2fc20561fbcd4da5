/**
 * Taking a credential out of text a SIEM (or a proxy, or an error page)
 * sent back, in every form the text may carry it.
 *
 * @module
 */

/** What replaces a credential, or any 8-character piece of one. */
export const REDACTED = "[redacted]";

// Pieces this long are redacted wherever they appear: a SIEM that echoes
// part of a credential, or a reason cut in the middle of one, keeps no
// more than 7 of its characters.
const PIECE = 8;
// Tokens shorter than this are too short to find reliably; left alone.
const MIN_TOKEN = 4;

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PRINTABLE = /^[\x20-\x7E]+$/;

/**
 * Finds one credential in text, whatever form it was echoed in, and
 * replaces every run of text that spells 8 or more of its characters (or
 * the whole of a shorter credential) with `[redacted]`.
 *
 * The forms read are: as is; JSON-escaped (`\/`, `\"`, `\\`, `\u0041`,
 * escaped once or more); URL-encoded (`%2F`, either case); HTML character
 * references (`&#x2F;`, `&#47;`, `&amp;`…); any mix of these; base64 and
 * base64url of the credential at any offset, so also of `user:token` as
 * Basic authentication sends it; and, for an Elasticsearch API key (base64
 * of `id:key`), the decoded `id:key` and its `key`.
 */
export class Redactor {
  readonly #width: number;
  readonly #pieces = new Set<string>();
  // One bit per value of a piece's hash's top 20 bits.
  readonly #filter = new Uint8Array(1 << (32 - FILTER_SHIFT - 3));
  readonly #power: number;

  /**
   * Prepares the search; nothing is searched yet.
   *
   * @param token The credential (visible ASCII, as configs require).
   */
  constructor(token: string) {
    this.#width = Math.min(PIECE, token.length);
    this.#power = power(this.#width);
    if (token.length < MIN_TOKEN) return;
    for (const secret of forms(token)) {
      for (let i = 0; i + this.#width <= secret.length; i++) {
        const piece = secret.slice(i, i + this.#width);
        this.#pieces.add(piece);
        const slot = hashOf(piece) >>> FILTER_SHIFT;
        this.#filter[slot >>> 3]! |= 1 << (slot & 7);
      }
    }
  }

  /**
   * Replaces the credential in `text`.
   *
   * @param text Any text.
   * @returns The text without the credential.
   */
  redact(text: string): string {
    if (this.#pieces.size === 0 || text.length < this.#width) return text;
    // Decoded first, so that an escaped credential is one run (a raw pass
    // first would cut it where it has plain pieces); then as is, for a
    // credential that itself looks like an escape.
    let result = text;
    if (/[\\%&]/.test(text)) {
      // A quick look at the decoded text; the units are worked out only
      // when it holds a piece of the credential.
      const decoded = text.replace(ESCAPE, (escape) => {
        const unit = unitAt(escape, 0);
        return unit?.length === escape.length
          ? String.fromCharCode(unit.code)
          : escape;
      });
      if (decoded !== text && this.#cover(decoded)) {
        result = this.#redactUnits(text);
      }
    }
    const covered = this.#cover(result);
    return covered ? replaceRuns(result, covered, (i) => i) : result;
  }

  // Which characters of `text` belong to a piece of the credential, or
  // undefined when none does: a rolling hash over each window of `width`
  // characters, looked up in a bitmap, then checked against the pieces.
  #cover(
    text: string | Uint16Array,
    length = text.length,
  ): Uint8Array | undefined {
    const width = this.#width;
    const power = this.#power;
    const filter = this.#filter;
    const isString = typeof text === "string";
    let covered: Uint8Array | undefined;
    let hash = 0;
    for (let i = 0; i < length; i++) {
      const code = isString ? text.charCodeAt(i) : text[i] as number;
      if (i >= width) {
        const out = isString
          ? text.charCodeAt(i - width)
          : text[i - width] as number;
        hash = (hash - Math.imul(out, power)) | 0;
      }
      hash = (Math.imul(hash, BASE) + code) | 0;
      const slot = hash >>> FILTER_SHIFT;
      if (i + 1 < width || !(filter[slot >>> 3]! & (1 << (slot & 7)))) continue;
      const first = i + 1 - width;
      const piece = isString
        ? text.slice(first, i + 1)
        : String.fromCharCode(...text.subarray(first, i + 1));
      if (!this.#pieces.has(piece)) continue;
      covered ??= new Uint8Array(length);
      covered.fill(1, first, i + 1);
    }
    return covered;
  }

  // `text` read as units (escapes standing for one character, or single
  // characters), with the runs of units that spell the credential replaced.
  #redactUnits(text: string): string {
    const codes = new Uint16Array(text.length);
    const starts = new Uint32Array(text.length + 1);
    let units = 0;
    for (let at = 0; at < text.length; units++) {
      const unit = unitAt(text, at);
      starts[units] = at;
      codes[units] = unit ? unit.code : text.charCodeAt(at);
      at += unit ? unit.length : 1;
    }
    starts[units] = text.length;
    const covered = this.#cover(codes, units);
    return covered
      ? replaceRuns(text, covered, (i) => starts[i] as number)
      : text;
  }
}

// Replaces each run of covered units with one REDACTED.
function replaceRuns(
  text: string,
  covered: Uint8Array,
  startOf: (unit: number) => number,
): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < covered.length;) {
    if (!covered[i]) {
      i++;
      continue;
    }
    let end = i;
    while (end < covered.length && covered[end]) end++;
    out += text.slice(from, startOf(i)) + REDACTED;
    from = startOf(end);
    i = end;
  }
  return out + text.slice(from);
}

// What unitAt() reads as one character, to decode a whole text at once.
const ESCAPE =
  /\\+(?:[\/"]|[uU][0-9A-Fa-f]{4})|\\{2,}|%[0-9A-Fa-f]{2}|&(?:#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,6});/g;

const BASE = 257;
const FILTER_SHIFT = 12;

// BASE^(width-1), modulo 2^32 as the rolling hash works.
function power(width: number): number {
  let result = 1;
  for (let i = 1; i < width; i++) result = Math.imul(result, BASE);
  return result;
}

function hashOf(piece: string): number {
  let hash = 0;
  for (let i = 0; i < piece.length; i++) {
    hash = (Math.imul(hash, BASE) + piece.charCodeAt(i)) | 0;
  }
  return hash;
}

// The credential and the texts that stand for it once decoded.
function forms(token: string): string[] {
  const secrets = [token];
  if (token.length < PIECE || !PRINTABLE.test(token)) return secrets;
  // base64 of the token after 0, 1 or 2 other bytes (as in `user:token`):
  // keep the characters that encode only the token's own bytes.
  for (let offset = 0; offset < 3; offset++) {
    // With the last group too, as written when nothing follows the token.
    const encoded = btoa("\0".repeat(offset) + token).slice(offset ? 4 : 0);
    const whole = Math.floor((offset + token.length) / 3) * 4;
    for (const text of [encoded.slice(0, whole), encoded]) {
      if (text.length < PIECE) continue;
      secrets.push(text, text.replaceAll("+", "-").replaceAll("/", "_"));
    }
  }
  // An Elasticsearch API key is base64 of `id:key`: it may be echoed
  // decoded. The id is no secret, but redacting it too costs nothing.
  if (B64.test(token) && token.length % 4 === 0) {
    const decoded = atob(token);
    const colon = decoded.indexOf(":");
    if (PRINTABLE.test(decoded) && colon > 0) {
      secrets.push(decoded);
      if (decoded.length - colon - 1 >= PIECE) {
        secrets.push(decoded.slice(colon + 1));
      }
    }
  }
  return secrets;
}

const NAMED: Record<string, number> = {
  "&amp;": 0x26,
  "&lt;": 0x3c,
  "&gt;": 0x3e,
  "&quot;": 0x22,
  "&apos;": 0x27,
  "&sol;": 0x2f,
  "&plus;": 0x2b,
  "&equals;": 0x3d,
};

// The escape at `at` and the one character it stands for, if any: JSON
// (with any number of backslashes, for JSON in JSON), URL and HTML.
function unitAt(
  text: string,
  at: number,
): { code: number; length: number } | undefined {
  const c = text.charCodeAt(at);
  if (c === 0x5c /* \ */) {
    let end = at;
    while (text.charCodeAt(end) === 0x5c) end++;
    const next = text[end];
    if (next === "/" || next === '"') {
      return { code: next.charCodeAt(0), length: end + 1 - at };
    }
    if (next === "u" || next === "U") {
      const hex = text.slice(end + 1, end + 5);
      if (/^[0-9A-Fa-f]{4}$/.test(hex)) {
        return { code: parseInt(hex, 16), length: end + 5 - at };
      }
    }
    // `\\` is one backslash in JSON, `\\\\` in JSON in JSON.
    return end - at >= 2 ? { code: 0x5c, length: end - at } : undefined;
  }
  if (c === 0x25 /* % */) {
    const hex = text.slice(at + 1, at + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      return { code: parseInt(hex, 16), length: 3 };
    }
    return undefined;
  }
  if (c === 0x26 /* & */) {
    const end = text.indexOf(";", at);
    if (end < 0 || end - at > 10) return undefined;
    const entity = text.slice(at, end + 1);
    const numeric = /^&#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}));$/.exec(entity);
    if (numeric) {
      const code = numeric[1] !== undefined
        ? parseInt(numeric[1], 16)
        : Number(numeric[2]);
      return code <= 0xffff ? { code, length: entity.length } : undefined;
    }
    const named = NAMED[entity.toLowerCase()];
    return named === undefined
      ? undefined
      : { code: named, length: entity.length };
  }
  return undefined;
}

const redactors = new Map<string, Redactor>();

/**
 * Replaces every form of `token` in `text` (see {@linkcode Redactor}).
 * Tokens under 4 characters are too short to find reliably and are left
 * alone. The search for each token is prepared once and kept (up to 64).
 *
 * @param text Any text.
 * @param token The credential.
 * @returns The text without the credential.
 */
export function redactSecret(text: string, token: string): string {
  if (token.length < MIN_TOKEN) return text;
  let redactor = redactors.get(token);
  if (!redactor) {
    if (redactors.size >= 64) redactors.clear();
    redactor = new Redactor(token);
    redactors.set(token, redactor);
  }
  return redactor.redact(text);
}

/**
 * Replaces every form of each credential in `text`, as
 * {@linkcode redactSecret} does for one (a destination can hold several:
 * an AWS secret access key and session token).
 *
 * @example
 * ```ts
 * import { redactSecrets } from "./redact.ts";
 *
 * const text = redactSecrets("key s3cr3t-key-0001, token t0k3n-0002", [
 *   "s3cr3t-key-0001",
 *   "t0k3n-0002",
 * ]);
 * if (text !== "key [redacted], token [redacted]") throw new Error(text);
 * ```
 *
 * @param text Any text.
 * @param secrets The credentials (empty ones are skipped).
 * @returns The text without any of them.
 */
export function redactSecrets(
  text: string,
  secrets: readonly string[],
): string {
  let result = text;
  for (const secret of secrets) result = redactSecret(result, secret);
  return result;
}
