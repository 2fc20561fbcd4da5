/**
 * The defaults and limits of a destination configuration: its policies and
 * the byte sizes each platform takes.
 *
 * @module
 */
import type { SIEMPlatform } from "./platform.ts";
import { SENTINEL_DEFAULT_MAX_BATCH_BYTES } from "./sentinel_config.ts";
import { HTTP_DEFAULT_MAX_BATCH_BYTES } from "./http_config.ts";

/** What happens to a new event when a destination's buffer is full. */
export type OverflowPolicy = "reject" | "drop_oldest";

/**
 * What happens to an event older than a platform takes: `"dead_letter"` it
 * with the reason, or `"send_as_now"`: send it with the current time as its
 * timestamp and the original in `original_timestamp`.
 */
export type AgedEventPolicy = "dead_letter" | "send_as_now";

/**
 * Datadog drops logs more than 18 hours old without an error
 * (https://docs.datadoghq.com/api/latest/logs/#send-logs); five minutes of
 * margin cover clock skew and the request's own time.
 */
export const DATADOG_MAX_EVENT_AGE_MS = 18 * 3_600_000 - 5 * 60_000;

/** How request bodies are encoded. */
export type Compression = "none" | "gzip";

/** The default index of every platform. */
export const DEFAULT_INDEX = "harombe-security";

/**
 * The default `maxBatchBytes` per platform: Splunk 1 MB (as Vector batches
 * HEC), Elasticsearch 5 MB (the elasticsearch-js bulk helper's `flushBytes`),
 * Datadog 4.25 MB (under the intake's 5 MB uncompressed limit, as Vector does).
 */
export const DEFAULT_MAX_BATCH_BYTES: Readonly<Record<SIEMPlatform, number>> =
  Object.freeze({
    splunk: 1_000_000,
    elasticsearch: 5_000_000,
    datadog: 4_250_000,
    // Under the 10 MiB request limit of the smallest Amazon OpenSearch
    // Service instances (next-destinations §3.4).
    opensearch: 5_000_000,
    sentinel: SENTINEL_DEFAULT_MAX_BATCH_BYTES,
    http: HTTP_DEFAULT_MAX_BATCH_BYTES,
    // Under the 4 MB of a logs:import request, with Google's own margin
    // (its ingestion scripts keep 3.95 MB; next-destinations §2.4).
    google_secops: 3_900_000,
  });

/**
 * Datadog refuses requests over 5 MB uncompressed
 * (https://docs.datadoghq.com/api/latest/logs/#send-logs).
 */
export const DATADOG_MAX_REQUEST_BYTES = 5_000_000;

/**
 * The default `maxBufferedBytes`: 64 MiB of event JSON per destination. An
 * event buffered costs about 1 KB of heap beyond its JSON, so a server
 * holding a full buffer for each of three destinations needs a few hundred
 * MB at most.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * The `maxBufferedBytes` the Cloudflare Worker without a queue uses unless a
 * destination sets its own: 8 MiB, so that three full buffers stay well
 * inside a Worker isolate's 128 MB.
 */
export const WORKER_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
