/**
 * Small wire-format helpers shared by the fakes: strict ISO 8601 dates,
 * UTF-8 sizes and a JSON scanner that finds raw value extents.
 *
 * @module
 */

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/;
const WHITESPACE = " \t\n\r";

/**
 * Whether `value` is a strict ISO 8601 date or date-time, as Elasticsearch's
 * `strict_date_optional_time` reads it (`2026-01-01T00:00:00.000Z`,
 * `2026-01-01T00:00:00+00:00`); rejects `...+00:00Z` and impossible dates.
 */
export function isIsoTimestamp(value: string): boolean {
  const match = ISO_8601.exec(value);
  if (match === null) return false;
  const part = (i: number): number => Number(match[i] ?? 0);
  const month = part(2);
  const day = part(3);
  const lastDay = new Date(Date.UTC(part(1), month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= lastDay &&
    part(4) <= 23 && part(5) <= 59 && part(6) <= 59 && part(7) <= 18 &&
    part(8) <= 59;
}

/** The UTF-8 byte length of a string. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text, i + 1)) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** The first index at or after `at` that is not JSON whitespace. */
export function skipWhitespace(text: string, at: number): number {
  while (at < text.length && WHITESPACE.includes(text[at] as string)) at++;
  return at;
}

/**
 * End (exclusive) of the JSON value starting at `at`, or -1 if it runs off
 * the text. Tracks strings, escapes and nesting only; JSON.parse validates.
 */
export function jsonValueEnd(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return stringEnd(text, at);
  if (first !== "{" && first !== "[") {
    let i = at;
    while (i < text.length && !",}]".includes(text[i] as string)) {
      if (WHITESPACE.includes(text[i] as string)) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = stringEnd(text, i) - 1;
      if (i < 0) return -1;
    } else if (c === "{" || c === "[") depth++;
    else if ((c === "}" || c === "]") && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * Where the value of a top-level member of a valid JSON object text starts
 * and ends (the last one wins, as in JSON.parse), or undefined.
 */
export function memberSpan(
  objectText: string,
  key: string,
): { start: number; end: number } | undefined {
  let span: { start: number; end: number } | undefined;
  let at = skipWhitespace(objectText, 0) + 1;
  while (at < objectText.length) {
    at = skipWhitespace(objectText, at);
    if (objectText[at] === ",") at = skipWhitespace(objectText, at + 1);
    if (objectText[at] !== '"') break;
    const keyEnd = stringEnd(objectText, at);
    const name = JSON.parse(objectText.slice(at, keyEnd)) as string;
    const start = skipWhitespace(
      objectText,
      skipWhitespace(objectText, keyEnd) + 1,
    );
    const end = jsonValueEnd(objectText, start);
    if (name === key) span = { start, end };
    at = end;
  }
  return span;
}

/** End (exclusive) of the string starting at `at` (a `"`), or -1. */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  return -1;
}

function isLowSurrogate(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff;
}
