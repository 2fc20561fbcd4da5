/**
 * The public face of the module's zod schemas.
 *
 * @module
 */

/** One problem a schema found: where, and why. */
export interface SchemaIssue {
  /** The path of the offending value. */
  readonly path: PropertyKey[];
  /** Why it was refused. */
  readonly message: string;
}

/** The result of {@linkcode Schema.safeParse}. */
export type SchemaResult<T> =
  | { readonly success: true; readonly data: T }
  | {
    readonly success: false;
    readonly error: { readonly issues: readonly SchemaIssue[] };
  };

/**
 * A validating schema. The module's schemas are zod schemas; this is the
 * part of their interface the module promises, so that its public types do
 * not depend on zod's.
 *
 * @typeParam Output The validated value's type.
 * @typeParam Input The type the schema accepts.
 */
export interface Schema<Output, Input = unknown> {
  /**
   * Validates `input`; throws on the first invalid input.
   *
   * @param input The value to validate.
   * @returns The validated value, defaults filled.
   */
  parse(input: Input | unknown): Output;
  /**
   * Validates `input` without throwing.
   *
   * @param input The value to validate.
   * @returns The validated value, or the issues found.
   */
  safeParse(input: Input | unknown): SchemaResult<Output>;
}
