/**
 * The three fake SIEMs started together, with configs pointing at them.
 *
 * @module
 */
import type { SIEMConfigInput } from "../../src/platforms/siem_config.ts";
import type { DeadLetter } from "../../src/delivery/export_result.ts";
import type { Logger } from "../../src/delivery/logger.ts";
import { type FakeDatadog, startFakeDatadog } from "../fakes/fake_datadog.ts";
import {
  type FakeElasticsearch,
  startFakeElasticsearch,
} from "../fakes/fake_elasticsearch.ts";
import { type FakeSplunk, startFakeSplunk } from "../fakes/fake_splunk.ts";

/** Credentials distinctive enough to search every output for. */
export const TOKENS = {
  splunk: "hec-TOKEN-6f1d0c9e-secret",
  elasticsearch: "ZXMtS0VZLXNlY3JldDpzZWNyZXQ=",
  datadog: "dd-KEY-0a1b2c3d4e5f-secret",
  // The AWS secret access key of the OpenSearch destinations that sign (SigV4).
  opensearch: "os-AWS-SECRET/7c2e9b4d+0f1a-secret",
  // The Entra client secret of the Sentinel destinations.
  sentinel: "sentinel-SECRET~Q8r.5vX_9kLmN0pQrStUv",
  // The X-API-Key of the generic HTTP destinations.
  http: "http-KEY-5d6e7f8a9b0c-secret",
} as const;

/** The three fakes, closed together. */
export interface Receivers extends AsyncDisposable {
  splunk: FakeSplunk;
  elasticsearch: FakeElasticsearch;
  datadog: FakeDatadog;
  /** One config per fake, with `extra` applied to each. */
  configs(extra?: Partial<SIEMConfigInput>): SIEMConfigInput[];
}

/** Starts the three fakes on 127.0.0.1. */
export function startReceivers(): Receivers {
  const splunk = startFakeSplunk({ token: TOKENS.splunk });
  const elasticsearch = startFakeElasticsearch({
    apiKey: TOKENS.elasticsearch,
  });
  const datadog = startFakeDatadog({ apiKey: TOKENS.datadog });
  return {
    splunk,
    elasticsearch,
    datadog,
    configs: (extra = {}) => [
      {
        platform: "splunk",
        endpoint: splunk.url,
        token: TOKENS.splunk,
        ...extra,
      },
      {
        platform: "elasticsearch",
        endpoint: elasticsearch.url,
        token: TOKENS.elasticsearch,
        ...extra,
      },
      {
        platform: "datadog",
        endpoint: datadog.url,
        token: TOKENS.datadog,
        // The fixed fixtures are months old; the age limit has its own tests.
        maxEventAgeMs: 10 * 365 * 86_400_000,
        ...extra,
      },
    ],
    async [Symbol.asyncDispose](): Promise<void> {
      await Promise.all([
        splunk.close(),
        elasticsearch.close(),
        datadog.close(),
      ]);
    },
  };
}

/** A logger that keeps every line, to assert on and to search for secrets. */
export class MemoryLogger implements Logger {
  /** Every line written, as `level message fields-json`. */
  readonly lines: string[] = [];
  /** Records a warning. */
  warn(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(`warn ${message} ${JSON.stringify(fields ?? {})}`);
  }
  /** Records an error. */
  error(message: string, fields?: Record<string, unknown>): void {
    this.lines.push(`error ${message} ${JSON.stringify(fields ?? {})}`);
  }
}

/** Collects dead letters. */
export function deadLetterSink(): {
  letters: DeadLetter[];
  onDeadLetter: (letter: DeadLetter) => void;
} {
  const letters: DeadLetter[] = [];
  return { letters, onDeadLetter: (letter) => void letters.push(letter) };
}
