/**
 * What the doctor found for one destination: each step checked, in order,
 * with what works or what to fix, in sentences.
 *
 * @module
 */
import type { SIEMPlatform } from "../platforms/platform.ts";

/**
 * The steps the doctor checks, in order: the network (DNS, TCP, TLS), the
 * endpoint answering as the platform (not a proxy page), the credential,
 * the permission to write to the target, and a test event.
 */
export type DoctorStep =
  | "connection"
  | "platform"
  | "authentication"
  | "permission"
  | "test_event";

/**
 * How a step went: `ok` works, `fail` must be fixed before events can be
 * delivered, `warn` works but deserves a look, `skipped` was not checked
 * (the message says why and how to check it).
 */
export type DoctorStatus = "ok" | "fail" | "warn" | "skipped";

/** One step's outcome. */
export interface DoctorCheck {
  /** The step. */
  step: DoctorStep;
  /** How it went. */
  status: DoctorStatus;
  /** What works, or what is wrong and how to fix it, in sentences. */
  message: string;
}

/** The diagnosis of one destination. */
export interface DestinationDiagnosis {
  /** The destination's name. */
  name: string;
  /** Its platform. */
  platform: SIEMPlatform;
  /** Its base URL. */
  endpoint: string;
  /** True when no step failed: events can be delivered. */
  canDeliver: boolean;
  /** The steps checked, in order; checking stops at the first failure. */
  checks: DoctorCheck[];
}

/** Options of `checkDestination`. */
export interface CheckDestinationOptions {
  /** The `fetch` to use; default: the global one. */
  fetch?: typeof fetch | undefined;
  /** Time limit of each request, in ms; default 3000. */
  stepTimeoutMs?: number | undefined;
  /**
   * Send one test event (as the destination's exporter sends batches) where
   * the platform has no way to check a write without storing data; default
   * false.
   */
  sendTestEvent?: boolean | undefined;
}

/** The default time limit of each request of the doctor, in ms. */
export const DEFAULT_STEP_TIMEOUT_MS = 3000;

/** A step that works. */
export function ok(step: DoctorStep, message: string): DoctorCheck {
  return { step, status: "ok", message };
}

/** A step that must be fixed. */
export function fail(step: DoctorStep, message: string): DoctorCheck {
  return { step, status: "fail", message };
}

/** A step that works but deserves a look. */
export function warn(step: DoctorStep, message: string): DoctorCheck {
  return { step, status: "warn", message };
}

/** A step not checked. */
export function skipped(step: DoctorStep, message: string): DoctorCheck {
  return { step, status: "skipped", message };
}
