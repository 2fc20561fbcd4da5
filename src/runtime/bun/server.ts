// deno-lint-ignore-file no-console
/**
 * The Bun entry: `Bun.serve` around the ingest app, configured from
 * environment variables and `SIEM_CONFIG_FILE` (see docs/configuration.md).
 * Run it with `bun run <bundle or file>`; SIGHUP re-reads its tokens;
 * SIGINT/SIGTERM stop it gracefully: what is
 * buffered is delivered until `STOP_TIMEOUT_MS`, and what is still
 * undelivered then is written to `<DATA_DIR>/undelivered-<time>.ndjson`, as
 * the Deno entry does.
 *
 * @module
 */
import { SIEMIntegrator } from "../../delivery/integrator.ts";
import { createIngestApp } from "../../ingest/app.ts";
import { ProducerTokens } from "../../ingest/producer_tokens.ts";
import { type ServerConfig, serverConfig } from "../../ingest/server_config.ts";
import { serverConfigWithFiles } from "../../ingest/server_config_files.ts";
import { reloadTokens } from "../../ingest/token_reload.ts";
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
  /** A lazy file reference (https://bun.sh/docs/runtime/file-io, "Reading files"). */
  file(path: string): { text(): Promise<string> };
}

// Bun's `process` (Node's API), for the signals and the exit code.
interface NodeLikeProcess {
  on(signal: string, listener: () => void): void;
  off(signal: string, listener: () => void): void;
  exit(code: number): never;
}
const process = (globalThis as { process?: NodeLikeProcess }).process;

/** A running Bun ingest server. */
export interface BunIngestServer {
  /** The base URL it listens on. */
  url: string;
  /** The integrator that forwards accepted events. */
  integrator: SIEMIntegrator;
  /**
   * Re-reads the tokens (as on SIGHUP, {@linkcode serveBun} only): false
   * when they could not be used, and then the tokens in use stay and the
   * log says why. {@linkcode startBunServer} has nothing to re-read: false.
   */
  reloadTokens(): Promise<boolean>;
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
 * Starts the ingest server on Bun as `bun run server.js` does: configured
 * from the environment and the JSON file named by `SIEM_CONFIG_FILE` (and
 * the Google SecOps key from `SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE`), it
 * re-reads its tokens from them on SIGHUP and every
 * `INGEST_TOKENS_RELOAD_MS`, keeping the tokens in use when the new ones
 * cannot be read. Needs at least one SIEM destination.
 *
 * @example
 * ```ts ignore
 * import { serveBun } from "@harombe/siem/bun";
 *
 * const server = await serveBun();
 * process.on("SIGTERM", () => server.shutdown().then(() => process.exit(0)));
 * ```
 *
 * @param env The environment; default `Bun.env`.
 * @returns The running server.
 * @throws {Error} When not running on Bun, no SIEM is configured, or a
 * file cannot be read.
 */
export async function serveBun(
  env?: Record<string, string | undefined>,
): Promise<BunIngestServer> {
  const bun = bunRuntime();
  const vars = env ?? bun.env;
  const load = (): Promise<ServerConfig> =>
    serverConfigWithFiles(
      vars,
      (path) => bun.file(path).text(),
      vars.SIEM_CONFIG_FILE,
    );
  return serve(bun, await load(), load);
}

/**
 * Starts the ingest server on Bun, configured from environment variables
 * only, at once. It reads no file, so it does not reload its tokens: use
 * {@linkcode serveBun} for `SIEM_CONFIG_FILE`,
 * `SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE` and reloads. Needs at least one SIEM
 * destination.
 *
 * @example
 * ```ts ignore
 * import { startBunServer } from "@harombe/siem/bun";
 *
 * startBunServer();
 * ```
 *
 * @param env The environment; default `Bun.env`.
 * @returns The running server.
 * @throws {Error} When not running on Bun, no SIEM is configured, or a
 * file variable is set (it would be ignored).
 */
export function startBunServer(
  env?: Record<string, string | undefined>,
): BunIngestServer {
  const bun = bunRuntime();
  const vars = env ?? bun.env;
  // A file it cannot read would be ignored in silence: its tokens and
  // destinations not in force.
  for (const name of FILE_VARIABLES) {
    if (vars[name]) {
      throw new Error(
        `Cannot start: ${name} is set but startBunServer() reads no file; use serveBun()`,
      );
    }
  }
  return serve(bun, serverConfig(vars), undefined);
}

const FILE_VARIABLES = [
  "SIEM_CONFIG_FILE",
  "SIEM_GOOGLE_SECOPS_CREDENTIALS_FILE",
] as const;

function bunRuntime(): BunRuntime {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (!bun) throw new Error("Cannot start: this entry runs on Bun only");
  return bun;
}

function serve(
  bun: BunRuntime,
  config: ServerConfig,
  reload: (() => Promise<ServerConfig>) | undefined,
): BunIngestServer {
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
  const tokens = new ProducerTokens(config.tokens);
  const app = createIngestApp({
    integrator,
    tokens,
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

  const log = (line: string): void => console.log(line);
  const reloadNow = (): Promise<boolean> =>
    reload
      ? reloadTokens(tokens, async () => (await reload()).tokens, log)
      : Promise.resolve(false);
  const onHangup = (): void => void reloadNow();
  // As on Deno: no reload when started without tokens, so that a reload
  // never opens nor closes an unauthenticated ingest.
  const reloading = reload !== undefined && tokens.size > 0;
  if (reloading) process?.on("SIGHUP", onHangup);
  const every = reloading && config.tokenReloadMs !== undefined &&
      config.tokenReloadMs > 0
    ? setInterval(onHangup, config.tokenReloadMs)
    : undefined;

  let stopping: Promise<number> | undefined;
  return {
    url,
    integrator,
    reloadTokens: reloadNow,
    shutdown: (): Promise<number> =>
      stopping ??= (async () => {
        if (reloading) process?.off("SIGHUP", onHangup);
        clearInterval(every);
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

if ((import.meta as { main?: boolean }).main && process) {
  const fail = (error: unknown): never => {
    console.error(error instanceof Error ? error.message : error);
    return process.exit(1);
  };
  // SIGHUP (and INGEST_TOKENS_RELOAD_MS) re-read the tokens: serveBun().
  serveBun().then((server) => {
    for (const signal of ["SIGINT", "SIGTERM"]) {
      process.on(signal, () => {
        console.log(`received ${signal}: stopping`);
        // Undelivered events are in the file: nothing is lost. Only a
        // failed write is an error exit.
        server.shutdown().then(
          () => process.exit(0),
          (error) =>
            fail(
              new Error(
                `cannot save undelivered events: ${
                  error instanceof Error ? error.message : error
                }`,
              ),
            ),
        );
      });
    }
  }, fail);
}
