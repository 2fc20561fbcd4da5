/**
 * A `fetch` that answers each `METHOD url` from a script and records what
 * was asked, for the doctor's checks of one answer at a time (no network).
 *
 * @module
 */

/** One request as the scripted fetch received it. */
export interface ScriptedRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

/** An answer: a status, a JSON body (or text) and headers. */
export interface ScriptedAnswer {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

/** The script: `"GET https://host/path"` to its answer. */
export type Script = Record<string, ScriptedAnswer | (() => ScriptedAnswer)>;

/**
 * A `fetch` answering from `script`; a request it has no answer for fails
 * the test through `unexpected` (and gets a 599).
 */
export function scriptedFetch(
  script: Script,
): { fetch: typeof fetch; requests: ScriptedRequest[]; unexpected: string[] } {
  const requests: ScriptedRequest[] = [];
  const unexpected: string[] = [];
  const doFetch = async (
    input: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> => {
    const request = new Request(input, init);
    const key = `${request.method} ${request.url}`;
    requests.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: await request.text(),
    });
    const entry = script[key];
    if (entry === undefined) {
      unexpected.push(key);
      return new Response("unexpected", { status: 599 });
    }
    const answer = typeof entry === "function" ? entry() : entry;
    const headers = new Headers(answer.headers);
    let body: string | null = null;
    if (answer.json !== undefined) {
      body = JSON.stringify(answer.json);
      if (!headers.has("content-type")) {
        headers.set("content-type", "application/json");
      }
    } else if (answer.text !== undefined) {
      body = answer.text;
    }
    return new Response(body, { status: answer.status, headers });
  };
  return { fetch: doFetch as typeof fetch, requests, unexpected };
}
