// deno-lint-ignore-file no-console
/**
 * `deno task setup-index`: installs the index template (explicit types for
 * the event's fields, `metadata` as one `flattened` field on Elasticsearch,
 * `flat_object` on OpenSearch, a data stream) on every configured
 * Elasticsearch and OpenSearch destination, with the same configuration
 * (and credentials: API key, Basic auth, AWS SigV4) as `deno task start`.
 *
 * ```sh
 * deno task setup-index [--destination NAME] [--no-data-stream] [--print]
 * ```
 *
 * Once the template is installed, set the destination's `indexTemplate:
 * true` (`SIEM_ELASTICSEARCH_INDEX_TEMPLATE=true`): until then, events whose
 * metadata a dynamic mapping refuses are refused at acceptance.
 *
 * Exit codes: 0 installed everywhere (or printed), 1 a server refused or
 * could not be reached, 2 a usage or configuration error.
 *
 * @module
 */
import {
  indexTemplate,
  installIndexTemplate,
} from "../../platforms/index_template.ts";
import { parseSIEMConfig } from "../../platforms/siem_config.ts";
import { configFromDenoEnv } from "./server.ts";

const USAGE =
  "usage: deno task setup-index [--destination NAME] [--no-data-stream] [--print]";
const FLAGS = new Set(["--destination", "--no-data-stream", "--print"]);

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function setupIndexCommand(args: string[]): Promise<number> {
  const unknown = args.filter((arg, i) =>
    arg.startsWith("--") ? !FLAGS.has(arg) : args[i - 1] !== "--destination"
  );
  if (unknown.length > 0) {
    console.error(`unknown argument ${unknown[0]}\n${USAGE}`);
    return 2;
  }
  const at = args.indexOf("--destination");
  const only = at === -1 ? undefined : args[at + 1];
  const dataStream = !args.includes("--no-data-stream");
  const all = (await configFromDenoEnv([])).destinations.map((d) =>
    parseSIEMConfig(d)
  );
  const searchEngines = all.filter((d) =>
    d.platform === "elasticsearch" || d.platform === "opensearch"
  );
  const targets = searchEngines.filter((d) =>
    only === undefined || d.name === only
  );
  if (targets.length === 0) {
    console.error(
      only === undefined
        ? "no Elasticsearch or OpenSearch destination configured: set SIEM_ELASTICSEARCH_URL (and _TOKEN, _INDEX), SIEM_OPENSEARCH_URL (and _USERNAME, _PASSWORD, _INDEX) or SIEM_DESTINATIONS, as for deno task start"
        : `no Elasticsearch or OpenSearch destination named ${
          JSON.stringify(only)
        }: the configured ones are ${
          searchEngines.map((d) => d.name).join(", ") || "none"
        }`,
    );
    return 2;
  }
  let failed = 0;
  for (const config of targets) {
    if (args.includes("--print")) {
      console.log(
        JSON.stringify(indexTemplate({
          index: config.index,
          dataStream,
          engine: config.platform === "opensearch"
            ? "opensearch"
            : "elasticsearch",
          schema: config.schema === "ecs" ? "ecs" : "native",
        })),
      );
      continue;
    }
    const result = await installIndexTemplate(config, { dataStream });
    if (result.ok) {
      console.log(
        `${config.name}: index template ${result.name} installed for ${config.index}${
          dataStream ? " (data stream)" : ""
        }${
          config.indexTemplate
            ? ""
            : `; now set indexTemplate: true on ${config.name} (SIEM_ELASTICSEARCH_INDEX_TEMPLATE=true), so that metadata a dynamic mapping refuses is accepted`
        }`,
      );
    } else {
      failed++;
      console.error(
        `${config.name}: index template ${result.name} not installed: ${result.error}`,
      );
    }
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await setupIndexCommand(Deno.args));
