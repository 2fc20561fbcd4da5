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
