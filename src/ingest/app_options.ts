/**
 * The checks of {@linkcode createIngestApp}'s options, apart from its routes.
 *
 * @module
 */
import type { IngestAppOptions } from "./app.ts";
import { ProducerTokens } from "./producer_tokens.ts";
import { type IngestSink, integratorSink } from "./sink.ts";

/** The sink of the options (integrator or sink, exactly one). */
export function chooseSink(options: IngestAppOptions): IngestSink {
  if (options.integrator && options.sink) {
    throw new TypeError(
      "Cannot create ingest app: give either 'integrator' or 'sink', not both",
    );
  }
  if (options.integrator) return integratorSink(options.integrator);
  if (options.sink) return options.sink;
  throw new TypeError(
    "Cannot create ingest app: give 'integrator' or 'sink' to deliver events",
  );
}

/** The tokens of the options, checked. */
export function checkTokens(options: IngestAppOptions): ProducerTokens {
  let tokens: ProducerTokens;
  try {
    tokens = options.tokens instanceof ProducerTokens
      ? options.tokens
      : new ProducerTokens(options.tokens ?? []);
  } catch (error) {
    throw new TypeError(
      `Cannot create ingest app: ${(error as Error).message}`,
    );
  }
  if (tokens.size === 0 && !options.allowUnauthenticated) {
    throw new TypeError(
      "Cannot create ingest app: no token given (set 'tokens', or 'allowUnauthenticated: true' behind your own authentication)",
    );
  }
  return tokens;
}

/** A positive integer option, or its default. */
export function positive(
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1) {
    throw new RangeError(
      `Cannot create ingest app: '${name}' must be a positive integer: current value is ${chosen}`,
    );
  }
  return chosen;
}
