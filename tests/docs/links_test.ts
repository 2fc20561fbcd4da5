/**
 * Every relative link of the README, `docs/*.md` and `bench/README.md` leads
 * to a file that exists, and every `#anchor` to a heading of that file (as
 * GitHub names headings), so that splitting or renaming a page cannot leave
 * a newcomer on a dead link.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** The Markdown pages whose links are checked, relative to the root. */
async function pages(): Promise<string[]> {
  const found = ["README.md", "bench/README.md"];
  for await (const entry of Deno.readDir(new URL("docs/", ROOT))) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      found.push(`docs/${entry.name}`);
    }
  }
  return found.sort();
}

/** The text outside fenced code blocks, where links and headings are. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[^]*?^\1[ \t]*$/gm, "");
}

/**
 * The anchors GitHub gives a page's headings: lower case, punctuation
 * dropped, spaces made hyphens, and `-1`, `-2`… on repeats.
 */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (
    const [, text] of prose(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)
  ) {
    const slug = text!.toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}_\- ]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** The relative link targets of a page (external and mail links left out). */
function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

Deno.test("headingAnchors names headings as GitHub does", () => {
  assert.deepEqual(
    [
      ...headingAnchors(
        "# Doctor (`deno task doctor`)\n## Statistics, health and metrics\n" +
          "```sh\n# not a heading\n```\n### Cold start (`deno task bench:cold-start`)\n" +
          "## Tests\n## Tests\n",
      ),
    ],
    [
      "doctor-deno-task-doctor",
      "statistics-health-and-metrics",
      "cold-start-deno-task-benchcold-start",
      "tests",
      "tests-1",
    ],
  );
});

Deno.test("every relative link of the README and docs/ leads to an existing file and heading", async () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of await pages()) {
    const base = new URL(page, ROOT);
    const markdown = await Deno.readTextFile(base);
    for (const target of relativeLinks(markdown)) {
      checked++;
      const [path, anchor] = target.split("#", 2) as [string, string?];
      const file = path === "" ? base : new URL(path, base);
      let text: string | undefined;
      try {
        const info = await Deno.stat(file);
        text = info.isFile ? await Deno.readTextFile(file) : undefined;
      } catch {
        broken.push(`${page}: ${target} (no such file)`);
        continue;
      }
      if (anchor === undefined || anchor === "") continue;
      if (text === undefined || !file.pathname.endsWith(".md")) {
        broken.push(`${page}: ${target} (an anchor into a non-Markdown file)`);
      } else if (!headingAnchors(text).has(anchor)) {
        broken.push(`${page}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
  // The README links every docs page: a checker that finds no link is broken.
  assert.ok(checked > 20, `only ${checked} links found`);
});

Deno.test("the README links every page of docs/ and bench/README.md", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const linked = new Set(
    relativeLinks(readme).map((target) => target.split("#")[0]),
  );
  const missing = (await pages())
    .filter((page) => page !== "README.md" && !linked.has(page));
  assert.deepEqual(missing, []);
});
