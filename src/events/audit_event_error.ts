/**
 * The error an audit event that breaks a rule throws.
 *
 * @module
 */

/** One reason an audit event was refused: where, and why. */
export interface AuditEventIssue {
  /** Path of the offending field, such as `"metadata.user.id"` or `"actor"`. */
  path: string;
  /** Why it was refused. */
  message: string;
}

/**
 * Thrown when an audit event does not match {@linkcode AuditEventSchema}. Its
 * message names every offending field and rule; `issues` has them as data.
 */
export class InvalidAuditEventError extends TypeError {
  /** Each offending field and its rule. */
  readonly issues: readonly AuditEventIssue[];

  /**
   * Creates the error from the issues found.
   *
   * @param issues Each offending field and its rule.
   */
  constructor(issues: readonly AuditEventIssue[]) {
    super(
      `Cannot accept audit event: ${
        issues.map((i) => `${i.path || "(event)"} ${i.message}`).join("; ")
      }`,
    );
    this.name = "InvalidAuditEventError";
    this.issues = issues;
  }
}

/**
 * Turns zod issues into `{ path, message }` pairs with dotted paths.
 *
 * @param issues The issues of a failed zod parse.
 * @returns One pair per issue.
 */
export function toIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): AuditEventIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}
