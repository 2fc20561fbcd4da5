/**
 * What the producers (the Hono middleware, the LogTape sink) hand their
 * events to.
 *
 * @module
 */
import type { AuditEventInput } from "../events/audit_event.ts";

/**
 * Anything that takes one audit event at a time without waiting: a
 * `SIEMIntegrator` is one. `exportEvent` is called on the request
 * or logging path, so it must only buffer (the integrator validates,
 * serializes and buffers, and sends later from its own timer); what it
 * returns is ignored, and what it throws is reported, never passed to the
 * caller's request.
 */
export interface AuditEventTarget {
  /**
   * Takes one event; must not wait on the network.
   *
   * @param event The event.
   */
  exportEvent(event: AuditEventInput): unknown;
}
