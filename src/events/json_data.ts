/**
 * The check that metadata is plain JSON data, so that every platform's
 * serialization is lossless and can never throw in the middle of a batch.
 *
 * @module
 */

/** How deep metadata may nest before it is refused. */
export const MAX_METADATA_DEPTH = 64;

/** Where a value that is not JSON data was found, and why it is refused. */
export interface NonJsonValue {
  /** The path from the checked value to the offending value. */
  path: (string | number)[];
  /** Why the value is refused. */
  reason: string;
}

/**
 * Returns the first value in `value` that is not JSON data, or `undefined`
 * when all of it is.
 *
 * JSON data is: null, booleans, finite numbers, strings, arrays and plain
 * objects of JSON data, nested at most {@linkcode MAX_METADATA_DEPTH} deep
 * (which also stops cycles). Object properties whose value is `undefined` are
 * allowed, since JSON omits them.
 */
export function findNonJsonValue(
  value: unknown,
  depth = 0,
): NonJsonValue | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value)
        ? undefined
        : { path: [], reason: `must be a finite number, got ${value}` };
    case "object":
      if (value === null) return undefined;
      if (depth >= MAX_METADATA_DEPTH) {
        return {
          path: [],
          reason: `nests deeper than ${MAX_METADATA_DEPTH} levels`,
        };
      }
      return Array.isArray(value)
        ? findInArray(value, depth)
        : findInObject(value, depth);
    default:
      return { path: [], reason: `must be JSON data, got ${typeof value}` };
  }
}

function findInArray(
  value: unknown[],
  depth: number,
): NonJsonValue | undefined {
  for (let i = 0; i < value.length; i++) {
    // As in objects: a getter could answer differently when the event is
    // serialized, and reading it here would already run caller code.
    const descriptor = Object.getOwnPropertyDescriptor(value, i);
    if (descriptor && !("value" in descriptor)) {
      return {
        path: [i],
        reason: "must be a data property, not a getter or setter",
      };
    }
    const found = findNonJsonValue(descriptor?.value, depth + 1);
    if (found) {
      found.path.unshift(i);
      return found;
    }
  }
  return undefined;
}

function findInObject(value: object, depth: number): NonJsonValue | undefined {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const kind = proto?.constructor?.name ?? "object";
    return { path: [], reason: `must be plain JSON data, got ${kind}` };
  }
  for (const key of Object.keys(value)) {
    // Servers store UTF-8: a lone surrogate becomes U+FFFD there, so two keys
    // that differ only in one would become the same field.
    if (!key.isWellFormed()) {
      return {
        path: [key],
        reason:
          "key must be well-formed Unicode: a lone surrogate is stored as U+FFFD and can collide with another key",
      };
    }
    // A getter could answer differently when the event is serialized later.
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (!descriptor || !("value" in descriptor)) {
      return {
        path: [key],
        reason: "must be a data property, not a getter or setter",
      };
    }
    const item = descriptor.value;
    if (item === undefined) continue;
    const found = findNonJsonValue(item, depth + 1);
    if (found) {
      found.path.unshift(key);
      return found;
    }
  }
  return undefined;
}

/**
 * A deep copy of validated JSON data (see {@linkcode findNonJsonValue}):
 * plain objects and arrays are copied, other values kept. The integrator
 * copies an event's metadata when it accepts it, since the caller may keep
 * and change its own; walking plain data is several times faster than
 * `structuredClone`.
 *
 * @example
 * ```ts ignore
 * const metadata = { user: { id: 1 } };
 * const copy = copyJsonData(metadata);
 * metadata.user.id = 2; // copy.user.id is still 1
 * ```
 *
 * @param value Data that passed {@linkcode findNonJsonValue}.
 * @returns The copy.
 */
export function copyJsonData<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJsonData) as T;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copyJsonData((value as Record<string, unknown>)[key]);
    if (key === "__proto__") {
      // An own "__proto__" key (as JSON.parse makes): assigning it would
      // set the prototype instead, and JSON would lose it.
      Object.defineProperty(copy, key, {
        value: item,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      copy[key] = item;
    }
  }
  return copy as T;
}
