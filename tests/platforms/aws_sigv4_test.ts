import assert from "node:assert/strict";
import { signAwsRequest } from "../../src/platforms/aws_sigv4.ts";

// The AWS Signature Version 4 test suite's fixed inputs, reproduced by value
// (https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html).
const SUITE = {
  region: "us-east-1",
  service: "service",
  credentials: {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  },
  date: new Date("2015-08-30T12:36:00Z"),
  contentSha256Header: false,
};
const CREDENTIAL =
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

Deno.test("signAwsRequest() reproduces the suite's get-vanilla signature", async () => {
  const signed = await signAwsRequest({
    ...SUITE,
    method: "GET",
    url: "https://example.amazonaws.com/",
  });
  assert.equal(
    signed.headers.authorization,
    `${CREDENTIAL}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
  );
  assert.equal(signed.headers["x-amz-date"], "20150830T123600Z");
  assert.equal(signed.headers.host, "example.amazonaws.com");
});

Deno.test("signAwsRequest() reproduces the suite's post-vanilla signature", async () => {
  const signed = await signAwsRequest({
    ...SUITE,
    method: "POST",
    url: "https://example.amazonaws.com/",
  });
  assert.equal(
    signed.signature,
    "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
  );
});

Deno.test("signAwsRequest() reproduces the suite's post-x-www-form-urlencoded signature", async () => {
  const signed = await signAwsRequest({
    ...SUITE,
    method: "POST",
    url: "https://example.amazonaws.com/",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new TextEncoder().encode("Param1=value1"),
  });
  assert.equal(signed.signedHeaders, "content-type;host;x-amz-date");
  assert.equal(
    signed.signature,
    "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
  );
});

Deno.test("signAwsRequest() signs query parameters in sorted, encoded form", async () => {
  // The suite's get-vanilla-query-order-key-case.
  const signed = await signAwsRequest({
    ...SUITE,
    method: "GET",
    url: "https://example.amazonaws.com/?Param2=value2&Param1=value1",
  });
  assert.equal(
    signed.signature,
    "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
  );
});

Deno.test("signAwsRequest() covers the exact body bytes and sends their hash", async () => {
  const input = {
    ...SUITE,
    contentSha256Header: true,
    method: "POST",
    url: "https://example.amazonaws.com/_bulk",
    headers: { "content-encoding": "gzip" },
  };
  const a = await signAwsRequest({ ...input, body: new Uint8Array([1, 2]) });
  const b = await signAwsRequest({ ...input, body: new Uint8Array([1, 3]) });
  assert.notEqual(a.signature, b.signature);
  assert.equal(
    a.signedHeaders,
    "content-encoding;host;x-amz-content-sha256;x-amz-date",
  );
  // SHA-256 of the bytes 01 02.
  assert.equal(
    a.headers["x-amz-content-sha256"],
    "a12871fee210fb8619291eaea194581cbd2531e4b23759d225f6806923f63222",
  );
});

Deno.test("signAwsRequest() sends and signs a session token", async () => {
  const signed = await signAwsRequest({
    ...SUITE,
    credentials: { ...SUITE.credentials, sessionToken: "session-token" },
    method: "GET",
    url: "https://example.amazonaws.com/",
  });
  assert.equal(signed.headers["x-amz-security-token"], "session-token");
  assert.equal(signed.signedHeaders, "host;x-amz-date;x-amz-security-token");
  assert.notEqual(
    signed.signature,
    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  );
});

// The signing chain of SigV4, written out here to check a canonical request
// given as literal text (Signature Version 4 steps 2-4).
async function signCanonical(canonicalRequest: string): Promise<string> {
  const encoder = new TextEncoder();
  const hex = (bytes: ArrayBuffer): string =>
    [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0"))
      .join("");
  const hmac = async (key: Uint8Array, text: string): Promise<Uint8Array> =>
    new Uint8Array(
      await crypto.subtle.sign(
        "HMAC",
        await crypto.subtle.importKey(
          "raw",
          key as Uint8Array<ArrayBuffer>,
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["sign"],
        ),
        encoder.encode(text),
      ),
    );
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    "20150830T123600Z",
    "20150830/us-east-1/service/aws4_request",
    hex(
      await crypto.subtle.digest("SHA-256", encoder.encode(canonicalRequest)),
    ),
  ].join("\n");
  let key = await hmac(
    encoder.encode(`AWS4${SUITE.credentials.secretAccessKey}`),
    "20150830",
  );
  for (const part of ["us-east-1", "service", "aws4_request"]) {
    key = await hmac(key, part);
  }
  return hex((await hmac(key, stringToSign)).buffer as ArrayBuffer);
}

const EMPTY_SHA256 =
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Deno.test("signAwsRequest() percent-encodes every reserved character of a query, the asterisk included", async () => {
  const signed = await signAwsRequest({
    ...SUITE,
    method: "GET",
    url: "https://example.amazonaws.com/?q=a*b(c)!'",
  });
  assert.equal(
    signed.signature,
    await signCanonical(
      "GET\n/\nq=a%2Ab%28c%29%21%27\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
        EMPTY_SHA256,
    ),
  );
});

Deno.test("signAwsRequest() signs a header value with inner whitespace runs collapsed to one space", async () => {
  const signed = await signAwsRequest({
    ...SUITE,
    method: "GET",
    url: "https://example.amazonaws.com/",
    headers: { "My-Header1": "  a   b \t c  " },
  });
  assert.equal(signed.signedHeaders, "host;my-header1;x-amz-date");
  assert.equal(
    signed.signature,
    await signCanonical(
      "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:a b c\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n" +
        EMPTY_SHA256,
    ),
  );
});

Deno.test("signAwsRequest() sorts repeated query keys by value, so their order in the URL does not change the signature", async () => {
  const sign = (query: string) =>
    signAwsRequest({
      ...SUITE,
      method: "GET",
      url: `https://example.amazonaws.com/?${query}`,
    });
  const a = await sign("Param1=value2&Param1=value1");
  const b = await sign("Param1=value1&Param1=value2");
  assert.equal(a.signature, b.signature);
  const c = await sign("Param1=value1&Param1=value3");
  assert.notEqual(a.signature, c.signature);
});

Deno.test("signAwsRequest() by default sends and signs x-amz-content-sha256 (the body's hash), and takes a URL object", async () => {
  const body = new TextEncoder().encode('{"a":1}\n');
  const signed = await signAwsRequest({
    region: "eu-west-1",
    service: "es",
    credentials: SUITE.credentials,
    date: SUITE.date,
    method: "POST",
    url: new URL("https://search-x.eu-west-1.es.amazonaws.com/audit/_bulk"),
    body,
  });
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", body),
  );
  assert.equal(
    signed.headers["x-amz-content-sha256"],
    [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
  );
  assert.equal(signed.signedHeaders, "host;x-amz-content-sha256;x-amz-date");
  assert.equal(signed.headers.host, "search-x.eu-west-1.es.amazonaws.com");
  const without = await signAwsRequest({
    ...SUITE,
    method: "POST",
    url: "https://example.amazonaws.com/",
    body,
  });
  assert.equal("x-amz-content-sha256" in without.headers, false);
  assert.equal(without.signedHeaders, "host;x-amz-date");
});

Deno.test("signAwsRequest() without a date signs with the current time, in the basic ISO 8601 form", async () => {
  const before = Date.now();
  const signed = await signAwsRequest({
    ...SUITE,
    date: undefined,
    method: "GET",
    url: "https://example.amazonaws.com/",
  });
  const amz = signed.headers["x-amz-date"]!;
  assert.match(amz, /^\d{8}T\d{6}Z$/);
  const at = Date.parse(
    `${amz.slice(0, 4)}-${amz.slice(4, 6)}-${amz.slice(6, 8)}T${
      amz.slice(9, 11)
    }:${amz.slice(11, 13)}:${amz.slice(13, 15)}Z`,
  );
  assert.ok(at >= Math.floor(before / 1000) * 1000 && at <= Date.now());
  assert.match(
    signed.authorization,
    new RegExp(`/${amz.slice(0, 8)}/us-east-1/service/aws4_request, `),
  );
});
