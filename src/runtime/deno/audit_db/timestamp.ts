/**
 * The timestamps of the Python audit database, as its sqlite3 adapter writes
 * them: `2026-11-30 12:00:00.123456` (naive: UTC), or with an offset.
 *
 * @module
 */

/** A stored timestamp read: its instant and its event form. */
export interface StoredInstant {
  /** Microseconds since the epoch, UTC: what rows are ordered by. */
  micros: number;
  /** UTC ISO 8601 with milliseconds and a `Z` (microseconds truncated). */
  iso: string;
}

// Python's `str(datetime)` (what sqlite3's default adapter stores) uses a
// space; `isoformat()` a `T`. Seconds and fraction may be absent (SQLite's
// CURRENT_TIMESTAMP has no fraction; isoformat drops a zero one).
const STORED =
  /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?(Z|[+-]\d\d:?\d\d)?$/;
const MAX_MS = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * Reads a stored timestamp. Without an offset it is UTC, as Python's
 * `datetime.utcnow()` means it.
 *
 * @example
 * ```ts
 * import { readStoredTimestamp } from "./timestamp.ts";
 *
 * readStoredTimestamp("2026-11-30 12:00:00.123456")?.iso; // "2026-11-30T12:00:00.123Z"
 * ```
 *
 * @param value The column's value.
 * @returns The instant, or undefined when it is not such a timestamp or
 * falls outside 1970-9999.
 */
export function readStoredTimestamp(value: unknown): StoredInstant | undefined {
  if (typeof value !== "string") return undefined;
  return fastRead(value) ?? slowRead(value);
}

// The common form, naive with a fraction of 1-6 digits or none, read from
// the epoch ms of its hour (cached: consecutive rows share it) without
// building a Date per row.
const NAIVE = /^\d{4}-\d\d-\d\d[T ]\d\d:([0-5]\d):([0-5]\d)(?:\.(\d{1,6}))?$/;
let hourText = "";
let hourMs = NaN;

function fastRead(value: string): StoredInstant | undefined {
  const match = NAIVE.exec(value);
  if (!match) return undefined;
  const hour = value.slice(0, 13);
  if (hour !== hourText) {
    const start = slowRead(`${hour}:00:00`);
    if (!start) return undefined;
    hourText = hour;
    hourMs = start.micros / 1000;
  }
  const [, minutes, seconds, fraction = ""] = match;
  const ms = hourMs + Number(minutes) * 60_000 + Number(seconds) * 1000;
  if (ms > MAX_MS) return undefined;
  const micros = ms * 1000 + Number((fraction + "000000").slice(0, 6));
  const millis = (fraction + "000").slice(0, 3);
  return {
    micros,
    iso: `${value.slice(0, 10)}T${value.slice(11, 19)}.${millis}Z`,
  };
}

function slowRead(value: string): StoredInstant | undefined {
  const match = STORED.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, offset] = match;
  const year = Number(y), month = Number(mo), day = Number(d);
  const hour = Number(h), minute = Number(mi), second = Number(s ?? "0");
  // (Date.UTC reads years 0-99 as 1900-1999.)
  if (year < 1970 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  // Date.UTC rolls 2026-02-30 over into March: refuse it instead.
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  let offsetMinutes = 0;
  if (offset && offset !== "Z") {
    const digits = offset.replace(":", "");
    const oh = Number(digits.slice(1, 3)), om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (offset[0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const utcMs = ms - offsetMinutes * 60_000;
  if (utcMs < 0 || utcMs > MAX_MS) return undefined;
  const fractionMicros = Number(((fraction ?? "") + "000000").slice(0, 6));
  return {
    // Exact up to the year 2255 (2^53 µs); later instants order to a few µs.
    micros: utcMs * 1000 + fractionMicros,
    iso: new Date(utcMs + Math.floor(fractionMicros / 1000)).toISOString(),
  };
}
