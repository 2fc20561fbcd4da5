/**
 * Validation of posted events and the 503 answer for full buffers, apart
 * from the app's routes.
 *
 * @module
 */
import { type AuditEvent, AuditEventSchema } from "../events/audit_event.ts";
import { type EventProblem, IngestError } from "./ingest_error.ts";

const MAX_LISTED_PROBLEMS = 100;

/**
 * Validates every posted event: all or nothing.
 *
 * @param raw The parsed events.
 * @returns The validated events.
 * @throws {IngestError} 400 `invalid_events` listing the first 100 problems.
 */
export function validateEvents(raw: unknown[]): AuditEvent[] {
  const events: AuditEvent[] = [];
  const problems: EventProblem[] = [];
  let count = 0;
  for (let index = 0; index < raw.length; index++) {
    const result = AuditEventSchema.safeParse(raw[index]);
    if (result.success) {
      events.push(result.data);
      continue;
    }
    for (const issue of result.error.issues) {
      count++;
      if (problems.length < MAX_LISTED_PROBLEMS) {
        problems.push({
          index,
          path: issue.path.map(String).join("."),
          message: issue.message,
        });
      }
    }
  }
  if (count > 0) {
    const listed = count > problems.length
      ? ` (the first ${problems.length} are listed)`
      : "";
    throw new IngestError(
      400,
      "invalid_events",
      `${count} problem${
        count === 1 ? "" : "s"
      } in the events; none was accepted${listed}`,
      { events: problems },
    );
  }
  return events;
}

/**
 * The 503 answer when the buffers cannot take the events.
 *
 * @param free How many events could be taken.
 * @param sent How many were sent.
 * @param retryAfter The `Retry-After`, in seconds.
 * @returns The error to throw.
 */
export function overloaded(
  free: number,
  sent: number,
  retryAfter: number,
): IngestError {
  return new IngestError(
    503,
    "overloaded",
    free === 0
      ? "the forwarder cannot take events now: its buffers are full or no destination is enabled"
      : `the forwarder can take ${free} more events now, fewer than the ${sent} sent`,
    {},
    { "Retry-After": String(retryAfter) },
  );
}
