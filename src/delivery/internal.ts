/**
 * Module-internal hooks between the ingest and the integrator; not part of
 * the public API.
 *
 * @module
 */
import type { RefusedMetadata } from "../platforms/elasticsearch_mapping.ts";

/**
 * The key of the integrator method that buffers events the ingest app has
 * just validated itself (fresh objects no caller holds), skipping a second
 * validation.
 */
export const exportValidated: unique symbol = Symbol("exportValidated");

/**
 * Thrown by the integrator's {@linkcode exportValidated} when a destination's
 * buffer cannot hold all the events (in count or in bytes); none was
 * buffered. The ingest answers 503 with `Retry-After`.
 */
export class BuffersFullError extends Error {
  /**
   * Creates the error.
   *
   * @param destination The destination whose buffer is full.
   */
  constructor(destination: string) {
    super(
      `Cannot buffer the events: the buffer of ${destination} is full (maxBufferedEvents or maxBufferedBytes)`,
    );
    this.name = "BuffersFullError";
  }
}

/**
 * Thrown by the integrator's {@linkcode exportValidated} when events carry
 * metadata an Elasticsearch destination's dynamic mapping always refuses;
 * none was buffered. The ingest answers 400 naming each field.
 */
export class RefusedEventsError extends Error {
  /** Each refused event's position, field and reason. */
  readonly problems: readonly RefusedMetadata[];

  /**
   * Creates the error.
   *
   * @param problems Each refused event's position, field and reason.
   */
  constructor(problems: readonly RefusedMetadata[]) {
    super(
      `Cannot accept the events: ${
        problems.map((p) => `${p.index}.${p.path} ${p.message}`).join("; ")
      }`,
    );
    this.name = "RefusedEventsError";
    this.problems = problems;
  }
}
