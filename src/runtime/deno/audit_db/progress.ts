/**
 * The progress line of a long import: rows done, rate and time left.
 *
 * @module
 */
import type { ImportProgress } from "./importer.ts";

/**
 * Formats a progress line.
 *
 * @example
 * ```ts
 * import { progressLine } from "./progress.ts";
 *
 * progressLine({ done: 50_000, total: 200_000, imported: 50_000 }, 2000);
 * // "import: 50000/200000 rows (25.0%), 25000 rows/s, ETA 6 s"
 * ```
 *
 * @param progress The counts so far.
 * @param elapsedMs Time since the import began, in ms.
 * @returns The line.
 */
export function progressLine(
  progress: ImportProgress,
  elapsedMs: number,
): string {
  const rate = elapsedMs > 0 ? progress.done / (elapsedMs / 1000) : 0;
  const total = Math.max(progress.total, progress.done);
  const percent = total > 0
    ? (100 * progress.done / total).toFixed(1)
    : "100.0";
  const left = total - progress.done;
  const eta = rate > 0 ? `, ETA ${formatSeconds(left / rate)}` : "";
  return `import: ${progress.done}/${total} rows (${percent}%), ${
    Math.round(rate)
  } rows/s${eta}`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.ceil(seconds - minutes * 60)} s`;
}
