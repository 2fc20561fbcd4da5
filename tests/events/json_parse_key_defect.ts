/**
 * Shows Deno 2.9.6's JSON.parse key defect (src/events/json_text.ts) with
 * the smallest texts found (each case uses keys of its own, so that no case
 * sets the trap for another):
 *
 * ```sh
 * deno run tests/events/json_parse_key_defect.ts
 * ```
 *
 * Prints each case and what JSON.parse and parseJsonText() give; exits 1
 * when JSON.parse got a key wrong (the runtime still has the defect), 0
 * otherwise.
 *
 * @module
 */
import { parseJsonText } from "../../src/events/json_text.ts";

const cases: { trap: string; text: string; repeat: number }[] = [
  // Two calls: a key "\" after key "a", then a key "\u0000" after key "a".
  { trap: '{"a":0,"\\\\":0}', text: '{"a":0,"\\u0000":0}', repeat: 1 },
  // The same with the empty key.
  { trap: '{"":0,"\\\\":0}', text: '{"":0,"\\u0000":0}', repeat: 1 },
  // One text: right on the first parse, wrong from the second on.
  { trap: "", text: '[{"d":0,"\\u0000":0},{"d":0,"\\\\":0}]', repeat: 2 },
  // Not only NUL: any key written with an escape.
  { trap: '{"b":0,"\\\\":0}', text: '{"b":0,"\\u0041":0}', repeat: 1 },
  { trap: '{"c":0,"caf\\\\":0}', text: '{"c":0,"caf\\u00e9":0}', repeat: 1 },
];

let wrong = 0;
for (const { trap, text, repeat } of cases) {
  if (trap !== "") JSON.parse(trap);
  let parsed: unknown;
  for (let i = 0; i < repeat; i++) parsed = JSON.parse(text);
  const got = JSON.stringify(parsed);
  const expected = JSON.stringify(parseJsonText(text));
  if (got !== expected) wrong++;
  // deno-lint-ignore no-console
  console.log(
    `${trap ? `after JSON.parse(${JSON.stringify(trap)}), ` : ""}` +
      `JSON.parse(${JSON.stringify(text)})${repeat > 1 ? ` #${repeat}` : ""}` +
      ` -> ${got}${got === expected ? "" : `  WRONG, expected ${expected}`}`,
  );
}
// deno-lint-ignore no-console
console.log(`${Deno.version.deno}: ${wrong} of ${cases.length} wrong`);
Deno.exit(wrong > 0 ? 1 : 0);
