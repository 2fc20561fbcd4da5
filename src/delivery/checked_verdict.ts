/**
 * Reading an exporter's verdict before acting on it: what a platform
 * answered is checked against the batch that was sent.
 *
 * @module
 */
import {
  networkSetupHint,
  type ResponseVerdict,
} from "../platforms/verdict.ts";

/**
 * A verdict made safe to act on: a network error that points at a TLS or
 * plain-HTTP mix-up gets its setup hint, and a partial verdict naming an
 * event outside the batch (or one twice) becomes a retry of the whole batch,
 * so that no event can be lost to a platform's odd answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkedVerdict } from "./checked_verdict.ts";
 *
 * const verdict = checkedVerdict(
 *   {
 *     kind: "partial",
 *     retry: [{ index: 5, reason: "HTTP 429", status: 429 }],
 *     rejected: [],
 *     backoff: false,
 *   },
 *   2,
 *   "https://es.example.com",
 * );
 * assert.deepEqual(verdict, {
 *   kind: "retry",
 *   reason: "answer names event 5 of a batch of 2",
 * });
 * ```
 *
 * @param verdict The exporter's verdict.
 * @param size How many events the batch has.
 * @param url The destination's URL, for the setup hint.
 * @returns The verdict to act on.
 */
export function checkedVerdict(
  verdict: ResponseVerdict,
  size: number,
  url: string,
): ResponseVerdict {
  if (verdict.kind === "retry") {
    if (verdict.setup !== undefined || verdict.status !== undefined) {
      return verdict;
    }
    const setup = networkSetupHint(verdict.reason, url);
    return setup === undefined ? verdict : { ...verdict, setup };
  }
  if (verdict.kind !== "partial") return verdict;
  const seen = new Set<number>();
  for (const { index } of [...verdict.retry, ...verdict.rejected]) {
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      return {
        kind: "retry",
        reason: `answer names event ${index} of a batch of ${size}`,
      };
    }
    if (seen.has(index)) {
      return { kind: "retry", reason: `answer names event ${index} twice` };
    }
    seen.add(index);
  }
  return verdict;
}
