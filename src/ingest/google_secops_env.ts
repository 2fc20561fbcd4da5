/**
 * The Google SecOps destination of the `SIEM_GOOGLE_SECOPS_*` variables.
 *
 * @module
 */
import type {
  GoogleSecOpsConfigInput,
  SIEMConfigInput,
} from "../platforms/siem_config.ts";
import { ServerConfigError } from "./server_config_error.ts";

const GOOGLE = "SIEM_GOOGLE_SECOPS";
const GOOGLE_FIELDS = [
  ["PROJECT", "project"],
  ["LOCATION", "location"],
  ["INSTANCE", "instance"],
  ["LOG_TYPE", "logType"],
  ["NAMESPACE", "namespace"],
] as const;

// One Google SecOps destination from SIEM_GOOGLE_SECOPS_*: completes (and
// overrides) a JSON destination named google_secops, as for the other
// platforms. The key's JSON is passed as it is; the config's validation
// says what is wrong with it, never quoting it.
export function googleSecOpsFromEnv(
  env: Record<string, string | undefined>,
  destinations: SIEMConfigInput[],
): void {
  const set = Object.keys(env).filter((name) =>
    name.startsWith(`${GOOGLE}_`) && env[name] !== undefined &&
    env[name] !== ""
  );
  if (set.length === 0) return;
  const at = destinations.findIndex((d) =>
    d.platform === "google_secops" &&
    (d.name ?? d.platform) === "google_secops"
  );
  const from = at === -1 ? undefined : destinations[at]!;
  const base: Partial<GoogleSecOpsConfigInput> = { ...from?.googleSecOps };
  const credentials = env[`${GOOGLE}_CREDENTIALS`];
  if (credentials) base.credentials = credentials;
  for (const [suffix, field] of GOOGLE_FIELDS) {
    const value = env[`${GOOGLE}_${suffix}`];
    if (value) base[field] = value;
  }
  const labels = env[`${GOOGLE}_LABELS`];
  if (labels) base.labels = parseLabels(labels);
  if (base.credentials === undefined) {
    throw new ServerConfigError(
      `${
        set[0]
      } is set but there is no service-account key: set ${GOOGLE}_CREDENTIALS (the key file's JSON) or ${GOOGLE}_CREDENTIALS_FILE, or add a destination named "google_secops" to SIEM_DESTINATIONS`,
    );
  }
  const location = base.location ?? "";
  const endpoint = env[`${GOOGLE}_URL`] || from?.endpoint ||
    `https://chronicle.${location}.rep.googleapis.com`;
  const config: SIEMConfigInput = {
    ...(from ?? {}),
    platform: "google_secops",
    endpoint,
    googleSecOps: {
      project: "",
      location: "",
      instance: "",
      logType: "",
      ...base,
    } as GoogleSecOpsConfigInput,
  };
  if (at === -1) destinations.push(config);
  else destinations[at] = config;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new ServerConfigError(
        `${GOOGLE}_LABELS must be key=value pairs separated by commas`,
      );
    }
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}
