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
  const lines = new LineIndex(src);

  const whole = scanJson(src, 0, src.length);
  if (whole.ok) return fromWhole(src, whole, lines, file);

  // A blank text fails the scan with "expected a value" at its end.
  if (/^[ \t\r\n]*$/.test(src)) {
    throw new LogsealError("E_INPUT_EMPTY", "the input holds no events: send JSON or JSON lines", {
      location: loc(file),
    });
  }

  // JSON lines, if the first non-blank line is a complete value by itself. An array is never
  // JSON lines: a "[" text with an error reports that error.
  const firstStart = src.search(/[^ \t\r\n]/);
  if (src.charAt(firstStart) !== "[") {
    const lineEnd = src.indexOf("\n", firstStart);
    const first = scanJson(src, firstStart, lineEnd < 0 ? src.length : lineEnd, "line");
    if (first.ok) return fromLines(src, lines, file);
  }
  throw syntaxError(whole, lines, file);
}

function fromWhole(
  src: string,
  scan: Extract<JsonScan, { ok: true }>,
  lines: LineIndex,
  file: string | undefined,
): ParsedEvent[] {
  const value = parseScanned(src, lines.lineOf(scan.start), file);
  if (scan.first === "[") {
    const arr = value as unknown[];
    if (arr.length === 0) {
      throw new LogsealError("E_INPUT_EMPTY", "the array holds no events", {
        location: loc(file, lines.lineOf(scan.start)),
      });
    }
    return arr.map((item, i) => {
      const line = lines.lineOf(scan.elements[i] ?? scan.start);
      requireObject(item, file, line, `element ${i} of the array`);
      return { value: item, line };
    });
  }
  const line = lines.lineOf(scan.start);
  requireObject(value, file, line, "the input");
  return [{ value, line }];
}

function fromLines(src: string, lines: LineIndex, file: string | undefined): ParsedEvent[] {
  const out: ParsedEvent[] = [];
  let start = 0;
  for (let line = 1; start <= src.length; line++) {
    const nl = src.indexOf("\n", start);
    const end = nl < 0 ? src.length : nl;
    if (!/^[ \t\r]*$/.test(src.slice(start, end))) {
      const scan = scanJson(src, start, end, "line");
      if (!scan.ok) throw syntaxError(scan, lines, file);
      const value = parseScanned(src.slice(start, end), line, file);
      requireObject(value, file, line, `line ${line}`);
      out.push({ value, line });
    }
    if (nl < 0) break;
    start = nl + 1;
  }
  return out;
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
