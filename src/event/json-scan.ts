/**
 * A JSON (RFC 8259) syntax scanner that reports what `JSON.parse` does not: the offset and a
 * stable reason for the first syntax error (V8's messages change between Node versions and
 * some carry no position), the start of each element of a top-level array, and duplicate
 * object keys, which JSON.parse resolves silently (last one wins) while other readers keep
 * the first. It builds no values: the caller runs JSON.parse once the scan is clean.
 *
 * Iterative with an explicit stack, so deep nesting cannot exhaust the call stack.
 * Attacker-controlled input; never throws.
 */

export type JsonScan =
  | {
      ok: true;
      /** Offset of the value's first character. */
      start: number;
      /** The first character of the value: `{`, `[`, `"`, `t`, `f`, `n`, `-` or a digit. */
      first: string;
      /** Offsets where the elements of a top-level array start; empty otherwise. */
      elements: number[];
    }
  | { ok: false; offset: number; reason: string };

interface Frame {
  object: boolean;
  keys: Set<string> | undefined;
}

const WS_SPACE = 0x20;
const WS_TAB = 0x09;
const WS_LF = 0x0a;
const WS_CR = 0x0d;

/**
 * Scans `text[from, to)` as exactly one JSON value with optional white space around it.
 * @param endName what the end of the range is called in messages ("input", "line").
 */
export function scanJson(text: string, from: number, to: number, endName = "input"): JsonScan {
  let i = from;
  const stack: Frame[] = [];
  const elements: number[] = [];
  const end = `unexpected end of ${endName}`;

  const skipWs = (): void => {
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c !== WS_SPACE && c !== WS_TAB && c !== WS_LF && c !== WS_CR) return;
      i++;
    }
  };
  const err = (offset: number, reason: string): JsonScan => ({ ok: false, offset, reason });

  skipWs();
  const start = i;
  let mode: "value" | "key" | "after" = "value";
  for (;;) {
    if (mode === "value") {
      skipWs();
      if (i >= to) return err(i, `${end}: expected a value`);
      const root = stack[0];
      if (stack.length === 1 && root !== undefined && !root.object) elements.push(i);
      const c = text.charCodeAt(i);
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        const object = c === 0x7b;
        stack.push({ object, keys: object ? new Set() : undefined });
        i++;
        skipWs();
        if (text.charCodeAt(i) === (object ? 0x7d : 0x5d)) {
          i++;
          stack.pop();
          mode = "after";
        } else {
          mode = object ? "key" : "value";
        }
        continue;
      }
      let r: number | Bad;
      if (c === 0x22 /* " */) r = scanString(text, i, to, end);
      else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) r = scanNumber(text, i, to);
      else if (c === 0x74) r = scanLiteral(text, i, to, "true");
      else if (c === 0x66) r = scanLiteral(text, i, to, "false");
      else if (c === 0x6e) r = scanLiteral(text, i, to, "null");
      else return err(i, `unexpected ${show(text, i)}: expected a value`);
      if (typeof r !== "number") return err(r.at, r.reason);
      i = r;
      mode = "after";
    } else if (mode === "key") {
      skipWs();
      if (i >= to) return err(i, `${end}: expected a property name`);
      if (text.charCodeAt(i) !== 0x22) {
        return err(i, `unexpected ${show(text, i)}: expected a double-quoted property name`);
      }
      const keyStart = i;
      const r = scanString(text, i, to, end);
      if (typeof r !== "number") return err(r.at, r.reason);
      i = r;
      const raw = text.slice(keyStart + 1, i - 1);
      const key = raw.includes("\\") ? (JSON.parse(text.slice(keyStart, i)) as string) : raw;
      const keys = stack[stack.length - 1]?.keys;
      if (keys !== undefined) {
        if (keys.has(key)) {
          return err(
            keyStart,
            `duplicate key ${JSON.stringify(key)}: JSON readers disagree on which value wins; ` +
              `send each key once`,
          );
        }
        keys.add(key);
      }
      skipWs();
      if (i >= to) return err(i, `${end}: expected ":" after a property name`);
      if (text.charCodeAt(i) !== 0x3a) {
        return err(i, `unexpected ${show(text, i)}: expected ":" after a property name`);
      }
      i++;
      mode = "value";
    } else {
      skipWs();
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (i < to) return err(i, `unexpected ${show(text, i)} after the JSON value`);
        return { ok: true, start, first: text.charAt(start), elements };
      }
      const what = top.object ? `"," or "}" after a property value` : `"," or "]" after an element`;
      if (i >= to) return err(i, `${end}: expected ${what}`);
      const c = text.charCodeAt(i);
      if (c === 0x2c) {
        i++;
        mode = top.object ? "key" : "value";
      } else if (c === (top.object ? 0x7d : 0x5d)) {
        i++;
        stack.pop();
      } else {
        return err(i, `unexpected ${show(text, i)}: expected ${what}`);
      }
    }
  }
}

/** A sub-scanner's failure: where and why. */
interface Bad {
  at: number;
  reason: string;
}

/** Scans a string starting at its opening quote; returns the offset after the closing quote. */
function scanString(text: string, i: number, to: number, end: string): number | Bad {
  const open = i;
  i++;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) {
      return { at: i, reason: `control character U+${hex4(c)} in a string: escape it (\\n, \\t)` };
    }
    if (c === 0x5c) {
      if (i + 1 >= to) break;
      const e = text.charAt(i + 1);
      if (e === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, Math.min(i + 6, to)))) {
          return { at: i, reason: "bad \\u escape in a string: it needs four hex digits" };
        }
        i += 6;
      } else if ('"\\/bfnrt'.includes(e)) {
        i += 2;
      } else {
        return { at: i, reason: `bad escape "\\${e}" in a string` };
      }
      continue;
    }
    i++;
  }
  return { at: open, reason: `${end}: the string that starts here is not closed` };
}

/** Scans a number per RFC 8259 §6; returns the offset after it. */
function scanNumber(text: string, i: number, to: number): number | Bad {
  const digits = (): number => {
    const s = i;
    while (i < to && isDigit(text.charCodeAt(i))) i++;
    return i - s;
  };
  if (text.charCodeAt(i) === 0x2d) i++;
  const intStart = i;
  const n = digits();
  if (n === 0) return { at: i, reason: "a number needs a digit after the minus sign" };
  if (n > 1 && text.charCodeAt(intStart) === 0x30) {
    return { at: intStart, reason: "a number must not have leading zeros" };
  }
  if (i < to && text.charCodeAt(i) === 0x2e /* . */) {
    i++;
    if (digits() === 0) return { at: i, reason: "a number needs a digit after the decimal point" };
  }
  if (i < to && (text.charCodeAt(i) | 0x20) === 0x65 /* e or E */) {
    i++;
    if (i < to && (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d)) i++;
    if (digits() === 0) return { at: i, reason: "a number needs a digit in its exponent" };
  }
  return i;
}

function scanLiteral(text: string, i: number, to: number, word: string): number | Bad {
  if (i + word.length <= to && text.startsWith(word, i)) return i + word.length;
  return {
    at: i,
    reason: `unexpected ${show(text, i)}: expected a value (strings need double quotes)`,
  };
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hex4(c: number): string {
  return c.toString(16).toUpperCase().padStart(4, "0");
}

/** A character for a message: printable ASCII quoted, anything else as U+XXXX. */
function show(text: string, i: number): string {
  const cp = text.codePointAt(i) ?? 0;
  if (cp > 0x20 && cp < 0x7f) return JSON.stringify(String.fromCodePoint(cp));
  return `character U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}
