/**
 * The ingest's own traffic: how many `POST /events` requests it answered,
 * and how, so that `/stats` (and the status page's request rate) shows the
 * load on the ingest itself beside what the destinations deliver.
 *
 * @module
 */

/** The `ingest` member of `GET /stats`: `POST /events` requests answered since this instance started. */
export interface IngestRequestStats {
  /** Every `POST /events` request answered. */
  requests: number;
  /** Those answered 202: their events were accepted. */
  accepted: number;
  /** Those refused for the request itself (4xx: invalid, unauthorized, too large). */
  refused: number;
  /** Those answered 503 because the buffers were full. */
  overloaded: number;
  /** Those that failed on the server's side (other 5xx). */
  failed: number;
}

/** Counts answered requests by status. */
export interface RequestCounter {
  /** Counts one answer. */
  record(status: number): void;
  /** A copy of the counts. */
  snapshot(): IngestRequestStats;
}

/**
 * A fresh counter, all zero. One per app: on Workers each isolate counts its
 * own requests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestCounter } from "./request_counts.ts";
 *
 * const counter = requestCounter();
 * counter.record(202);
 * counter.record(401);
 * assert.deepEqual(counter.snapshot(), {
 *   requests: 2, accepted: 1, refused: 1, overloaded: 0, failed: 0,
 * });
 * ```
 *
 * @returns The counter.
 */
export function requestCounter(): RequestCounter {
  const counts: IngestRequestStats = {
    requests: 0,
    accepted: 0,
    refused: 0,
    overloaded: 0,
    failed: 0,
  };
  return {
    record(status: number): void {
      counts.requests++;
      if (status === 503) counts.overloaded++;
      else if (status >= 500) counts.failed++;
      else if (status >= 400) counts.refused++;
      else counts.accepted++;
    },
    snapshot: (): IngestRequestStats => ({ ...counts }),
  };
}
