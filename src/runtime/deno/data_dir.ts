/**
 * The startup check of the data directory: the server refuses to start when
 * it may not write there, instead of starting and answering 500 to every
 * `POST /events`. Deno only.
 *
 * @module
 */

/** The command that runs the server with write access to other directories. */
export function directRunCommand(writableDirs: readonly string[]): string {
  return [
    "deno run --lock=src/runtime/deno/server.lock --frozen --unstable-kv",
    "--allow-net --allow-env --allow-read",
    `--allow-write=${writableDirs.join(",")}`,
    "src/runtime/deno/main.ts",
  ].join(" ");
}

/** Thrown when a directory the server needs cannot be written. */
export class DataDirError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong and what to run instead.
   */
  constructor(message: string) {
    super(message);
    this.name = "DataDirError";
  }
}

/**
 * Creates `dir` if needed and proves it writable by writing and removing a
 * probe file.
 *
 * @example
 * ```ts ignore
 * import { ensureWritableDir } from "./data_dir.ts";
 *
 * await ensureWritableDir("./data", "DATA_DIR");
 * ```
 *
 * @param dir The directory.
 * @param variable The setting that names it, for the message.
 * @param writableDirs Every directory the server writes, for the suggested command.
 * @throws {DataDirError} When the process may not write there, with the command to run instead.
 */
export async function ensureWritableDir(
  dir: string,
  variable: string,
  writableDirs: readonly string[] = [dir],
): Promise<void> {
  const probe = `${dir}/.write-probe-${Date.now()}-${crypto.randomUUID()}`;
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (error) {
    const denied = error instanceof Deno.errors.NotCapable ||
      error instanceof Deno.errors.PermissionDenied;
    if (!denied) {
      throw new DataDirError(
        `${variable}=${dir} cannot be used: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
    throw new DataDirError(
      `${variable}=${dir} is not writable by this process. ` +
        (error instanceof Deno.errors.NotCapable
          ? "`deno task start` may write only to ./data; to use another directory, run the server directly:\n  " +
            directRunCommand(writableDirs)
          : "Give the user that runs the server write access to it, or choose another directory."),
    );
  }
}
