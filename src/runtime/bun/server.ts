// deno-lint-ignore-file no-console
/**
 * The Bun entry: `Bun.serve` around the ingest app, configured from
 * environment variables (see docs/configuration.md). Run it with
 * `bun run <bundle or file>`; SIGINT/SIGTERM stop it gracefully: what is
 * buffered is delivered until `STOP_TIMEOUT_MS`, and what is still
 * undelivered then is written to `<DATA_DIR>/undelivered-<time>.ndjson`, as
 * the Deno entry does.
 *
 * @module
 */
import { SIEMIntegrator } from "../../delivery/integrator.ts";
import { createIngestApp } from "../../ingest/app.ts";
import { serverConfig } from "../../ingest/server_config.ts";
import { parseOnce } from "../../platforms/siem_config.ts";
import { undeliveredNdjson, undeliveredPath } from "../undelivered_file.ts";

interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

interface BunRuntime {
  env: Record<string, string | undefined>;
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request, server: unknown) => Response | Promise<Response>;
  }): BunServer;
  /** Writes a file (`createPath`: creating its missing parent directories). */
  write(
    path: string,
    data: string,
    options?: { createPath?: boolean },
  ): Promise<number>;
}

interface NodeLikeProcess {
  on(signal: string, listener: () => void): void;
  exit(code: number): never;
}

/** A running Bun ingest server. */
export interface BunIngestServer {
  /** The base URL it listens on. */
  url: string;
  /** The integrator that forwards accepted events. */
  integrator: SIEMIntegrator;
  /**
   * Stops accepting, delivers what is buffered until the stop deadline,
   * and writes any event it could not deliver to
   * `<dataDir>/undelivered-<time>.ndjson` (one `{destination, event}` line
   * each) so that none is lost.
   *
   * @returns How many events were saved to the file.
   */
  shutdown(): Promise<number>;
}

/**
 * Starts the ingest server on Bun. Needs at least one SIEM destination.
 *
 * @example
 * ```ts ignore
 * import { startBunServer } from "@harombe/siem/bun";
 *
 * await startBunServer();
 * ```
 *
 * @param env The environment; default `Bun.env`.
 * @returns The running server.
 * @throws {Error} When not running on Bun, or no SIEM is configured.
 */
export function startBunServer(
  env?: Record<string, string | undefined>,
): BunIngestServer {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (!bun) throw new Error("Cannot start: this entry runs on Bun only");
  const config = serverConfig(env ?? bun.env);
  if (config.destinations.length === 0) {
    throw new Error(
      "Cannot start: no SIEM configured (set SIEM_DESTINATIONS or SIEM_SPLUNK_URL, SIEM_ELASTICSEARCH_URL, SIEM_DATADOG_URL, SIEM_OPENSEARCH_URL)",
    );
  }
  // Parsed here, once: the integrator takes them as they are.
  const integrator = new SIEMIntegrator(
    config.destinations.map((d) => parseOnce(d)),
    { stopTimeoutMs: config.stopTimeoutMs },
  );
  const app = createIngestApp({
    integrator,
    tokens: config.tokens,
    quotas: config.quotas,
    allowUnauthenticated: config.allowUnauthenticated,
    maxBodyBytes: config.maxBodyBytes,
    maxEventsPerRequest: config.maxEventsPerRequest,
  });
  const server = bun.serve({
    port: config.port,
    hostname: config.hostname,
    fetch: (request) => app.fetch(request),
  });
  const url = `http://${config.hostname}:${server.port}`;
  console.log(`harombe-siem ingest (Bun) listening on ${url}`);
  let stopping: Promise<number> | undefined;
  return {
    url,
    integrator,
    shutdown: (): Promise<number> =>
      stopping ??= (async () => {
        await server.stop(false);
        const report = await integrator.stop();
        if (report.undeliveredCount > 0) {
          const path = undeliveredPath(config.dataDir, new Date());
          // Bun.write makes the missing directories with createPath
          // (https://bun.sh/docs/runtime/file-io, "Writing files").
          await bun.write(path, undeliveredNdjson(report), {
            createPath: true,
          });
          console.log(
            `  ${report.undeliveredCount} undelivered event(s) saved to ${path}`,
          );
        }
        return report.undeliveredCount;
      })(),
  };
}

const process = (globalThis as { process?: NodeLikeProcess }).process;
if ((import.meta as { main?: boolean }).main && process) {
  try {
    const server = startBunServer();
    for (const signal of ["SIGINT", "SIGTERM"]) {
      process.on(signal, () => {
        console.log(`received ${signal}: stopping`);
        // Undelivered events are in the file: nothing is lost. Only a
        // failed write is an error exit.
        server.shutdown().then(
          () => process.exit(0),
          (error) => {
            console.error(
              `cannot save undelivered events: ${
                error instanceof Error ? error.message : error
              }`,
            );
            process.exit(1);
          },
        );
      });
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
