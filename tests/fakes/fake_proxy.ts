/**
 * A fake reverse proxy or load balancer that answers every request itself
 * with an HTML error page, as nginx does when its upstream is misrouted or
 * refuses (`text/html`, `<html><head><title>400 Bad Request</title>...`).
 *
 * @module
 */

import {
  FakeReceiver,
  reasonPhrase,
  type RecordedRequest,
} from "./fake_receiver.ts";

/** Options of {@linkcode startFakeProxy}. */
export interface FakeProxyOptions {
  /** The status of every answer. Default 400. */
  status?: number;
}

/** A running fake proxy; every request is answered with an HTML page. */
export class FakeProxy extends FakeReceiver {
  /** The status answered; may be changed while running. */
  status: number;

  /** Starts the fake; prefer {@linkcode startFakeProxy}. */
  constructor(options: FakeProxyOptions = {}) {
    super([]);
    this.status = options.status ?? 400;
  }

  /** nginx's error page for the configured status. */
  protected handle(_request: RecordedRequest): Response {
    return htmlPage(this.status);
  }

  /** nginx's error page for an injected status. */
  protected faultResponse(status: number): Response {
    return htmlPage(status);
  }
}

/** Starts a fake proxy on 127.0.0.1 (free port). */
export function startFakeProxy(options: FakeProxyOptions = {}): FakeProxy {
  return new FakeProxy(options);
}

function htmlPage(status: number): Response {
  const title = `${status} ${reasonPhrase(status)}`;
  return new Response(
    `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
    { status, headers: { "content-type": "text/html", server: "nginx" } },
  );
}
