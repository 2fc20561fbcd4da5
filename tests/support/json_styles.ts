/**
 * JSON as the encoders of other languages write it, for the producers that
 * send events to the ingest: the same value, with the escapes, separators,
 * indentation and line ends each one uses by default. `JSON.stringify` alone
 * writes none of these forms (no `\/`, no `\u` for non-ASCII, no CRLF, no
 * `", "`), so a parser tested only on its output is not tested on them.
 *
 * - PHP `json_encode()`: `/` as `\/`, non-ASCII as lower-case `\uxxxx`
 *   (https://www.php.net/manual/en/function.json-encode.php: JSON_UNESCAPED_SLASHES
 *   and JSON_UNESCAPED_UNICODE are opt-in); `JSON_PRETTY_PRINT` indents by 4
 *   spaces with `\n` and writes `": "`.
 * - Python `json.dumps()`: `ensure_ascii=True` (lower-case `\uxxxx`),
 *   separators `", "` and `": "`; with `indent`, items end in `","` and the
 *   indent may be a tab (https://docs.python.org/3/library/json.html#json.dump).
 * - .NET `System.Text.Json` with `WriteIndented`: the default encoder
 *   escapes non-ASCII and the HTML-sensitive `<`, `>`, `&`, `'` and `"` as
 *   upper-case `\uXXXX`, and lines end in `Environment.NewLine`, CRLF on
 *   Windows (https://learn.microsoft.com/en-us/dotnet/standard/serialization/system-text-json/character-encoding).
 * - PowerShell `ConvertTo-Json` on Windows: CRLF line ends, `": "`.
 *
 * @module
 */

/** How one encoder writes JSON text. */
export interface JsonStyle {
  /** The encoder, for messages. */
  name: string;
  /** Indentation of one level; "" writes everything on one line. */
  indent: string;
  /** The line end between items when indented. */
  newline: string;
  /** Between a key and its value. */
  colon: string;
  /** Between items on one line. */
  comma: string;
  /** `/` written as `\/`. */
  escapeSlash: boolean;
  /** Non-ASCII written as `\u` escapes: "lower", "upper", or not ("none"). */
  asciiOnly: "lower" | "upper" | "none";
  /** `<`, `>`, `&`, `'` and `"` written as `\u` escapes. */
  escapeHtml: boolean;
}

/** The styles of the encoders above. */
export const JSON_STYLES: readonly JsonStyle[] = [
  {
    name: "PHP json_encode",
    indent: "",
    newline: "",
    colon: ":",
    comma: ",",
    escapeSlash: true,
    asciiOnly: "lower",
    escapeHtml: false,
  },
  {
    name: "PHP json_encode JSON_PRETTY_PRINT",
    indent: "    ",
    newline: "\n",
    colon: ": ",
    comma: ",",
    escapeSlash: true,
    asciiOnly: "lower",
    escapeHtml: false,
  },
  {
    name: "Python json.dumps",
    indent: "",
    newline: "",
    colon: ": ",
    comma: ", ",
    escapeSlash: false,
    asciiOnly: "lower",
    escapeHtml: false,
  },
  {
    name: 'Python json.dumps(indent="\\t")',
    indent: "\t",
    newline: "\n",
    colon: ": ",
    comma: ",",
    escapeSlash: false,
    asciiOnly: "lower",
    escapeHtml: false,
  },
  {
    name: ".NET System.Text.Json WriteIndented on Windows",
    indent: "  ",
    newline: "\r\n",
    colon: ": ",
    comma: ",",
    escapeSlash: false,
    asciiOnly: "upper",
    escapeHtml: true,
  },
  {
    name: "PowerShell ConvertTo-Json on Windows",
    indent: "  ",
    newline: "\r\n",
    colon: ": ",
    comma: ",",
    escapeSlash: false,
    asciiOnly: "none",
    escapeHtml: false,
  },
];

const SHORT: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

function unicodeEscape(code: number, upper: boolean): string {
  const hex = code.toString(16).padStart(4, "0");
  return `\\u${upper ? hex.toUpperCase() : hex}`;
}

/** A string as a JSON string token in `style`. */
export function writeJsonString(text: string, style: JsonStyle): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    const code = text.charCodeAt(i);
    const upper = style.asciiOnly === "upper";
    if (style.escapeHtml && `<>&'"`.includes(char)) {
      out += unicodeEscape(code, upper);
    } else if (char in SHORT) {
      out += SHORT[char];
    } else if (code < 0x20) {
      out += unicodeEscape(code, upper);
    } else if (char === "/" && style.escapeSlash) {
      out += "\\/";
    } else if (
      code > 0x7f && style.asciiOnly !== "none" ||
      code >= 0xd800 && code <= 0xdfff
    ) {
      // Each UTF-16 unit on its own, a pair as two escapes, as all of them do.
      out += unicodeEscape(code, upper);
    } else {
      out += char;
    }
  }
  return `${out}"`;
}

/**
 * A JSON value as text in `style`.
 *
 * @param value Any value `JSON.stringify` takes (no `undefined` members).
 * @param style The encoder's style.
 * @returns The text.
 */
export function writeJson(value: unknown, style: JsonStyle, depth = 0): string {
  if (typeof value === "string") return writeJsonString(value, style);
  if (value === null || typeof value !== "object") {
    return JSON.stringify(value);
  }
  const array = Array.isArray(value);
  const items = array
    ? value.map((item) => writeJson(item, style, depth + 1))
    : Object.entries(value).map(([key, item]) =>
      writeJsonString(key, style) + style.colon +
      writeJson(item, style, depth + 1)
    );
  const [open, close] = array ? ["[", "]"] : ["{", "}"];
  if (items.length === 0) return open + close;
  if (style.indent === "") return open + items.join(style.comma) + close;
  const inner = style.newline + style.indent.repeat(depth + 1);
  const outer = style.newline + style.indent.repeat(depth);
  return open + inner + items.join("," + inner) + outer + close;
}
