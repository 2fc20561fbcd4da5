/**
 * Deno-only pieces: the ingest server (`Deno.serve`) and the local NDJSON
 * file sink. Import from `@harombe/siem/deno`.
 *
 * @module
 */
export {
  configFromDenoEnv,
  type IngestServer,
  startServer,
  type StartServerOptions,
} from "./server.ts";
export { FILE_DESTINATION, NdjsonFileSink } from "./ndjson_file_sink.ts";
export {
  type ServerConfig,
  serverConfig,
  ServerConfigError,
  type ServerConfigFile,
} from "../../ingest/server_config.ts";
