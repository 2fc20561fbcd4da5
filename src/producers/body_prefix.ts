/**
 * The start of a request or response body, read from a clone so that the
 * handler and the client still read the whole body.
 *
 * @module
 */
import type { Context } from "hono";

/** The first bytes of a body as text, and whether there were more. */
export interface BodyPrefix {
  text: string;
  truncated: boolean;
}

/** Reads the start of a body from a clone; `undefined` when it has none or cannot be read. */
export function readBody(
  message: Request | Response,
  maxBytes: number,
): Promise<BodyPrefix | undefined> | undefined {
  if (message.body === null || message.bodyUsed) return undefined;
  try {
    return readPrefix(message.clone().body!, maxBytes);
  } catch {
    return undefined;
  }
}

/** Reads the start of the response body. */
export function responseBodyOf(
  c: Context,
  maxBytes: number,
): Promise<BodyPrefix | undefined> | undefined {
  return readBody(c.res, maxBytes);
}

// Reads at most maxBytes (one chunk more, to know whether there was more),
// then cancels this branch of the tee: the other branch, the one the
// handler or the client reads, goes on. An incomplete last character is
// left out.
async function readPrefix(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<BodyPrefix | undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  let truncated = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = maxBytes - size;
      text += decoder.decode(value.subarray(0, room), { stream: true });
      size += value.length;
      if (size > maxBytes) {
        truncated = true;
        break;
      }
    }
  } catch {
    return undefined;
  } finally {
    reader.cancel().catch(() => {});
  }
  if (!truncated) text += decoder.decode();
  return { text, truncated };
}

/** Adds a body prefix to the event metadata as `<which>_body`. */
export function addBody(
  metadata: Record<string, unknown>,
  which: "request" | "response",
  body: BodyPrefix | undefined,
): void {
  if (body === undefined) return;
  metadata[`${which}_body`] = body.text;
  if (body.truncated) metadata[`${which}_body_truncated`] = true;
}
