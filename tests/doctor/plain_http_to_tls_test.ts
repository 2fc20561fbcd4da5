/**
 * http:// to a port that serves TLS: a TLS server answers the plain request
 * with a TLS alert record (fetch then reads no HTTP status line), and Go's
 * and nginx's TLS listeners answer it with a 400 page that says so.
 */
import assert from "node:assert/strict";
import { checkDestination } from "../../src/doctor/check_destination.ts";
import { startFakeSplunk } from "../fakes/fake_splunk.ts";

/** A TCP listener that answers whatever it reads with a fatal TLS alert, as a TLS server does. */
function startTlsAlertListener(): { url: string; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    for await (const conn of listener) {
      try {
        await conn.read(new Uint8Array(4096));
        // Record type 21 (alert), TLS 1.2, length 2, fatal (2), decode_error (50).
        await conn.write(new Uint8Array([21, 3, 3, 0, 2, 2, 50]));
      } finally {
        conn.close();
      }
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    async close(): Promise<void> {
      listener.close();
      await served.catch(() => {});
    },
  };
}

Deno.test("doctor: http:// to a TLS port (a TLS alert comes back) says to use https://", async () => {
  const tls = startTlsAlertListener();
  try {
    const diagnosis = await checkDestination({
      platform: "splunk",
      endpoint: tls.url,
      token: "t",
    });
    assert.equal(diagnosis.canDeliver, false);
    assert.equal(diagnosis.checks.length, 1);
    assert.equal(diagnosis.checks[0]!.step, "connection");
    assert.match(
      diagnosis.checks[0]!.message,
      /^127\.0\.0\.1:\d+ did not answer plain HTTP \(.*\): the port seems to serve HTTPS; use https:\/\/ in the endpoint\.$/,
    );
  } finally {
    await tls.close();
  }
});

Deno.test("doctor: http:// to a TLS port whose server says so in a 400 says to use https://", async () => {
  await using hec = startFakeSplunk({ token: "t" });
  hec.failNext({
    status: 400,
    body: "Client sent an HTTP request to an HTTPS server.\n",
  });
  const diagnosis = await checkDestination({
    platform: "splunk",
    endpoint: hec.url,
    token: "t",
  });
  assert.equal(diagnosis.canDeliver, false);
  assert.match(
    diagnosis.checks[0]!.message,
    /^127\.0\.0\.1:\d+ serves HTTPS, and the endpoint says http: use https:\/\/ in the endpoint\.$/,
  );
});
