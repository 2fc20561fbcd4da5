/**
 * The error a destination configuration that breaks a rule throws.
 *
 * @module
 */

/** Thrown when a destination configuration is invalid; the message names each field and rule. */
export class SIEMConfigError extends TypeError {
  /** Each offending field and its rule. */
  readonly issues: readonly { path: string; message: string }[];

  /**
   * Creates the error.
   *
   * @param destination The destination's name or platform, for the message.
   * @param issues Each offending field and its rule.
   */
  constructor(
    destination: string,
    issues: readonly { path: string; message: string }[],
  ) {
    super(
      `Cannot use SIEM config ${destination}: ${
        issues.map((i) => `${i.path || "(config)"} ${i.message}`).join("; ")
      }`,
    );
    this.name = "SIEMConfigError";
    this.issues = issues;
  }
}
