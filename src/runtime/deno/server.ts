// deno-lint-ignore-file no-console
/**
 * The ingest server on Deno: `Deno.serve` around the ingest app, configured
 * from environment variables and an optional JSON file. Deno only.
 *
 * @module
 */
import { SIEMIntegrator } from "../../delivery/integrator.ts";
import { consoleLogger } from "../../delivery/console_logger.ts";
import type { StopReport } from "../../delivery/export_result.ts";
import type { Logger } from "../../delivery/logger.ts";
import { diagnosingLogger } from "../../doctor/diagnosing_logger.ts";
import {
  type ParsedSIEMConfig,
  parseOnce,
} from "../../platforms/siem_config.ts";
import { createIngestApp } from "../../ingest/app.ts";
import type { ServerConfig } from "../../ingest/server_config.ts";
import { serverConfigWithFiles } from "../../ingest/server_config_files.ts";
import { type IngestSink, integratorSink } from "../../ingest/sink.ts";
import { ProducerTokens } from "../../ingest/producer_tokens.ts";
import { reloadTokens } from "../../ingest/token_reload.ts";
import { KvSpool } from "../../spool/kv_spool.ts";
import { openKvWhenFree } from "./open_kv.ts";
import { undeliveredNdjson, undeliveredPath } from "../undelivered_file.ts";
import { ensureWritableDir } from "./data_dir.ts";
import { NdjsonFileSink } from "./ndjson_file_sink.ts";

/** A running ingest server. */
export interface IngestServer {
  /** The base URL it listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The integrator, when SIEMs are configured with `SPOOL=memory`. */
  integrator?: SIEMIntegrator | undefined;
  /** The local file sink, when no SIEM is configured. */
  fileSink?: NdjsonFileSink | undefined;
  /** The durable spool, when SIEMs are configured with `SPOOL=kv` (the default). */
  spool?: KvSpool | undefined;
  /**
   * Re-reads the tokens (as on SIGHUP): false when they could not be
   * used, and then the tokens in use stay and the log says why.
   */
  reloadTokens(): Promise<boolean>;
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
  /**
   * Re-reads the configuration, for reloading the tokens on SIGHUP and
   * every `tokenReloadMs` (`deno task start`: {@linkcode configFromDenoEnv}).
   * Without it, the tokens are the ones given at start.
   */
  reload?: (() => Promise<ServerConfig>) | undefined;
}

/**
 * Starts the ingest server for a configuration.
 *
 * @example
 * ```ts ignore
 * import { serverConfig } from "@harombe/siem/ingest";
 * import { startServer } from "@harombe/siem/deno";
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
  await checkWritableDirs(config);
  // Parsed here, once: everything inward takes the parsed configs.
  const destinations = config.destinations.map((d) => parseOnce(d));
  // The first failed delivery of each destination prints the doctor's
  // diagnosis (what works, what to fix) beside the delivery log.
  const logger = diagnosingLogger(destinations, consoleLogger, log);
  const sinks = await chooseSink(config, destinations, logger);
  const tokens = new ProducerTokens(config.tokens);
  const app = createIngestApp({
    sink: sinks.sink,
    tokens,
    quotas: config.quotas,
    allowUnauthenticated: config.allowUnauthenticated,
    maxBodyBytes: config.maxBodyBytes,
    maxEventsPerRequest: config.maxEventsPerRequest,
  });
  const { integrator, fileSink, spool, kv } = sinks;
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
  if (spool) {
    log(`  forwarding to: ${spool.destinations.join(", ")}`);
    log(
      `  durable spool: Deno KV at ${
        config.spoolPath === "default"
          ? "the runtime's default store"
          : sinks.kvPath
      } (instance ${spool.instanceId})`,
    );
  } else if (integrator) {
    log(`  forwarding to: ${integrator.destinations.join(", ")}`);
    log(
      "  spool: memory (events buffered in this process are lost if it dies)",
    );
  } else {
    log(`  no SIEM configured: events go to ${fileSink!.pathFor()}`);
    log(
      "  to forward to a SIEM, set for example SIEM_SPLUNK_URL and SIEM_SPLUNK_TOKEN (see docs/deploy-server.md)",
    );
  }
  log(
    config.tokens.length > 0
      ? `  ${config.tokens.length} ingest token(s) configured`
      : "  WARNING: no ingest token: anyone who reaches this port may post events",
  );

  const reload = options.reload;
  const reloadNow = (): Promise<boolean> =>
    reload
      ? reloadTokens(tokens, async () => (await reload()).tokens, log)
      : Promise.resolve(false);
  const onHangup = (): void => void reloadNow();
  // No reload when started without tokens: a reload never opens nor
  // closes an unauthenticated ingest.
  const reloading = reload !== undefined && tokens.size > 0;
  if (reloading) Deno.addSignalListener("SIGHUP", onHangup);
  const every = reloading && config.tokenReloadMs !== undefined &&
      config.tokenReloadMs > 0
    ? setInterval(onHangup, config.tokenReloadMs)
    : undefined;

  let stopping: Promise<StopReport | undefined> | undefined;
  const shutdown = (): Promise<StopReport | undefined> =>
    stopping ??= (async () => {
      if (reloading) Deno.removeSignalListener("SIGHUP", onHangup);
      clearInterval(every);
      await server.shutdown();
      await logger.idle();
      if (spool) {
        const report = await spool.stop();
        kv?.close();
        // What storage still holds, not only what was in memory.
        const stored = Object.entries(report.stored).filter(([, n]) => n > 0);
        if (stored.length > 0) {
          log(
            `  stopped with undelivered events stored in the spool for the next start: ${
              stored.map(([name, n]) => `${name} ${n}`).join(", ")
            }`,
          );
        } else {
          log("  stopped: the spool holds no undelivered event");
        }
        return report;
      }
      if (!integrator) {
        await fileSink!.flush();
        return undefined;
      }
      const report = await integrator.stop();
      if (report.undeliveredCount > 0) {
        const path = undeliveredPath(config.dataDir, new Date());
        await Deno.mkdir(config.dataDir, { recursive: true });
        await Deno.writeTextFile(path, undeliveredNdjson(report));
        log(
          `  ${report.undeliveredCount} undelivered event(s) saved to ${path}`,
        );
      }
      return report;
    })();
  return {
    url,
    integrator,
    fileSink,
    spool,
    reloadTokens: reloadNow,
    shutdown,
  };
}

interface Sinks {
  sink: IngestSink;
  integrator?: SIEMIntegrator | undefined;
  fileSink?: NdjsonFileSink | undefined;
  spool?: KvSpool | undefined;
  kv?: Deno.Kv | undefined;
  kvPath?: string | undefined;
}

// No SIEM: the local file. SIEMs: the durable KV spool, or memory if asked.
async function chooseSink(
  config: ServerConfig,
  destinations: readonly ParsedSIEMConfig[],
  logger: Logger,
): Promise<Sinks> {
  if (destinations.length === 0) {
    const fileSink = new NdjsonFileSink(config.dataDir);
    return { sink: fileSink, fileSink };
  }
  if (config.spool === "memory") {
    const integrator = new SIEMIntegrator(destinations, {
      stopTimeoutMs: config.stopTimeoutMs,
      logger,
    });
    return { sink: integratorSink(integrator), integrator };
  }
  const kvPath = localSpoolPath(config);
  const kv = await openKvWhenFree(kvPath);
  const spool = new KvSpool(kv, destinations, {
    stopTimeoutMs: config.stopTimeoutMs,
    logger,
    maxSpooledEvents: config.maxSpooledEvents,
    leaseMs: config.spoolLeaseMs,
    pollMs: config.spoolLeaseMs === undefined
      ? undefined
      : Math.max(50, Math.floor(config.spoolLeaseMs / 5)),
  });
  spool.start();
  return { sink: spool, spool, kv, kvPath };
}

// The KV store's file, or undefined for the runtime's own store (Deploy).
function localSpoolPath(config: ServerConfig): string | undefined {
  const onDeploy = Deno.env.get("DENO_DEPLOYMENT_ID") !== undefined;
  return config.spoolPath === "default" || (onDeploy && !config.spoolPath)
    ? undefined
    : config.spoolPath ?? `${config.dataDir}/spool.sqlite`;
}

// Every directory this configuration writes, checked before listening: a
// server that starts but cannot store answers 500 to every event.
async function checkWritableDirs(config: ServerConfig): Promise<void> {
  const dirs: [dir: string, variable: string][] = [];
  if (config.destinations.length === 0 || config.spool === "memory") {
    dirs.push([config.dataDir, "DATA_DIR"]);
  } else {
    const kvPath = localSpoolPath(config);
    if (kvPath) {
      const dir = kvPath.slice(0, Math.max(0, kvPath.lastIndexOf("/"))) || ".";
      dirs.push([
        dir,
        config.spoolPath ? "SPOOL_PATH's directory" : "DATA_DIR",
      ]);
    }
  }
  const all = dirs.map(([dir]) => dir);
  for (const [dir, variable] of dirs) {
    await ensureWritableDir(dir, variable, all);
  }
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
  return await serverConfigWithFiles(
    env,
    Deno.readTextFile,
    args[0] ?? env.SIEM_CONFIG_FILE,
  );
}
