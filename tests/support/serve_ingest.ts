/**
 * Serves an ingest app on 127.0.0.1 for tests that go over real HTTP.
 *
 * @module
 */
import type { IngestApp } from "../../src/ingest/app.ts";

/** A served app: its base URL, and `post` for `POST /events`. */
export interface ServedIngest extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Posts a JSON body with a bearer token. */
  post(token: string, body: unknown): Promise<Response>;
  /** GETs a path with a bearer token. */
  get(token: string, path: string): Promise<Response>;
}

/**
 * Serves `app` on an ephemeral port of 127.0.0.1.
 *
 * @param app The ingest app.
 * @returns The served app; dispose it to stop.
 */
export function serveIngest(app: IngestApp): ServedIngest {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen(): void {},
  }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  // The answer read in full (no open body to leak), as a fresh Response.
  const read = async (answer: Promise<Response>): Promise<Response> => {
    const response = await answer;
    const text = await response.text();
    return new Response(text, {
      status: response.status,
      headers: response.headers,
    });
  };
  return {
    url,
    post: (token: string, body: unknown): Promise<Response> =>
      read(fetch(`${url}/events`, {
        method: "POST",
        body: JSON.stringify(body),
        headers: {
          "Content-Type": "application/json",
          Authorization: `Bearer ${token}`,
        },
      })),
    get: (token: string, path: string): Promise<Response> =>
      read(
        fetch(`${url}${path}`, {
          headers: { Authorization: `Bearer ${token}` },
        }),
      ),
    [Symbol.asyncDispose]: (): Promise<void> => server.shutdown(),
  };
}
