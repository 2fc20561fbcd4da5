// deno-lint-ignore-file no-console
/**
 * The ingest server on Deno: `Deno.serve` around the ingest app, configured
 * from environment variables and an optional JSON file. Deno only.
 *
 * @module
 */
import { SIEMIntegrator } from "../../delivery/integrator.ts";
import type { StopReport } from "../../delivery/export_result.ts";
import { createIngestApp } from "../../ingest/app.ts";
import {
  type ServerConfig,
  serverConfig,
  type ServerConfigFile,
} from "../../ingest/server_config.ts";
import { integratorSink } from "../../ingest/sink.ts";
import { NdjsonFileSink } from "./ndjson_file_sink.ts";

/** A running ingest server. */
export interface IngestServer {
  /** The base URL it listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The integrator, when SIEMs are configured. */
  integrator?: SIEMIntegrator | undefined;
  /** The local file sink, when no SIEM is configured. */
  fileSink?: NdjsonFileSink | undefined;
  /**
   * Stops accepting requests, lets those in flight finish, delivers what is
   * buffered, and writes any event it could not deliver to
   * `<dataDir>/undelivered-<time>.ndjson` so that none is lost.
   */
  shutdown(): Promise<StopReport | undefined>;
}

/** Options of {@linkcode startServer}. */
export interface StartServerOptions {
  /** Where banner lines go; default `console.log`. */
  log?: ((line: string) => void) | undefined;
}

/**
 * Starts the ingest server for a configuration.
 *
 * @example
 * ```ts ignore
 * import { serverConfig, startServer } from "@harombe/siem/deno";
 *
 * const server = await startServer(serverConfig(Deno.env.toObject()));
 * Deno.addSignalListener("SIGTERM", () => server.shutdown());
 * ```
 *
 * @param config The configuration (see `serverConfig`).
 * @param options Where the banner goes.
 * @returns The running server.
 */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions = {},
): Promise<IngestServer> {
  const log = options.log ?? console.log;
  const integrator = config.destinations.length > 0
    ? new SIEMIntegrator(config.destinations, {
      stopTimeoutMs: config.stopTimeoutMs,
    })
    : undefined;
  const fileSink = integrator ? undefined : new NdjsonFileSink(config.dataDir);
  const app = createIngestApp({
    sink: integrator ? integratorSink(integrator) : fileSink,
    tokens: config.tokens,
    allowUnauthenticated: config.allowUnauthenticated,
    maxBodyBytes: config.maxBodyBytes,
    maxEventsPerRequest: config.maxEventsPerRequest,
  });
  const { promise: listening, resolve } = Promise.withResolvers<
    Deno.NetAddr
  >();
  const server = Deno.serve({
    hostname: config.hostname,
    port: config.port,
    onListen: resolve,
  }, app.fetch);
  const address = await listening;
  const host = address.hostname.includes(":")
    ? `[${address.hostname}]`
    : address.hostname;
  const url = `http://${host}:${address.port}`;
  log(`harombe-siem ingest listening on ${url}`);
  log(
    `  POST ${url}/events   GET ${url}/health   GET ${url}/stats   GET ${url}/metrics`,
  );
  if (integrator) {
    log(`  forwarding to: ${integrator.platforms.join(", ")}`);
  } else {
    log(`  no SIEM configured: events go to ${fileSink!.pathFor()}`);
    log(
      "  to forward to a SIEM, set for example SIEM_SPLUNK_URL and SIEM_SPLUNK_TOKEN (see README, 'Running the ingest server')",
    );
  }
  log(
    config.tokens.length > 0
      ? `  ${config.tokens.length} ingest token(s) configured`
      : "  WARNING: no ingest token: anyone who reaches this port may post events",
  );

  let stopping: Promise<StopReport | undefined> | undefined;
  const shutdown = (): Promise<StopReport | undefined> =>
    stopping ??= (async () => {
      await server.shutdown();
      if (!integrator) {
        await fileSink!.flush();
        return undefined;
      }
      const report = await integrator.stop();
      if (report.undeliveredCount > 0) {
        const path = `${config.dataDir}/undelivered-${
          new Date().toISOString().replaceAll(":", "-")
        }.ndjson`;
        await Deno.mkdir(config.dataDir, { recursive: true });
        await Deno.writeTextFile(
          path,
          report.destinations.flatMap((d) =>
            d.undelivered.map((event) =>
              JSON.stringify({ destination: d.result.destination, event }) +
              "\n"
            )
          ).join(""),
        );
        log(
          `  ${report.undeliveredCount} undelivered event(s) saved to ${path}`,
        );
      }
      return report;
    })();
  return { url, integrator, fileSink, shutdown };
}

/**
 * Reads the configuration from `Deno.env` and the JSON file named by
 * `SIEM_CONFIG_FILE` (or the first command-line argument).
 *
 * @param args Command-line arguments.
 * @returns The configuration.
 */
export async function configFromDenoEnv(
  args: readonly string[] = Deno.args,
): Promise<ServerConfig> {
  const env = Deno.env.toObject();
  const path = args[0] ?? env.SIEM_CONFIG_FILE;
  const file = path
    ? JSON.parse(await Deno.readTextFile(path)) as ServerConfigFile
    : undefined;
  return serverConfig(env, file);
}
