/**
 * Events as text: one JSON object, a JSON array of objects, or JSON lines (one object per
 * line, blank lines ignored). Each event keeps the 1-based line where it starts, so that an
 * error in a batch names its line. See formats/event-v1.md, "Text input".
 */

import { LogsealError } from "../errors.js";
import { type JsonScan, scanJson } from "./json-scan.js";
import { isPlainObject } from "./schema.js";

/** One event candidate from a text and the line where it starts. */
export interface ParsedEvent {
  value: unknown;
  line: number;
}

/**
 * Splits a text into event candidates. The form is detected: a text that starts with `[` is
 * one array; a text that is one complete JSON value is that value; otherwise, if its first
 * non-blank line is a complete JSON value by itself, it is JSON lines. A UTF-8 byte order mark
 * at the start is skipped; lines end with `\n` or `\r\n`. Every candidate is a JSON object.
 *
 * Duplicate keys in an object are rejected: JSON.parse keeps the last value, other JSON
 * readers keep the first, and an audit log must not depend on which reader looks.
 *
 * @param file the file name, for error locations only.
 * @throws LogsealError `E_INPUT_EMPTY` for a text with no events (blank, or `[]`);
 *   `E_INPUT_JSON` with `{file, line}` for a syntax error (details `{column}`), a duplicate
 *   key, or a value that is not an object.
 */
export function parseEventsText(text: string, file?: string): ParsedEvent[] {
  if (typeof text !== "string") throw new TypeError("parseEventsText: text must be a string");
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let index: LineIndex | undefined;
  const lines = () => (index ??= new LineIndex(src));

  // JSON.parse first: a clean text (the usual case) is not scanned, unless a caller asks the
  // line of an element of an array (an error's place). The scanner runs on a text that fails,
  // for the error's place and reason.
  const whole = parseUnique(src);
  if (whole !== FAILED) return fromWhole(src, whole, lines, file);

  if (/^[ \t\r\n]*$/.test(src)) {
    throw new LogsealError("E_INPUT_EMPTY", "the input holds no events: send JSON or JSON lines", {
      location: loc(file),
    });
  }

  // JSON lines, if the first non-blank line is a complete value by itself (one value followed
  // by blank lines only reads the same either way). An array is never JSON lines: a "[" text
  // with an error reports that error.
  const firstStart = firstNonBlank(src, 0, src.length);
  if (src.charAt(firstStart) !== "[") {
    const lineEnd = src.indexOf("\n", firstStart);
    const first = scanJson(src, firstStart, lineEnd < 0 ? src.length : lineEnd, "line");
    if (first.ok) return fromLines(src, lines, file);
  }
  // One value that parseUnique could not clear (too deep to count, or a \u003a escape), or an
  // error.
  const scan = scanJson(src, 0, src.length);
  if (scan.ok)
    return fromWhole(src, parseScanned(src, lines().lineOf(scan.start), file), lines, file);
  throw syntaxError(scan, lines(), file);
}

/** What {@link parseUnique} answers for a text that is not one JSON value without repeated keys. */
const FAILED: unique symbol = Symbol("failed");

/**
 * `JSON.parse(text)` when the text is one JSON value in which no object repeats a key;
 * {@link FAILED} otherwise (the caller scans it for the error and its place).
 *
 * Repeated keys are found without a scan. In a text JSON.parse accepts, a ":" outside strings
 * only ever separates a member's name from its value, so the text's ":" count is its members
 * plus the ":" inside its strings. JSON.parse keeps one member of each repeated name and drops
 * the others with their values. So, unless a `\u003a` escape makes a ":" that the text does
 * not show (then the text is scanned), the parsed value's members plus the ":" in its strings
 * equal the text's count when no key repeats, and fall short when one does.
 */
function parseUnique(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return FAILED;
  }
  if (typeof value !== "object" || value === null) return value;
  const escaped = text.indexOf("\\u003");
  if (escaped >= 0 && /\\u003[aA]/.test(text.slice(escaped))) return FAILED;
  const counted = membersAndColons(value, 0);
  return counted >= 0 && counted === colons(text) ? value : FAILED;
}

/** Nesting beyond which {@link membersAndColons} gives up (the scanner has no such limit). */
const MAX_COUNTED_DEPTH = 64;

/** Members of every object in `v` plus the ":" in its strings (keys too); -1 if too deep. */
function membersAndColons(v: unknown, depth: number): number {
  if (typeof v === "string") return colons(v);
  if (typeof v !== "object" || v === null) return 0;
  if (depth > MAX_COUNTED_DEPTH) return -1;
  let n = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const m = membersAndColons(v[i], depth + 1);
      if (m < 0) return -1;
      n += m;
    }
    return n;
  }
  const o = v as Record<string, unknown>;
  // Own keys only: a `for…in` would also count what someone made enumerable on
  // Object.prototype, one member an object, which would hide as many dropped duplicates.
  for (const k of Object.keys(o)) {
    const m = membersAndColons(o[k], depth + 1);
    if (m < 0) return -1;
    n += 1 + colons(k) + m;
  }
  return n;
}

function colons(s: string): number {
  let n = 0;
  for (let i = s.indexOf(":"); i >= 0; i = s.indexOf(":", i + 1)) n++;
  return n;
}

function fromWhole(
  src: string,
  value: unknown,
  lines: () => LineIndex,
  file: string | undefined,
): ParsedEvent[] {
  const start = firstNonBlank(src, 0, src.length);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      throw new LogsealError("E_INPUT_EMPTY", "the array holds no events", {
        location: loc(file, lines().lineOf(start)),
      });
    }
    // Where each element starts, only when a line is asked for (an error's location).
    let elements: number[] | undefined;
    const lineOf = (i: number): number => {
      if (elements === undefined) {
        const scan = scanJson(src, 0, src.length);
        elements = scan.ok ? scan.elements : [];
      }
      return lines().lineOf(elements[i] ?? start);
    };
    return value.map((item, i) => {
      if (!isPlainObject(item)) requireObject(item, file, lineOf(i), `element ${i} of the array`);
      return {
        value: item,
        get line() {
          return lineOf(i);
        },
      };
    });
  }
  const line = lines().lineOf(start);
  requireObject(value, file, line, "the input");
  return [{ value, line }];
}

function fromLines(src: string, lines: () => LineIndex, file: string | undefined): ParsedEvent[] {
  const out: ParsedEvent[] = [];
  let start = 0;
  for (let line = 1; start <= src.length; line++) {
    const nl = src.indexOf("\n", start);
    const end = nl < 0 ? src.length : nl;
    if (firstNonBlank(src, start, end) < end) {
      const text = src.slice(start, end);
      let value = parseUnique(text);
      if (value === FAILED) {
        const scan = scanJson(src, start, end, "line");
        if (!scan.ok) throw syntaxError(scan, lines(), file);
        value = parseScanned(text, line, file);
      }
      requireObject(value, file, line, `line ${line}`);
      out.push({ value, line });
    }
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
}

/** The offset of the first character in `src[from, to)` that is not JSON white space, or `to`. */
function firstNonBlank(src: string, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const c = src.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    i++;
  }
  return i;
}

function parseScanned(text: string, line: number, file: string | undefined): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    // The scanner accepted it, so this is a scanner bug; still report it as bad input.
    throw new LogsealError("E_INPUT_JSON", `invalid JSON: ${(cause as Error).message}`, {
      location: loc(file, line),
      cause,
    });
  }
}

function requireObject(value: unknown, file: string | undefined, line: number, what: string): void {
  if (isPlainObject(value)) return;
  const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
  throw new LogsealError(
    "E_INPUT_JSON",
    `${what} is ${kind}: each event must be a JSON object ` +
      `(send one object, an array of objects, or one object per line)`,
    { location: loc(file, line) },
  );
}

function syntaxError(
  scan: Extract<JsonScan, { ok: false }>,
  lines: LineIndex,
  file: string | undefined,
): LogsealError {
  const line = lines.lineOf(scan.offset);
  const column = scan.offset - lines.startOf(line) + 1;
  const hint = scan.reason.startsWith("unexpected end of line")
    ? " (JSON lines: one complete object per line)"
    : "";
  return new LogsealError(
    "E_INPUT_JSON",
    `invalid JSON at column ${column}: ${scan.reason}${hint}`,
    {
      location: loc(file, line),
      details: { column },
    },
  );
}

function loc(file: string | undefined, line?: number): { file?: string; line?: number } {
  const l: { file?: string; line?: number } = {};
  if (file !== undefined) l.file = file;
  if (line !== undefined) l.line = line;
  return l;
}

/** Offsets of line starts, for offset → 1-based line. Lines end with "\n" (after "\r\n" too). */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  startOf(line: number): number {
    return this.starts[line - 1] ?? 0;
  }
}
