/**
 * fast-check arbitraries of audit events: valid ones that reach into every
 * corner of the schema (unicode with astral characters and lone surrogates,
 * control characters, U+2028/U+2029, very long strings, metadata nested up to
 * MAX_METADATA_DEPTH, numbers at the edges, keys such as `__proto__`), and
 * invalid ones built from a valid event by one mutation that must be refused.
 *
 * @module
 */
import fc from "npm:fast-check@4.11.0";
import {
  AUDIT_EVENT_TYPES,
  type AuditEventInput,
  MAX_EVENT_ID_BYTES,
} from "../../src/events/audit_event.ts";
import { MAX_METADATA_DEPTH } from "../../src/events/json_data.ts";

const encoder = new TextEncoder();

/** The UTF-8 size of a string, lone surrogates counted as U+FFFD (3 bytes), as `TextEncoder` does. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** Characters that break naive serializers. */
export const SPECIAL_CHARACTERS: readonly string[] = [
  "\u0000",
  "\u0001",
  "\u0008",
  "\t",
  "\n",
  "\r",
  "\u001b",
  "\u001f",
  '"',
  "\\",
  "/",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u00e9",
  "\u2028",
  "\u2029",
  "\ufeff",
  "\ufffd",
  "\uffff",
  "\u6771",
  "\ud800", // lone high surrogate
  "\udbff",
  "\udc00", // lone low surrogate
  "\udfff",
  "\ud83d\ude00", // astral: an emoji
  "\udbff\udfff", // astral: U+10FFFF
  "\u0301", // combining accent
  "a",
  "Z",
  "0",
  " ",
  ".",
];

/** Options of {@linkcode text}. */
export interface TextOptions {
  /** Fewest UTF-16 code units (0 by default). */
  minLength?: number;
  /** Most characters of the short forms (40 by default). */
  maxLength?: number;
  /** Whether very long strings (thousands of characters) may be generated. */
  long?: boolean;
}

/**
 * Any string: arbitrary code points (lone surrogates included), strings
 * made of the special characters, and, if allowed, very long repetitions.
 *
 * @param options Length bounds.
 * @returns The arbitrary.
 */
export function text(options: TextOptions = {}): fc.Arbitrary<string> {
  const minLength = options.minLength ?? 0;
  const maxLength = Math.max(minLength, options.maxLength ?? 40);
  const special = fc.constantFrom(...SPECIAL_CHARACTERS);
  const short: fc.Arbitrary<string>[] = [
    fc.string({ unit: "binary", minLength, maxLength }),
    fc.string({ unit: special, minLength, maxLength }),
    fc.string({ unit: "grapheme", minLength, maxLength }),
  ];
  if (!options.long) return fc.oneof(...short);
  const long = fc.tuple(
    fc.string({ unit: special, minLength: 1, maxLength: 8 }),
    fc.integer({ min: 1_000, max: 40_000 }),
  ).map(([piece, times]) => piece.repeat(times).slice(0, 60_000));
  return fc.oneof(
    { weight: 8, arbitrary: fc.oneof(...short) },
    { weight: 1, arbitrary: long },
  );
}

/** Numbers at the edges of what JSON carries. */
export const EDGE_NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  2 ** 53,
  1e308,
  -1e308,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  5e-324,
  -5e-324,
  Number.EPSILON,
  0.1,
  1e21,
  1e-7,
  123456789.123456789,
];

/** Finite numbers, edges first. */
export function finiteNumber(): fc.Arbitrary<number> {
  return fc.oneof(
    fc.constantFrom(...EDGE_NUMBERS),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
  );
}

/** Keys that trip up object handling, plus any string. */
export const TRICKY_KEYS: readonly string[] = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
  "",
  "a.b",
  ".",
  "..",
  "a..b",
  ".leading",
  "trailing.",
  "0",
  "-0",
  "length",
  "@timestamp",
  "$ref",
  "\u0000",
  "\ud800",
];

/**
 * A metadata key. Keys are well-formed Unicode (a lone surrogate would
 * collide on the server, so validation refuses it); the lone surrogate of
 * `TRICKY_KEYS` becomes U+FFFD.
 */
export function metadataKey(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...TRICKY_KEYS) },
    { weight: 3, arbitrary: text({ maxLength: 12 }) },
  ).map((key) => key.toWellFormed());
}

/**
 * An object with exactly these own enumerable data properties (`__proto__`
 * included, as data), with `Object.prototype` or a null prototype.
 *
 * @param entries The properties; a later duplicate key wins.
 * @param nullPrototype Whether the object has no prototype.
 * @returns The object.
 */
export function dataObject(
  entries: readonly (readonly [string, unknown])[],
  nullPrototype = false,
): Record<string, unknown> {
  const object: Record<string, unknown> = nullPrototype
    ? Object.create(null)
    : {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

/** A JSON leaf: null, a boolean, a finite number or a string. */
export function jsonLeaf(long = false): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(null),
    fc.boolean(),
    finiteNumber(),
    text({ long }),
  );
}

/**
 * Metadata of exactly `levels` nested containers, the metadata object itself
 * being the first; `MAX_METADATA_DEPTH` levels is the deepest accepted.
 *
 * @param levels How many containers, from 1.
 * @param kinds For each inner level: true for an array, false for an object.
 * @param key The key used at every object level.
 * @param leaf The value at the bottom.
 * @returns The metadata.
 */
export function nestedMetadata(
  levels: number,
  kinds: readonly boolean[] = [],
  key = "k",
  leaf: unknown = "bottom",
): Record<string, unknown> {
  let value: unknown = leaf;
  for (let level = levels; level >= 2; level--) {
    value = kinds[level - 2] ? [value] : dataObject([[key, value]]);
  }
  return dataObject([[key, value]]);
}

/**
 * Metadata: a random tree of JSON data (tricky keys, edge numbers, null
 * prototypes, `undefined` values that JSON omits), or a chain nested 1 to
 * MAX_METADATA_DEPTH levels deep.
 *
 * @param long Whether very long strings may appear.
 * @returns The arbitrary.
 */
export function metadata(long = false): fc.Arbitrary<Record<string, unknown>> {
  const tree = fc.letrec<{
    value: unknown;
    object: Record<string, unknown>;
    array: unknown[];
  }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      jsonLeaf(long),
      tie("array"),
      tie("object"),
    ),
    array: fc.array(tie("value"), { maxLength: 4 }),
    object: fc.tuple(
      fc.array(
        fc.tuple(
          metadataKey(),
          fc.oneof(
            { weight: 12, arbitrary: tie("value") },
            { weight: 1, arbitrary: fc.constant(undefined) },
          ),
        ),
        { maxLength: 5 },
      ),
      fc.boolean(),
    ).map(([entries, nullPrototype]) => dataObject(entries, nullPrototype)),
  })).object;
  const chain = fc.record({
    levels: fc.oneof(
      fc.constantFrom(1, 2, MAX_METADATA_DEPTH - 1, MAX_METADATA_DEPTH),
      fc.integer({ min: 1, max: MAX_METADATA_DEPTH }),
    ),
    kinds: fc.array(fc.boolean(), {
      minLength: MAX_METADATA_DEPTH,
      maxLength: MAX_METADATA_DEPTH,
    }),
    key: metadataKey(),
    leaf: jsonLeaf(false),
  }).map(({ levels, kinds, key, leaf }) =>
    nestedMetadata(levels, kinds, key, leaf)
  );
  return fc.oneof({ weight: 4, arbitrary: tree }, {
    weight: 1,
    arbitrary: chain,
  });
}

/** An `event_id`: 1 to 512 UTF-8 bytes, including exactly 512, well-formed Unicode. */
export function eventId(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: text({ minLength: 1, maxLength: 30 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "x".repeat(MAX_EVENT_ID_BYTES),
        "\u00e9".repeat(MAX_EVENT_ID_BYTES / 2),
        "\ud83d\ude00".repeat(MAX_EVENT_ID_BYTES / 4),
        "\ud800".repeat(Math.floor(MAX_EVENT_ID_BYTES / 3)),
      ),
    },
  ).map((id) => id.toWellFormed())
    .filter((id) => id.length > 0 && utf8Bytes(id) <= MAX_EVENT_ID_BYTES);
}

/** The UTC times `timestamp` arbitraries draw from. */
export const TIME_RANGE = {
  /** 1970-01-02, the first time every platform takes whatever the offset. */
  modernMin: Date.UTC(1970, 0, 2),
  /** 2100-01-01. */
  modernMax: Date.UTC(2100, 0, 1),
  /** 1970-01-01T00:00:00.000Z, the earliest timestamp documented. */
  documentedMin: Date.parse("1970-01-01T00:00:00.000Z"),
  /** 9999-12-31T23:59:59.999Z, the latest timestamp documented. */
  documentedMax: Date.parse("9999-12-31T23:59:59.999Z"),
} as const;

/** A timestamp as given, and the normalized value it must become. */
export interface TimestampCase {
  /** The value given to `parseAuditEvent`. */
  input: string | Date;
  /** The expected `timestamp`: UTC ISO 8601, milliseconds, `Z`. */
  normalized: string;
}

function pad(value: number, width: number): string {
  return String(Math.abs(value)).padStart(width, "0");
}

/**
 * A timestamp between 1970-01-02 and 2100 in every accepted form: a `Date`,
 * `Z`, an offset from -23:59 to +23:59, no offset (UTC), 0 to 9 fraction
 * digits.
 *
 * @returns The arbitrary.
 */
export function modernTimestamp(): fc.Arbitrary<TimestampCase> {
  return fc.record({
    ms: fc.integer({ min: TIME_RANGE.modernMin, max: TIME_RANGE.modernMax }),
    form: fc.constantFrom("date", "z", "offset", "local"),
    offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
    digits: fc.integer({ min: 0, max: 9 }),
    extraDigits: fc.string({
      unit: fc.constantFrom(..."0123456789"),
      minLength: 6,
      maxLength: 6,
    }),
  }).map(({ ms, form, offsetMinutes, digits, extraDigits }) => {
    if (form === "date") {
      return { input: new Date(ms), normalized: new Date(ms).toISOString() };
    }
    const offset = form === "offset" ? offsetMinutes : 0;
    const wall = new Date(ms + offset * 60_000).toISOString();
    const fraction = (wall.slice(20, 23) + extraDigits).slice(0, digits);
    const zone = form === "z"
      ? "Z"
      : form === "local"
      ? ""
      : `${offset < 0 ? "-" : "+"}${pad(Math.trunc(offset / 60), 2)}:${
        pad(offset % 60, 2)
      }`;
    // Fraction digits past the millisecond are cut, not rounded.
    const kept = digits >= 3 ? ms : ms - (ms % 10 ** (3 - digits));
    return {
      input: `${wall.slice(0, 19)}${digits > 0 ? "." + fraction : ""}${zone}`,
      normalized: new Date(kept).toISOString(),
    };
  });
}

/**
 * A `Z` timestamp anywhere in the documented range, years 1970 to 9999.
 *
 * @returns The arbitrary.
 */
export function documentedTimestamp(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      TIME_RANGE.documentedMin,
      TIME_RANGE.documentedMax,
      0,
      1e14,
      1e14 + 1,
    ),
    fc.integer({
      min: TIME_RANGE.documentedMin,
      max: TIME_RANGE.documentedMax,
    }),
  ).map((ms) => new Date(ms).toISOString());
}

/** A valid audit event as a caller writes it. */
export interface ValidCase {
  /** The input. */
  input: AuditEventInput;
  /** Its normalized `timestamp`, when one was given. */
  normalizedTimestamp: string | undefined;
}

/** Options of {@linkcode validAuditEvent}. */
export interface ValidOptions {
  /** Whether very long strings may appear. */
  long?: boolean;
  /** The timestamps drawn; default {@linkcode modernTimestamp}. */
  timestamp?: fc.Arbitrary<TimestampCase>;
  /** Whether `event_id` is always given (so a batch can require unique ids). */
  withEventId?: boolean;
}

/**
 * A valid audit event: every optional field present, absent, or explicitly
 * `undefined` or `null` (as Pydantic writes None), every string drawn from
 * {@linkcode text}.
 *
 * @param options What to draw.
 * @returns The arbitrary.
 */
export function validAuditEvent(
  options: ValidOptions = {},
): fc.Arbitrary<ValidCase> {
  const long = options.long ?? false;
  const required = text({ minLength: 1, long });
  // An absent optional field may also be null, as Pydantic writes None.
  const nothing = fc.constantFrom<undefined | null>(undefined, null);
  const optionalText = fc.oneof(
    { weight: 3, arbitrary: text({ long }) },
    { weight: 1, arbitrary: nothing },
  );
  const timestamp = fc.option(options.timestamp ?? modernTimestamp(), {
    nil: undefined,
    freq: 8,
  });
  return fc.record({
    event_id: options.withEventId
      ? eventId()
      : fc.option(eventId(), { nil: undefined, freq: 8 }),
    // Ids are well-formed Unicode (validation refuses lone surrogates).
    correlation_id: required.map((id) => id.toWellFormed()),
    session_id: optionalText.map((id) =>
      typeof id === "string" ? id.toWellFormed() : id
    ),
    timestamp,
    event_type: fc.constantFrom(...AUDIT_EVENT_TYPES),
    actor: required,
    tool_name: optionalText,
    action: required,
    metadata: fc.oneof(
      { weight: 10, arbitrary: metadata(long) },
      { weight: 1, arbitrary: nothing },
    ),
    duration_ms: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.oneof(
          fc.constantFrom(0, -0, 1, Number.MAX_SAFE_INTEGER),
          fc.nat(),
        ),
      },
      { weight: 1, arbitrary: nothing },
    ),
    status: fc.oneof(
      fc.constantFrom("success", "error", "pending"),
      required,
    ),
    error_message: optionalText,
    absent: fc.uniqueArray(
      fc.constantFrom(
        "event_id",
        "session_id",
        "timestamp",
        "tool_name",
        "metadata",
        "duration_ms",
        "error_message",
      ),
    ),
  }).map(({ absent, timestamp, ...fields }) => {
    const input: Record<string, unknown> = {
      ...fields,
      timestamp: timestamp?.input,
    };
    // An optional field may be left out entirely or given as undefined
    // (or null, drawn above).
    for (const key of absent) {
      if (input[key] === undefined) delete input[key];
    }
    return {
      input: input as unknown as AuditEventInput,
      normalizedTimestamp: timestamp?.normalized,
    };
  });
}

/** Why a mutated event must be refused. */
export interface InvalidCase {
  /** The invalid input. */
  input: unknown;
  /** The mutation made, for the counterexample. */
  mutation: string;
}

const REQUIRED = [
  "correlation_id",
  "event_type",
  "actor",
  "action",
  "status",
] as const;
const NON_EMPTY = [
  "event_id",
  "correlation_id",
  "actor",
  "action",
  "status",
] as const;
const STRINGS = [
  "event_id",
  "correlation_id",
  "session_id",
  "actor",
  "tool_name",
  "action",
  "status",
  "error_message",
] as const;
// Null is absent for these (as Pydantic writes None), so not invalid.
const OPTIONAL_STRINGS: ReadonlySet<string> = new Set([
  "session_id",
  "tool_name",
  "error_message",
]);
const KNOWN_FIELDS = new Set([
  "event_id",
  "correlation_id",
  "session_id",
  "timestamp",
  "event_type",
  "actor",
  "tool_name",
  "action",
  "metadata",
  "duration_ms",
  "status",
  "error_message",
  "source",
  "severity",
]);

class NotPlain {
  value = 1;
}

function cyclic(): Record<string, unknown> {
  const object: Record<string, unknown> = { a: 1 };
  object.self = object;
  return object;
}

/** Values that are not JSON data, each refused anywhere in metadata. */
function nonJsonValue(): fc.Arbitrary<[string, unknown]> {
  return fc.constantFrom<[string, unknown]>(
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["bigint", 10n],
    ["symbol", Symbol("s")],
    ["function", () => 1],
    ["Date", new Date(0)],
    ["Map", new Map([["a", 1]])],
    ["Set", new Set([1])],
    ["class instance", new NotPlain()],
    ["RegExp", /x/],
    ["Uint8Array", new Uint8Array(2)],
    ["undefined in an array", [1, undefined]],
    ["sparse array", [1, , 3]],
    ["boxed string", new String("x")],
    ["cycle", cyclic()],
  );
}

/**
 * An input refused by `parseAuditEvent`: a valid event with one mutation
 * that breaks a rule, or a value that is not an event at all.
 *
 * @returns The arbitrary.
 */
export function invalidAuditEvent(): fc.Arbitrary<InvalidCase> {
  const base = validAuditEvent().map(({ input }) =>
    ({ ...input }) as Record<string, unknown>
  );
  const notAString = fc.constantFrom<unknown>(
    1,
    0,
    null,
    true,
    [],
    {},
    ["a"],
    new Date(0),
  );
  const mutations: fc.Arbitrary<
    (event: Record<string, unknown>) => string
  >[] = [
    fc.constantFrom(...REQUIRED).map((field) => (event) => {
      delete event[field];
      return `${field} left out`;
    }),
    fc.constantFrom(...NON_EMPTY).map((field) => (event) => {
      event[field] = "";
      return `${field} empty`;
    }),
    fc.tuple(fc.constantFrom(...STRINGS), notAString).filter(([field, value]) =>
      value !== null || !OPTIONAL_STRINGS.has(field)
    ).map(
      ([field, value]) => (event) => {
        event[field] = value;
        return `${field} = ${String(value)}`;
      },
    ),
    text().filter((type) =>
      !(AUDIT_EVENT_TYPES as readonly string[]).includes(type)
    )
      .map((type) => (event) => {
        event.event_type = type;
        return `event_type = ${JSON.stringify(type)}`;
      }),
    fc.constantFrom<unknown>(
      "",
      "yesterday",
      "2026-01-01",
      "2026-13-01T00:00:00Z",
      "2026-02-30T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T00:00:60Z",
      "2026-01-01T00:00:00+24:00",
      "2026-01-01t00:00:00z",
      "2026-01-01T00:00:00.Z",
      "+012026-01-01T00:00:00Z",
      "-000001-01-01T00:00:00Z",
      "0000-01-01T00:00:00+00:01",
      "9999-12-31T23:59:59-00:01",
      0,
      1769860800000,
      null,
      new Date(NaN),
      new Date(Date.UTC(10000, 0, 1)),
      new Date(TIME_RANGE.documentedMin - 1),
    ).map((value) => (event) => {
      event.timestamp = value;
      return `timestamp = ${String(value)}`;
    }),
    fc.constantFrom<unknown>(
      -1,
      1.5,
      NaN,
      Infinity,
      -Infinity,
      2 ** 53,
      "5",
      true,
    ).map((value) => (event) => {
      event.duration_ms = value;
      return `duration_ms = ${String(value)}`;
    }),
    fc.constantFrom<unknown>([], ["a"], "meta", 1, true, new Date(0))
      .map((value) => (event) => {
        event.metadata = value;
        return `metadata = ${String(value)}`;
      }),
    fc.tuple(
      fc.array(metadataKey(), { minLength: 0, maxLength: 4 }),
      nonJsonValue(),
    )
      .map(([path, [name, value]]) => (event) => {
        let inner: unknown = value;
        for (const key of [...path].reverse()) {
          inner = dataObject([[key, inner]]);
        }
        event.metadata = dataObject([["x", inner]]);
        return `metadata.x.${path.join(".")} is ${name}`;
      }),
    fc.tuple(
      fc.integer({ min: MAX_METADATA_DEPTH + 1, max: MAX_METADATA_DEPTH + 40 }),
      fc.array(fc.boolean(), { minLength: 110, maxLength: 110 }),
    ).map(([levels, kinds]) => (event) => {
      event.metadata = nestedMetadata(levels, kinds);
      return `metadata ${levels} levels deep`;
    }),
    metadataKey().filter((key) => !KNOWN_FIELDS.has(key)).map(
      (key) => (event) => {
        Object.defineProperty(event, key, {
          value: "extra",
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return `unknown field ${JSON.stringify(key)}`;
      },
    ),
    fc.constantFrom(
      "x".repeat(MAX_EVENT_ID_BYTES + 1),
      "\u00e9".repeat(MAX_EVENT_ID_BYTES / 2) + "x",
      "\ud83d\ude00".repeat(MAX_EVENT_ID_BYTES / 4 + 1),
    ).map((id) => (event) => {
      event.event_id = id;
      return `event_id of ${utf8Bytes(id)} bytes`;
    }),
  ];
  const mutated = fc.tuple(base, fc.oneof(...mutations)).map(
    ([event, mutate]) => {
      const mutation = mutate(event);
      return { input: event as unknown, mutation };
    },
  );
  const notAnEvent = fc.constantFrom<unknown>(
    null,
    undefined,
    1,
    "event",
    [],
    [{}],
    true,
    new Date(0),
  ).map((input) => ({ input, mutation: `not an event: ${String(input)}` }));
  return fc.oneof({ weight: 10, arbitrary: mutated }, {
    weight: 1,
    arbitrary: notAnEvent,
  });
}
