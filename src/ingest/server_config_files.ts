/**
 * A server's configuration from its environment and the files it names
 * (`SIEM_CONFIG_FILE`, `SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE`), for the Deno
 * and Bun servers alike: each passes its own way of reading a file.
 *
 * @module
 */
import {
  type ServerConfig,
  serverConfig,
  type ServerConfigFile,
} from "./server_config.ts";
import { ServerConfigError } from "./server_config_error.ts";

/**
 * Reads the configuration: the environment, the JSON file at `path` (when
 * set), and the Google SecOps key from
 * `SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE` unless
 * `SIEM_GOOGLE_SECOPS_CREDENTIALS` holds it. The environment is not
 * changed (Bun's `Bun.env` is the process's own).
 *
 * @example
 * ```ts ignore
 * const config = await serverConfigWithFiles(
 *   Deno.env.toObject(),
 *   Deno.readTextFile,
 *   Deno.env.get("SIEM_CONFIG_FILE"),
 * );
 * ```
 *
 * @param env The environment variables.
 * @param readText Reads a text file.
 * @param path The JSON config file's path, if any.
 * @returns The configuration.
 * @throws {ServerConfigError} When the file is not JSON (without quoting
 * it: it may hold a token) or a value cannot be read.
 */
export async function serverConfigWithFiles(
  env: Readonly<Record<string, string | undefined>>,
  readText: (path: string) => Promise<string>,
  path: string | undefined,
): Promise<ServerConfig> {
  const vars = { ...env };
  // The Google SecOps key may come as a file (a mounted secret) rather
  // than as JSON in a variable.
  const keyFile = vars.SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE;
  if (keyFile && !vars.SIEM_GOOGLE_SECOPS_CREDENTIALS) {
    vars.SIEM_GOOGLE_SECOPS_CREDENTIALS = await readText(keyFile);
  }
  let file: ServerConfigFile | undefined;
  if (path) {
    const text = await readText(path);
    try {
      file = JSON.parse(text) as ServerConfigFile;
    } catch {
      // JSON.parse's message quotes the text, which may hold a token.
      throw new ServerConfigError(`${path} is not valid JSON`);
    }
  }
  return serverConfig(vars, file);
}
