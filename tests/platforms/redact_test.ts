import assert from "node:assert/strict";
import { Redactor, redactSecret } from "../../src/platforms/redact.ts";

const TOKEN = "hec/SECRET+7d3f9a2b/4c1e=token";

Deno.test("Redactor replaces the token as is, and a text without it is returned unchanged", () => {
  const redactor = new Redactor(TOKEN);
  assert.equal(
    redactor.redact(`bad token ${TOKEN}!`),
    "bad token [redacted]!",
  );
  const clean =
    'HTTP 400: {"text":"Invalid data format","code":6} \\/ %2F &amp; \\u0041';
  assert.equal(redactor.redact(clean), clean);
  assert.equal(redactor.redact(""), "");
});

Deno.test("Redactor replaces any piece of 8 or more characters, and keeps shorter ones", () => {
  const redactor = new Redactor(TOKEN);
  assert.equal(redactor.redact("x SECRET+7d3f y"), "x [redacted] y");
  assert.equal(redactor.redact("token hec/SECR…"), "token [redacted]…");
  // 7 characters are no piece: ordinary words must survive.
  assert.equal(redactor.redact("x SECRET+ y"), "x SECRET+ y");
});

Deno.test("Redactor replaces a token that is escaped, encoded, or both, as one run", () => {
  const redactor = new Redactor(TOKEN);
  const mixed = "hec\\/SECRET%2B7d3f9a2b\\u002F4c1e&#61;token";
  assert.equal(redactor.redact(`[${mixed}]`), "[[redacted]]");
  const twice = TOKEN.replaceAll("/", "\\\\\\/");
  assert.equal(redactor.redact(`"${twice}"`), '"[redacted]"');
});

Deno.test("Redactor replaces a text that is exactly the token, or one piece of it", () => {
  assert.equal(redactSecret("abcdefgh", "abcdefgh"), "[redacted]");
  assert.equal(redactSecret("SECRET+7", TOKEN), "[redacted]");
});

Deno.test("Redactor replaces a token with backslashes echoed inside a JSON string", () => {
  // JSON writes each backslash as two: no 8 characters of the echo are 8
  // characters of the token, so only the decoded text shows it.
  const token = "a1\\b2\\c3\\d4\\e5\\f6";
  const echoed = JSON.stringify({ text: `bad token ${token}` });
  assert.equal(
    new Redactor(token).redact(echoed),
    '{"text":"bad token [redacted]"}',
  );
});

Deno.test("Redactor replaces base64 of user:token whatever the length of user", () => {
  const redactor = new Redactor(TOKEN);
  for (const user of ["", "u", "us", "use", "user", "admin-user"]) {
    const encoded = btoa(`${user}:${TOKEN}`);
    const out = redactor.redact(`Basic ${encoded}`);
    assert.match(out, /\[redacted\]$/, `${user}: ${out}`);
    // What is left encodes the user and at most the token's first byte.
    assert.ok(
      out.length <= "Basic ".length + Math.ceil((user.length + 2) / 3) * 4 +
          "[redacted]".length,
      `${user}: ${out}`,
    );
  }
});

Deno.test("Redactor replaces the decoded secret of an Elasticsearch API key", () => {
  const key = "ui2lp2axTNmsyakw9tvNnw";
  const token = btoa(`VuaCfGcBCdbkQm-e5aOx:${key}`);
  assert.equal(
    new Redactor(token).redact(`api key secret ${key}.`),
    "api key secret [redacted].",
  );
});

Deno.test("Redactor does not treat a token that looks like an escape as one", () => {
  const token = "ab%2Fcd\\u0041ef&amp;gh";
  assert.equal(new Redactor(token).redact(`<${token}>`), "<[redacted]>");
});

Deno.test("redactSecret() leaves tokens under 4 characters alone and finds 4 to 7 only whole", () => {
  assert.equal(redactSecret("abc abc", "abc"), "abc abc");
  assert.equal(redactSecret("k9Zq and k9Z", "k9Zq"), "[redacted] and k9Z");
  assert.equal(redactSecret("x k9Zq12 y", "k9Zq12"), "x [redacted] y");
  assert.equal(redactSecret("x k9Zq1 y", "k9Zq12"), "x k9Zq1 y");
});

Deno.test("Redactor finds the token anywhere in a large answer", () => {
  const item = '{"create":{"status":201}},';
  const large = `{"items":[${item.repeat(40_000)}"${
    TOKEN.replaceAll("/", "\\/")
  }"]}`;
  const out = new Redactor(TOKEN).redact(large);
  assert.equal(out, large.replace(TOKEN.replaceAll("/", "\\/"), "[redacted]"));
});

Deno.test("Redactor replaces the base64url form of user:token (- and _ for + and /)", () => {
  const token = "s3cr3t?>?>?>-token";
  const standard = btoa(`u:${token}`);
  assert.match(standard, /[+/]/);
  const url = standard.replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
  const out = new Redactor(token).redact(`jwt ${url}`);
  assert.match(out, /^jwt .{0,4}\[redacted\]$/, out);
});

Deno.test("Redactor decodes each HTML entity form and percent escape in either case, and no entity above U+FFFF", () => {
  const token = "a/b+c=d&e<f>g\"h'i";
  const redactor = new Redactor(token);
  const forms = [
    "a&sol;b&plus;c&equals;d&amp;e&lt;f&gt;g&quot;h&apos;i",
    "a&SOL;b&PLUS;c&EQUALS;d&AMP;e&LT;f&GT;g&QUOT;h&APOS;i",
    "a&#47;b&#43;c&#61;d&#38;e&#60;f&#62;g&#34;h&#39;i",
    "a&#x2f;b&#x2B;c&#x3d;d&#x26;e&#x3c;f&#x3E;g&#x22;h&#x27;i",
    "a%2fb%2Bc%3dd%26e%3Cf%3eg%22h%27i",
  ];
  for (const form of forms) {
    assert.equal(redactor.redact(`<${form}>`), "<[redacted]>", form);
  }
  // &#x1F600; is no one UTF-16 unit: it stands for nothing of the token.
  const astral = new Redactor("ab\u{1F600}cdefgh");
  assert.equal(astral.redact("ab&#x1F600;cd"), "ab&#x1F600;cd");
});

Deno.test("redactSecret() stays right past 64 distinct tokens (the prepared searches are dropped, not mixed up)", () => {
  for (let n = 0; n < 70; n++) {
    const token = `${String(n).padStart(3, "0")}-${crypto.randomUUID()}`;
    assert.equal(redactSecret(`k ${token} k`, token), "k [redacted] k");
    assert.equal(
      redactSecret(`k ${token.slice(0, 7)} k`, token),
      `k ${token.slice(0, 7)} k`,
    );
  }
});
