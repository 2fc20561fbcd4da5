// deno-lint-ignore-file no-console
/**
 * `deno task start`: runs the ingest server until SIGINT or SIGTERM, then
 * stops gracefully (stop accepting, deliver what is buffered, exit). On
 * SIGHUP it re-reads its tokens.
 *
 * @module
 */
import { configFromDenoEnv, startServer } from "./server.ts";

if (import.meta.main) {
  try {
    // SIGHUP (and INGEST_TOKENS_RELOAD_MS) re-read the tokens.
    const server = await startServer(await configFromDenoEnv(), {
      reload: () => configFromDenoEnv(),
    });
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, async () => {
        console.log(`received ${signal}: stopping`);
        await server.shutdown();
        Deno.exit(0);
      });
    }
  } catch (error) {
    console.error(
      `cannot start: ${error instanceof Error ? error.message : error}`,
    );
    Deno.exit(1);
  }
}
