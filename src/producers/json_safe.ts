/**
 * Turns values a producer did not write for a SIEM (log properties: errors,
 * dates, bigints, class instances, cycles) into plain JSON data, so that an
 * event is never refused for its metadata.
 *
 * @module
 */

/** How deep a value is copied; deeper values become `"[too deep]"`. */
export const MAX_JSON_SAFE_DEPTH = 16;

/**
 * Copies `value` as plain JSON data: `Error` becomes `{ name, message }`
 * (the stack is left out: it is long and names files, not what happened),
 * `Date` its ISO string, `bigint` and non-finite numbers their decimal text,
 * `Map` an object, `Set` an array, an object with `toJSON` what that returns,
 * a cycle `"[circular]"`; functions, symbols and `undefined` are left out of
 * objects (and are `null` in arrays, as `JSON.stringify` writes them). Keys
 * and strings with a lone surrogate are made well-formed (U+FFFD), as the
 * SIEMs would store them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toJsonSafe } from "./json_safe.ts";
 *
 * assert.deepEqual(
 *   toJsonSafe({ at: new Date(0), n: 10n, error: new RangeError("no") }),
 *   {
 *     at: "1970-01-01T00:00:00.000Z",
 *     n: "10",
 *     error: { name: "RangeError", message: "no" },
 *   },
 * );
 * ```
 *
 * @param value Any value.
 * @returns JSON data, or `undefined` for a value JSON has no place for.
 */
export function toJsonSafe(value: unknown): unknown {
  return copy(value, 0, new Set());
}

function copy(value: unknown, depth: number, seen: Set<object>): unknown {
  switch (typeof value) {
    case "string":
      return value.isWellFormed() ? value : value.toWellFormed();
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return value.toString();
    case "object":
      if (value === null) return null;
      return copyObject(value, depth, seen);
    default:
      return undefined;
  }
}

function copyObject(
  value: object,
  depth: number,
  seen: Set<object>,
): unknown {
  if (seen.has(value)) return "[circular]";
  if (depth >= MAX_JSON_SAFE_DEPTH) return "[too deep]";
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : value.toISOString();
  }
  if (value instanceof Error) {
    return { name: value.name, message: String(value.message) };
  }
  seen.add(value);
  try {
    const next = depth + 1;
    if (Array.isArray(value)) {
      return value.map((item) => copy(item, next, seen) ?? null);
    }
    if (value instanceof Set) {
      return [...value].map((item) => copy(item, next, seen) ?? null);
    }
    if (value instanceof Map) {
      return copyEntries(value.entries(), next, seen);
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") {
      return copy(toJSON.call(value), next, seen);
    }
    return copyEntries(Object.entries(value), next, seen);
  } catch {
    // A proxy or getter that throws: say so rather than lose the event.
    return "[unreadable]";
  } finally {
    seen.delete(value);
  }
}

function copyEntries(
  entries: Iterable<[unknown, unknown]>,
  depth: number,
  seen: Set<object>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const copied = copy(item, depth, seen);
    if (copied === undefined) continue;
    // defineProperty: a "__proto__" key stays data, as the schema keeps it.
    Object.defineProperty(out, String(key).toWellFormed(), {
      value: copied,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
