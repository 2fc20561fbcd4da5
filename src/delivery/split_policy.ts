/**
 * When a batch refused for its content is split, and when splitting stops.
 *
 * A refusal that points at the content (413, a payload error in the
 * platform's own answer) splits the batch in halves until the events at
 * fault are isolated. A SIEM, or a proxy in front of it, that refuses every
 * request the same way would otherwise cost 2n - 1 requests per batch of n
 * and dead-letter every event; so splitting stops when it shows that the
 * whole stream is refused, and in any case after a fixed number of requests.
 *
 * @module
 */

/** The most requests one batch's split may cost before the destination backs off. */
export const MAX_SPLIT_REQUESTS = 64;

/**
 * Levels, from the top, at which both halves must be refused for the same
 * reason as the whole, with nothing delivered, before the stream counts as
 * refused. One level would take two bad events, one in each half, for a
 * refused stream; three take at least four, placed just so, at the cost of
 * 7 requests for a stream that is refused.
 */
export const REFUSED_STREAM_LEVELS = 3;

/**
 * The most events of one batch that may be refused one by one (HEC names
 * the bad event; the rest is resent at once) with nothing accepted before
 * the destination keeps the rest and backs off: a receiver naming the first
 * event of every request would otherwise cost a request and a dead letter
 * per event.
 */
export const MAX_ISOLATIONS = 16;

/** A refusal of a batch for its content: its status and reason. */
export interface Refusal {
  /** The HTTP status. */
  status: number;
  /** The platform's reason. */
  reason: string;
}

/** Why a split stopped before every event was delivered or isolated. */
export type SplitStop =
  | { kind: "refused_stream"; refusal: Refusal }
  | { kind: "budget"; requests: number };

/**
 * The state of one batch's split: requests spent, whether any part was
 * delivered, and how deep the halves have been refused alike.
 */
export class SplitTree {
  /** Requests sent for the batch, the first refused one included. */
  requests = 1;
  /** Whether some part of the batch was delivered. */
  delivered = false;
  /** Why splitting stopped, once it has. */
  stopped: SplitStop | undefined;
  #alike = 0;

  /** Whether the split may send another request; records a stop when not. */
  mayRequest(): boolean {
    if (this.stopped) return false;
    if (this.requests < MAX_SPLIT_REQUESTS) return true;
    this.stopped = { kind: "budget", requests: this.requests };
    return false;
  }

  /**
   * Reads the first answers to both halves of a refused part, and says
   * whether splitting goes on. It stops, recording why, when both halves
   * were refused like the whole while nothing of the batch was delivered:
   * at {@linkcode REFUSED_STREAM_LEVELS} levels in a row, or as soon as the
   * halves cannot be split further. A 413 says the halves may still be too
   * large, so for it only halves of one event count.
   *
   * @param whole The refusal of the part that was split.
   * @param halves Each half's refusal (`undefined` when not refused for its content).
   * @param smallest The event count of the smaller half.
   * @returns True when the halves are split further.
   */
  goOn(
    whole: Refusal,
    halves: readonly [Refusal | undefined, Refusal | undefined],
    smallest: number,
  ): boolean {
    if (this.stopped) return false;
    const alike = !this.delivered &&
      halves.every((half) => half !== undefined && sameRefusal(half, whole));
    if (!alike) return true;
    if (whole.status !== 413) this.#alike++;
    if (smallest <= 1 || this.#alike >= REFUSED_STREAM_LEVELS) {
      this.stopped = { kind: "refused_stream", refusal: whole };
      return false;
    }
    return true;
  }
}

/**
 * Whether two refusals have the same cause: the same status and reason.
 *
 * @param a A refusal.
 * @param b Another.
 * @returns True when they match.
 */
export function sameRefusal(a: Refusal, b: Refusal): boolean {
  return a.status === b.status && a.reason === b.reason;
}
