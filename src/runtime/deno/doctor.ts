// deno-lint-ignore-file no-console
/**
 * `deno task doctor`: checks every configured destination (the same
 * configuration as `deno task start`) and says what works and what to fix.
 *
 * ```sh
 * deno task doctor [--destination NAME] [--send-test-event] [--timeout MS] [config.json]
 * ```
 *
 * Exit codes: 0 every destination can deliver, 1 one cannot, 2 a usage or
 * configuration error.
 *
 * @module
 */
import { checkDestination } from "../../doctor/check_destination.ts";
import { formatDiagnosis } from "../../doctor/format.ts";
import { DEFAULT_STEP_TIMEOUT_MS } from "../../doctor/report.ts";
import { parseSIEMConfig } from "../../platforms/siem_config.ts";
import { configFromDenoEnv } from "./server.ts";

const USAGE =
  "usage: deno task doctor [--destination NAME] [--send-test-event] [--timeout MS] [config.json]";

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @param doFetch The `fetch` to use; default: the global one.
 * @returns The exit code.
 */
export async function doctorCommand(
  args: string[],
  doFetch: typeof fetch = fetch,
): Promise<number> {
  let only: string | undefined;
  let sendTestEvent = false;
  let stepTimeoutMs = DEFAULT_STEP_TIMEOUT_MS;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--send-test-event") sendTestEvent = true;
    else if (arg === "--destination" && args[i + 1] !== undefined) {
      only = args[++i];
    } else if (arg === "--timeout" && /^\d+$/.test(args[i + 1] ?? "")) {
      stepTimeoutMs = Number(args[++i]);
    } else if (!arg.startsWith("--") && files.length === 0) files.push(arg);
    else {
      console.error(`unknown argument ${arg}\n${USAGE}`);
      return 2;
    }
  }
  let all;
  try {
    all = (await configFromDenoEnv(files)).destinations.map((d) =>
      parseSIEMConfig(d)
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const targets = all.filter((d) =>
    d.enabled && (only === undefined || d.name === only)
  );
  if (targets.length === 0) {
    console.error(
      only === undefined
        ? "no destination configured: set for example SIEM_SPLUNK_URL and SIEM_SPLUNK_TOKEN, or SIEM_DESTINATIONS, as for deno task start"
        : `no enabled destination named ${
          JSON.stringify(only)
        }: the configured ones are ${
          all.map((d) => d.name).join(", ") || "none"
        }`,
    );
    return 2;
  }
  // In parallel: the whole run takes as long as the slowest destination.
  const diagnoses = await Promise.all(
    targets.map((config) =>
      checkDestination(config, { fetch: doFetch, stepTimeoutMs, sendTestEvent })
    ),
  );
  console.log(diagnoses.map(formatDiagnosis).join("\n\n"));
  return diagnoses.every((d) => d.canDeliver) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await doctorCommand(Deno.args));
