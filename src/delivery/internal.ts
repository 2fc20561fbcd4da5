/**
 * Module-internal hooks between the ingest and the integrator; not part of
 * the public API.
 *
 * @module
 */

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
