import assert from "node:assert/strict";
import {
  checkHttpConfig,
  type HttpConfigView,
  httpSecrets,
  SUMO_MAX_REQUEST_BYTES,
  WELL_KNOWN_SECRET_HEADERS,
} from "../../src/platforms/http_config.ts";

const SUMO =
  "https://endpoint1.collection.sumologic.com/receiver/v1/http/ZaVnC4dhaV3a8sT0kQ1bYw==";

function issues(view: Partial<HttpConfigView>): string[] {
  const found: string[] = [];
  checkHttpConfig({
    platform: "http",
    endpoint: "https://hooks.example.com/in",
    token: "",
    compression: "none",
    allowInsecureHttp: false,
    ...view,
  }, (path, message) => found.push(`${path} ${message}`));
  return found;
}

Deno.test("checkHttpConfig(): Sumo's maxBatchBytes may be exactly 1 MB, not one byte more", () => {
  const sumo = {
    endpoint: SUMO,
    http: { preset: "sumo_logic" as const, headers: {}, secretHeaders: [] },
  };
  assert.deepEqual(
    issues({ ...sumo, maxBatchBytes: SUMO_MAX_REQUEST_BYTES }),
    [],
  );
  assert.deepEqual(
    issues({ ...sumo, maxBatchBytes: SUMO_MAX_REQUEST_BYTES + 1 }),
    [
      "maxBatchBytes must be at most 1000000 for Sumo Logic (its limit per request, before compression)",
    ],
  );
  assert.deepEqual(issues({ ...sumo, endpoint: `${SUMO}?x=1` }), [
    "endpoint must be the Sumo Logic HTTP Source URL, https://<endpoint>/receiver/v1/http/<code>",
  ]);
  assert.equal(
    issues({
      ...sumo,
      endpoint:
        "https://endpoint1.collection.sumologic.com/receiver/v1/http/short",
    }).length,
    1,
  );
});

Deno.test("checkHttpConfig(): header names compared without case: Authorization beside a token, reserved names, a name twice", () => {
  const headers = (h: Record<string, string>, token = "") =>
    issues({ token, http: { headers: h, secretHeaders: [] } });
  assert.deepEqual(headers({ authorization: "Basic x" }, "tok"), [
    "http.headers must not set Authorization when token is set (token is sent as Authorization: Bearer)",
  ]);
  assert.deepEqual(headers({ authorization: "Basic x" }), []);
  for (
    const name of [
      "Content-Type",
      "content-encoding",
      "Content-Length",
      "HOST",
      "Transfer-Encoding",
      "Connection",
    ]
  ) {
    assert.deepEqual(headers({ [name]: "x" }), [
      `http.headers must not set ${name.toLowerCase()}: it is set by the exporter itself`,
    ]);
  }
  assert.deepEqual(headers({ "X-Api-Key": "a", "x-api-key": "b" }), [
    "http.headers must not name a header twice",
  ]);
  for (const key of ["sumoCategory", "sumoName", "sumoHost"]) {
    assert.deepEqual(
      issues({ http: { headers: {}, secretHeaders: [], [key]: "x" } }),
      [
        `http.${key} is for preset "sumo_logic" only`,
      ],
    );
  }
});

Deno.test("checkHttpConfig(): plain http is refused for any secret (token, well-known or named secret header, secret URL, Sumo) off loopback", () => {
  const plain = "http://hooks.example.com/in";
  const refusal =
    "endpoint must use https when a token, a secret header or a secret URL is set (set allowInsecureHttp to send it over plain http)";
  assert.deepEqual(issues({ endpoint: plain }), []);
  assert.deepEqual(issues({ endpoint: plain, token: "t" }), [refusal]);
  for (const name of WELL_KNOWN_SECRET_HEADERS) {
    assert.deepEqual(
      issues({
        endpoint: plain,
        http: { headers: { [name.toUpperCase()]: "v" }, secretHeaders: [] },
      }),
      [refusal],
      name,
    );
  }
  assert.deepEqual(
    issues({
      endpoint: plain,
      http: { headers: { "X-Custom": "v" }, secretHeaders: ["x-custom"] },
    }),
    [refusal],
  );
  assert.deepEqual(
    issues({
      endpoint: plain,
      http: { headers: { "X-Custom": "v" }, secretHeaders: [] },
    }),
    [],
  );
  assert.deepEqual(
    issues({
      endpoint: plain,
      http: { headers: {}, secretHeaders: [], secretUrl: true },
    }),
    [refusal],
  );
  assert.deepEqual(
    issues({ endpoint: plain, token: "t", allowInsecureHttp: true }),
    [],
  );
  for (const host of ["127.0.0.1:8080", "localhost:8080", "[::1]:8080"]) {
    assert.deepEqual(
      issues({ endpoint: `http://${host}/in`, token: "t" }),
      [],
      host,
    );
  }
  // Not an http(s) URL: the URL schema names it, not these rules.
  assert.deepEqual(issues({ endpoint: "ftp://x/y#z", token: "t" }), []);
  assert.deepEqual(issues({ endpoint: "https://u:p@hooks.example.com/in" }), [
    "endpoint must have no credentials or fragment",
  ]);
});

Deno.test("httpSecrets(): secret header values whole and by their credential, credential query values of 4+ characters, a secret URL's path and long parts", () => {
  assert.deepEqual(
    httpSecrets("https://hooks.example.com/in", {
      framing: "json_array",
      headers: {
        Authorization: "Basic dXNlcjpwdw==",
        "X-Trace": "not-secret",
        "X-Mine": "mine-secret",
      },
      secretHeaders: ["x-mine"],
      secretUrl: false,
    }),
    ["Basic dXNlcjpwdw==", "mine-secret", "dXNlcjpwdw=="],
  );
  assert.deepEqual(
    httpSecrets(
      "https://hooks.example.com/in?api_key=abcd&sig=abc&page=12345",
      {
        framing: "json_array",
        headers: {},
        secretHeaders: [],
        secretUrl: false,
      },
    ),
    ["abcd"],
  );
  assert.deepEqual(
    httpSecrets(
      "https://hooks.slack.com/services/T0000/B0000000/XXXXXXXXXXXXXXXX",
      {
        framing: "json_array",
        headers: {},
        secretHeaders: [],
        secretUrl: true,
      },
    ),
    [
      "/services/T0000/B0000000/XXXXXXXXXXXXXXXX",
      "services",
      "B0000000",
      "XXXXXXXXXXXXXXXX",
    ],
  );
  assert.deepEqual(
    httpSecrets("https://hooks.example.com/", {
      framing: "json_array",
      headers: { "X-Api-Key": "" },
      secretHeaders: [],
      secretUrl: true,
    }),
    [],
  );
});
