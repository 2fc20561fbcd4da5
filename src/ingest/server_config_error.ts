/**
 * The error of an invalid server configuration.
 *
 * @module
 */

/** Thrown when the server configuration is invalid; never quotes a token. */
export class ServerConfigError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "ServerConfigError";
  }
}
