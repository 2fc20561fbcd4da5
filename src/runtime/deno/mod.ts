/**
 * Deno-only pieces: the ingest server (`Deno.serve`) and the local NDJSON
 * file sink. Import from `@harombe/siem/deno`; the server's configuration
 * (`serverConfig`, `ServerConfig`) is at `@harombe/siem/ingest`.
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
