/**
 * A fake Entra token endpoint and a fake Logs Ingestion API started
 * together, the stream declared with the shipped DCR's columns, and configs
 * pointing at them.
 *
 * @module
 */
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import { type FakeEntra, startFakeEntra } from "../fakes/fake_entra.ts";
import {
  type FakeColumn,
  type FakeSentinel,
  startFakeSentinel,
} from "../fakes/fake_sentinel.ts";

/** The app registration and DCR of the fakes. */
export const SENTINEL = {
  tenantId: "7a1c2f00-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
  clientId: "0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b",
  clientSecret: "sentinel-SECRET~Q8r.5vX_9kLmN0pQrStUv",
  dcrImmutableId: "dcr-0123456789abcdef0123456789abcdef",
  streamName: "Custom-HarombeSecurity",
} as const;

/** The shipped ARM template (custom table, DCE, DCR). */
export const DEPLOY_FILE = new URL(
  "../../deploy/sentinel/harombe-sentinel.json",
  import.meta.url,
);

/** The template's DCR stream declaration and table columns. */
export function shippedColumns(): {
  stream: FakeColumn[];
  table: FakeColumn[];
  streamName: string;
  outputStream: string;
  tableName: string;
} {
  const template = JSON.parse(Deno.readTextFileSync(DEPLOY_FILE));
  // deno-lint-ignore no-explicit-any -- an ARM template, read as JSON
  const resources = template.resources as Array<Record<string, any>>;
  const dcr = resources.find((r) =>
    r.type === "Microsoft.Insights/dataCollectionRules"
  )!;
  const table = resources.find((r) =>
    r.type === "Microsoft.OperationalInsights/workspaces/tables"
  )!;
  const [streamName, declaration] = Object.entries(
    dcr.properties.streamDeclarations as Record<
      string,
      { columns: FakeColumn[] }
    >,
  )[0]!;
  const pick = (columns: FakeColumn[]) =>
    columns.map(({ name, type }) => ({ name, type }));
  return {
    stream: pick(declaration.columns),
    table: pick(table.properties.schema.columns),
    streamName,
    outputStream: dcr.properties.dataFlows[0].outputStream,
    tableName: table.properties.schema.name,
  };
}

/** The two fakes, closed together. */
export interface SentinelFakes extends AsyncDisposable {
  entra: FakeEntra;
  sentinel: FakeSentinel;
  /** A config for the fakes, with `extra` applied. */
  config(extra?: Partial<SIEMConfigInput>): SIEMConfigInput;
}

/** Options of {@linkcode startSentinelFakes}. */
export interface SentinelFakesOptions {
  /** The fakes' clock. Default `Date.now`. */
  now?: () => number;
  /** Lifetime of tokens, in seconds. Default 60. */
  tokenLifetimeSeconds?: number;
}

/** Starts the fake Entra endpoint and the fake Logs Ingestion API. */
export function startSentinelFakes(
  options: SentinelFakesOptions = {},
): SentinelFakes {
  const entra = startFakeEntra({
    tenantId: SENTINEL.tenantId,
    clientId: SENTINEL.clientId,
    clientSecret: SENTINEL.clientSecret,
    ...(options.now ? { now: options.now } : {}),
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 60,
  });
  const sentinel = startFakeSentinel({
    entra,
    dcrImmutableId: SENTINEL.dcrImmutableId,
    streamName: SENTINEL.streamName,
    columns: shippedColumns().stream,
  });
  return {
    entra,
    sentinel,
    config: (extra = {}) => ({
      platform: "sentinel",
      endpoint: sentinel.url,
      sentinel: {
        tenantId: SENTINEL.tenantId,
        clientId: SENTINEL.clientId,
        clientSecret: SENTINEL.clientSecret,
        dcrImmutableId: SENTINEL.dcrImmutableId,
        authorityHost: entra.url,
      },
      ...extra,
    }),
    async [Symbol.asyncDispose](): Promise<void> {
      await Promise.all([entra.close(), sentinel.close()]);
    },
  };
}
