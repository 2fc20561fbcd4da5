/**
 * What `Exporter.post` does to a request's pieces besides sending
 * them: compressing the body, redacting the platform's reasons, and reading
 * a signing error's setup hint.
 *
 * @module
 */
import { redactSecrets } from "./redact.ts";
import type { EventFailure, ResponseVerdict } from "./verdict.ts";

// The setup hint a signing error carries (an Entra token refused for a
// wrong secret), read by shape so that the base class needs no platform's
// error type.
export function setupOf(error: unknown): string | undefined {
  const setup = typeof error === "object" && error !== null
    ? (error as { setup?: unknown }).setup
    : undefined;
  return typeof setup === "string" ? setup : undefined;
}

// The platform's reasons come from text redacted before it was parsed;
// parsing can still turn an escape the redactor did not know back into the
// credential, so every reason is redacted once more on the way out.
export function redactVerdict(
  verdict: ResponseVerdict,
  secrets: readonly string[],
): ResponseVerdict {
  switch (verdict.kind) {
    case "delivered":
      return verdict;
    case "retry":
    case "split":
      return { ...verdict, reason: redactSecrets(verdict.reason, secrets) };
    case "partial": {
      const clean = (failure: EventFailure): EventFailure => ({
        ...failure,
        reason: redactSecrets(failure.reason, secrets),
      });
      return {
        ...verdict,
        retry: verdict.retry.map(clean),
        rejected: verdict.rejected.map(clean),
      };
    }
  }
}

export async function gzip(
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([data]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
