// deno-lint-ignore-file explicit-function-return-type
// (JavaScript run by Node: no type annotations.)
// Opens the status page of running ingest servers in Debian's chromium,
// driven by playwright-core, and prints what it saw as one JSON line for
// tests/ingest/status_page_browser_test.ts to check (the checks are there).
// Usage:
//   node status_page_browser.mjs <tools dir> <chromium> <options.json>
// options: { url, token, hostileUrl, screenshot }
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [tools, executablePath, optionsFile] = process.argv.slice(2);
const options = JSON.parse(readFileSync(optionsFile, "utf8"));
const require = createRequire(`${tools}/`);
const { chromium } = require("playwright-core");

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A page that records console messages, page errors and CSP violations. */
async function open(browser, url) {
  const context = await browser.newContext({
    viewport: { width: 1200, height: 900 },
    colorScheme: "light",
  });
  const page = await context.newPage();
  const seen = { console: [], pageErrors: [], violations: [], requests: [] };
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      seen.console.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => seen.pageErrors.push(String(error)));
  page.on("request", (request) => {
    seen.requests.push({
      url: request.url(),
      authorization: request.headers()["authorization"] ?? null,
    });
  });
  // Init scripts are injected by the browser, outside the page's CSP.
  await page.addInitScript(() => {
    globalThis.__violations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      globalThis.__violations.push(
        `${event.violatedDirective} ${event.blockedURI}`,
      );
    });
  });
  const response = await page.goto(url);
  return { context, page, seen, response };
}

/** Waits for the page's script to have rendered `count` times. */
async function refreshed({ page, seen }, count) {
  try {
    await page.waitForFunction(
      (n) => Number(document.body.dataset.refreshes ?? 0) >= n,
      count,
      { timeout: 30_000 },
    );
  } catch (error) {
    throw new Error(
      `the page did not render ${count} times (${error.message}); page errors: ${
        JSON.stringify(seen.pageErrors)
      }; console: ${JSON.stringify(seen.console)}`,
    );
  }
}

async function postEvents(url, token, events) {
  const response = await fetch(`${url}/events`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify(events),
  });
  await response.arrayBuffer();
  return response.status;
}

/** What the page shows, read from the DOM. */
function readPage() {
  const text = (node) => node?.textContent ?? null;
  const cards = [...document.querySelectorAll("article.destination")].map(
    (card) => ({
      name: text(card.querySelector("h3.name")?.firstChild),
      status: card.dataset.status,
      badge: text(card.querySelector(".badge.status")),
      lastError: text(card.querySelector(".last-error")),
      setupError: text(card.querySelector(".setup-error")),
      charts: [...card.querySelectorAll("figure.chart")].map((figure) => ({
        kind: [...figure.classList].find((c) => c.startsWith("chart-")),
        caption: text(figure.querySelector("figcaption")),
        points: figure.querySelector("polyline")?.getAttribute("points") ?? "",
      })),
      text: card.textContent,
    }),
  );
  const ingest = document.querySelector("#ingest");
  return {
    overall: text(document.querySelector("#overall")),
    cards,
    ingestText: text(ingest),
    ingestCharts: [...ingest.querySelectorAll("figure.chart")].map((f) => ({
      caption: text(f.querySelector("figcaption")),
      points: f.querySelector("polyline")?.getAttribute("points") ?? "",
    })),
    svgCharts: document.querySelectorAll("svg.chart-svg").length,
    deadLetters: [...document.querySelectorAll("#dead-letter-rows tr")].map(
      (row) => [...row.cells].map((cell) => cell.textContent),
    ),
    deadLettersHidden: document.querySelector("#dead-letters").hidden,
    authHidden: document.querySelector("#auth").hidden,
    authMessage: text(document.querySelector("#auth-message")),
    scripts: document.scripts.length,
    images: document.images.length,
    pwned: globalThis.pwned ?? null,
    violations: globalThis.__violations,
    location: location.href,
  };
}

const browser = await chromium.launch({
  executablePath,
  // Root in a container: chromium's sandbox needs user namespaces.
  args: ["--no-sandbox"],
});
const result = {};
try {
  // 1. With the token in the fragment: the data renders; events posted
  // meanwhile show as rates.
  const main = await open(
    browser,
    `${options.url}/status#refresh=1&token=${
      encodeURIComponent(options.token)
    }`,
  );
  result.headers = main.response.headers();
  await refreshed(main, 1);
  for (let i = 0; i < 3; i++) {
    const status = await postEvents(options.url, options.token, options.events);
    if (status !== 202) throw new Error(`POST /events answered ${status}`);
    await sleep(700);
  }
  const before = Number(
    await main.page.evaluate(() => document.body.dataset.refreshes),
  );
  await refreshed(main, before + 2);
  result.main = await main.page.evaluate(readPage);
  result.main.console = main.seen.console;
  result.main.pageErrors = main.seen.pageErrors;
  result.main.requests = main.seen.requests;
  await main.page.screenshot({ path: options.screenshot, fullPage: true });
  await main.context.close();

  // 2. Without a token: the form asks for one; typed in, the data renders.
  const form = await open(browser, `${options.url}/status#refresh=1`);
  await refreshed(form, 1);
  result.formBefore = await form.page.evaluate(readPage);
  await form.page.fill("#token", options.token);
  await form.page.click("#auth button[type=submit]");
  await form.page.waitForFunction(
    () =>
      document.querySelectorAll("article.destination h3 .platform").length > 0,
    undefined,
    { timeout: 30_000 },
  );
  result.formAfter = await form.page.evaluate(readPage);
  result.formAfter.console = form.seen.console;
  result.formAfter.pageErrors = form.seen.pageErrors;
  await form.context.close();

  // 3. Statistics whose texts hold markup: shown as text, never run.
  const hostile = await open(
    browser,
    `${options.hostileUrl}/status#token=${encodeURIComponent(options.token)}`,
  );
  await refreshed(hostile, 1);
  result.hostile = await hostile.page.evaluate(readPage);
  result.hostile.console = hostile.seen.console;
  result.hostile.pageErrors = hostile.seen.pageErrors;
  await hostile.context.close();
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
