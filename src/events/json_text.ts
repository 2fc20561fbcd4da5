/**
 * Parsing JSON text without the object-key defect of Deno 2.9.6's
 * `JSON.parse`.
 *
 * The defect (V8 15.0 in Deno 2.9.6; Node 20 and Bun are not affected): when
 * `JSON.parse` reads an object key written with an escape, it can take an
 * earlier key of the same object shape instead, if that key has as many
 * characters and equals the raw, still escaped text of the new key's start.
 * A key holding a backslash is what makes that possible. Minimal
 * reproduction, in one process:
 *
 * ```js
 * JSON.parse('{"a":0,"\\\\":0}');    // an earlier key "\" after key "a"
 * JSON.parse('{"a":0,"\\u0000":0}'); // gives {"a":0,"\\":0}: key "\u0000" became "\"
 * ```
 *
 * One text is enough too: `[{"a":0,"\u0000":0},{"a":0,"\\":0}]` parses right
 * the first time and wrong from the second parse on (the shapes stay in the
 * process). It is not only NUL: `"\u0041"`, `"\""` or `"\n"` become `"\"`
 * the same way, and `"caf\u00e9"` becomes `"caf\"` after a key `"caf\"`.
 * Values are not affected, only keys, and only keys written with an escape.
 *
 * So a text in which no key holds a backslash is parsed by `JSON.parse`
 * (fast, and exact); any other text by a small parser here that builds each
 * object itself. The earlier text that sets the trap may have come in
 * another request, so the check is on the text being parsed, never on what
 * came before.
 *
 * @module
 */

/** Deepest nesting the checked parser reads (events nest far less). */
export const MAX_CHECKED_DEPTH = 512;

/**
 * Whether some object key in `text` is written with an escape, which is
 * when `JSON.parse` may return another key (see the module doc). For a
 * valid JSON text the answer is exact; for an invalid one it may say true,
 * which costs only the slower parse.
 *
 * @example
 * ```ts
 * import { hasEscapedKey } from "./json_text.ts";
 *
 * hasEscapedKey('{"a":"x\\ny"}'); // false: only a value has an escape
 * hasEscapedKey('{"\\u0000":1}'); // true
 * ```
 *
 * @param text The JSON text.
 * @returns True when a key holds a backslash.
 */
export function hasEscapedKey(text: string): boolean {
  // In a JSON text every backslash is inside a string token, and the first
  // backslash after the end of a token is the first escape of the token
  // that holds it: from there its end is found, and whether a colon follows.
  // Only the tokens that hold an escape are read one character at a time
  // (a regular expression over every token took longer than JSON.parse).
  const length = text.length;
  let at = text.indexOf("\\");
  while (at !== -1) {
    while (at < length) {
      const code = text.charCodeAt(at);
      if (code === BACKSLASH) at += 2;
      else if (code === QUOTE) break;
      else at++;
    }
    // No closing quote: not JSON; the careful parser says where.
    if (at >= length) return true;
    at++;
    while (at < length && isJsonWhitespace(text.charCodeAt(at))) at++;
    if (text.charCodeAt(at) === COLON) return true;
    at = text.indexOf("\\", at);
  }
  return false;
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const COLON = 0x3a;

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/**
 * Parses JSON text as `JSON.parse` is specified to: the same values, keys,
 * key order and own `__proto__` data keys, but without the key defect of
 * Deno 2.9.6 (see the module doc). Texts with no escaped key go to
 * `JSON.parse`.
 *
 * @example
 * ```ts
 * import { parseJsonText } from "./json_text.ts";
 *
 * JSON.parse('{"a":0,"\\\\":0}');
 * const value = parseJsonText('{"a":0,"\\u0000":0}') as Record<string, number>;
 * console.log(Object.keys(value)); // ["a", "\u0000"]
 * ```
 *
 * @param text The JSON text.
 * @returns The value.
 * @throws {SyntaxError} When the text is not JSON, or nests deeper than
 * {@linkcode MAX_CHECKED_DEPTH} with an escaped key.
 */
export function parseJsonText(text: string): unknown {
  if (!hasEscapedKey(text)) return JSON.parse(text);
  return new CheckedParser(text).parseText();
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// JSON forbids raw control characters in a string.
// deno-lint-ignore no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const WHITESPACE = /[ \t\n\r]*/y;

// Builds each object with ordinary property writes, which do not share the
// JSON parser's key matching. Strings are decoded by JSON.parse of the string
// token alone: a string value is never affected.
class CheckedParser {
  #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parseText(): unknown {
    const value = this.#value(0);
    this.#skipWhitespace();
    if (this.#at !== this.#text.length) this.#fail("unexpected text");
    return value;
  }

  #value(depth: number): unknown {
    this.#skipWhitespace();
    const char = this.#text[this.#at];
    if (char === "{") return this.#object(depth + 1);
    if (char === "[") return this.#array(depth + 1);
    if (char === '"') return this.#string();
    for (const [word, value] of LITERALS) {
      if (this.#text.startsWith(word, this.#at)) {
        this.#at += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = this.#at;
    const match = NUMBER.exec(this.#text);
    if (!match) this.#fail("unexpected character");
    this.#at = NUMBER.lastIndex;
    return Number(match[0]);
  }

  #object(depth: number): Record<string, unknown> {
    if (depth > MAX_CHECKED_DEPTH) this.#fail("nested too deeply");
    this.#at++;
    const object: Record<string, unknown> = {};
    this.#skipWhitespace();
    if (this.#text[this.#at] === "}") {
      this.#at++;
      return object;
    }
    while (true) {
      this.#skipWhitespace();
      if (this.#text[this.#at] !== '"') this.#fail("expected a key");
      const key = this.#string();
      this.#skipWhitespace();
      if (this.#text[this.#at] !== ":") this.#fail("expected ':'");
      this.#at++;
      const value = this.#value(depth);
      // As JSON.parse: `__proto__` is an own data key, never the prototype.
      if (key === "__proto__") {
        Object.defineProperty(object, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else {
        object[key] = value;
      }
      this.#skipWhitespace();
      const next = this.#text[this.#at++];
      if (next === "}") return object;
      if (next !== ",") this.#fail("expected ',' or '}'");
    }
  }

  #array(depth: number): unknown[] {
    if (depth > MAX_CHECKED_DEPTH) this.#fail("nested too deeply");
    this.#at++;
    const array: unknown[] = [];
    this.#skipWhitespace();
    if (this.#text[this.#at] === "]") {
      this.#at++;
      return array;
    }
    while (true) {
      array.push(this.#value(depth));
      this.#skipWhitespace();
      const next = this.#text[this.#at++];
      if (next === "]") return array;
      if (next !== ",") this.#fail("expected ',' or ']'");
    }
  }

  #string(): string {
    STRING.lastIndex = this.#at;
    const match = STRING.exec(this.#text);
    if (!match) this.#fail("bad string");
    this.#at = STRING.lastIndex;
    const token = match[0];
    return token.includes("\\")
      ? JSON.parse(token) as string
      : token.slice(1, -1);
  }

  #skipWhitespace(): void {
    WHITESPACE.lastIndex = this.#at;
    WHITESPACE.test(this.#text);
    this.#at = WHITESPACE.lastIndex;
  }

  #fail(why: string): never {
    throw new SyntaxError(`JSON: ${why} at position ${this.#at}`);
  }
}

const LITERALS: readonly (readonly [string, unknown])[] = [
  ["true", true],
  ["false", false],
  ["null", null],
];
