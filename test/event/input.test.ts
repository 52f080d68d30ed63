import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogsealError } from "../../src/errors.js";
import { parseEventsText } from "../../src/event/index.js";
import { scanJson } from "../../src/event/json-scan.js";

function fails(text: string, code = "E_INPUT_JSON"): LogsealError {
  let caught: unknown;
  try {
    parseEventsText(text, "in.json");
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LogsealError);
  const err = caught as LogsealError;
  expect(err.code).toBe(code);
  expect(err.location?.file).toBe("in.json");
  return err;
}

const lines = (...xs: string[]) => xs.join("\n");

describe("parseEventsText: the three forms", () => {
  it("one object, possibly pretty-printed, starting after blank lines", () => {
    expect(parseEventsText('{"a":1}')).toEqual([{ value: { a: 1 }, line: 1 }]);
    const text = lines("", "  ", '  {"a": 1,', '   "b": [1,', "   2]}", "");
    expect(parseEventsText(text)).toEqual([{ value: { a: 1, b: [1, 2] }, line: 3 }]);
  });
  it("an array: each element gets the line where it starts", () => {
    const text = lines(
      "[", // 1
      '  {"a": 1},', // 2
      "", // 3
      "  {", // 4
      '    "b": "x,y]}",', // 5: brackets and commas inside a string
      '    "c": {"d": [1, {"e": "\\"]"}]}', // 6
      "  },", // 7
      '  {"f": 1}, {"g": 2}', // 8: two on one line
      "]", // 9
    );
    expect(parseEventsText(text)).toEqual([
      { value: { a: 1 }, line: 2 },
      { value: { b: "x,y]}", c: { d: [1, { e: '"]' }] } }, line: 4 },
      { value: { f: 1 }, line: 8 },
      { value: { g: 2 }, line: 8 },
    ]);
  });
  it("JSON lines, with blank lines", () => {
    const text = lines('{"a":1}', "", "   ", '{"b":2}', '  {"c":3}  ', "");
    expect(parseEventsText(text)).toEqual([
      { value: { a: 1 }, line: 1 },
      { value: { b: 2 }, line: 4 },
      { value: { c: 3 }, line: 5 },
    ]);
  });
  it("CRLF line endings in every form", () => {
    expect(parseEventsText('{"a":1}\r\n\r\n{"b":2}\r\n')).toEqual([
      { value: { a: 1 }, line: 1 },
      { value: { b: 2 }, line: 3 },
    ]);
    expect(parseEventsText('[\r\n{"a":1},\r\n{"b":2}\r\n]\r\n')).toEqual([
      { value: { a: 1 }, line: 2 },
      { value: { b: 2 }, line: 3 },
    ]);
    expect(parseEventsText('\r\n{\r\n"a": 1\r\n}\r\n')).toEqual([{ value: { a: 1 }, line: 2 }]);
  });
  it("a UTF-8 byte order mark at the start", () => {
    expect(parseEventsText('\uFEFF{"a":1}')).toEqual([{ value: { a: 1 }, line: 1 }]);
    expect(parseEventsText('\uFEFF{"a":1}\n{"b":2}')).toHaveLength(2);
    expect(parseEventsText('\uFEFF[{"a":1}]')).toHaveLength(1);
    // Only at the start.
    expect(fails('{"a":1}\n\uFEFF{"b":2}').location?.line).toBe(2);
  });
  it("keeps __proto__ as an own key (JSON.parse semantics)", () => {
    const [first] = parseEventsText('{"__proto__": {"x": 1}}');
    expect(Object.keys(first?.value as object)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(first?.value)).toBe(Object.prototype);
  });
});

describe("parseEventsText: empty input", () => {
  it.each(["", "   ", "\n\n", "\r\n \t\r\n", "\uFEFF", "\uFEFF  \n"])("%j", (text) => {
    fails(text, "E_INPUT_EMPTY");
  });
  it("an empty array", () => {
    expect(fails("[]", "E_INPUT_EMPTY").message).toContain("no events");
    expect(fails("\n [ \n ] \n", "E_INPUT_EMPTY").location?.line).toBe(2);
  });
});

describe("parseEventsText: malformed JSON names the line", () => {
  it("in a single object", () => {
    const err = fails(lines("{", '  "a": 1,', '  "b": }'));
    expect(err.location?.line).toBe(3);
    expect(err.details).toEqual({ column: 8 });
    expect(err.message).toBe('invalid JSON at column 8: unexpected "}": expected a value');
  });
  it("in a single object that is not closed", () => {
    const err = fails(lines("{", '  "a": 1', ""));
    expect(err.location?.line).toBe(3);
    expect(err.message).toContain("unexpected end of input");
  });
  it("in an array", () => {
    expect(fails(lines("[", '  {"a": 1},', '  {"b": 2},', "]")).location?.line).toBe(4);
    expect(fails(lines("[", '  {"a": 1}', '  {"b": 2}', "]")).location?.line).toBe(3);
    expect(fails(lines("[", '  {"a": 1},', '  {"b": tru}', "]")).location?.line).toBe(3);
  });
  it("in JSON lines: the bad line's number", () => {
    const err = fails(lines('{"a":1}', "", '{"b":2}', '{"c" 3}', '{"d":4}'));
    expect(err.location?.line).toBe(4);
    expect(err.message).toContain('expected ":"');
    const cut = fails(lines('{"a":1}', '{"b":', "2}"));
    expect(cut.location?.line).toBe(2);
    expect(cut.message).toContain("one complete object per line");
    expect(fails('{"a":1}\r\n{"b":2,}\r\n').location?.line).toBe(2);
  });
  it("on the first of several lines", () => {
    expect(fails(lines('{"a":1,}', '{"b":2}')).location?.line).toBe(1);
    expect(fails(lines('{"a":1} x', '{"b":2}')).location?.line).toBe(1);
  });
  it("reports duplicate keys", () => {
    const err = fails(lines("[", '{"a": 1,', ' "a": 2}', "]"));
    expect(err.location?.line).toBe(3);
    expect(err.message).toContain('duplicate key "a"');
    expect(fails('{"x":{"a":1,"\\u0061":2}}').message).toContain('duplicate key "a"');
    expect(fails(lines('{"a":1}', '{"b":1,"b":1}')).location?.line).toBe(2);
    // The same key in different objects is fine.
    expect(parseEventsText('{"a":{"a":1},"b":{"a":2}}')).toHaveLength(1);
  });
  it.each([
    ['{"a":"x\ny"}', "control character"],
    ['{"a":"\\q"}', "bad escape"],
    ['{"a":"\\u12"}', "four hex digits"],
    ['{"a":01}', "leading zeros"],
    ['{"a":-}', "after the minus sign"],
    ['{"a":1.}', "decimal point"],
    ['{"a":1e}', "exponent"],
    ['{"a":NaN}', "expected a value"],
    ["{'a':1}", "double-quoted property name"],
    ['{"a":1', "unexpected end of input"],
    ['{"a":"x', "not closed"],
  ])("%j: %s", (text, reason) => {
    expect(fails(text).message).toContain(reason);
  });
});

describe("parseEventsText: values that are not objects", () => {
  it.each(["42", '"event"', "true", "null", "  -1.5  "])("top-level %j", (text) => {
    expect(fails(text).message).toContain("each event must be a JSON object");
  });
  it("array elements", () => {
    const err = fails(lines("[", '{"a":1},', "2,", "[]", "]"));
    expect(err.location?.line).toBe(3);
    expect(err.message).toContain("element 1");
    expect(fails("[[{}]]").message).toContain("an array");
  });
  it("JSON lines", () => {
    expect(fails(lines('{"a":1}', "5")).location?.line).toBe(2);
    expect(fails(lines("5", '{"a":1}')).location?.line).toBe(1);
    expect(fails(lines('{"a":1}', "[]")).location?.line).toBe(2);
  });
  it("without a file name, the location has only the line", () => {
    let caught: LogsealError | undefined;
    try {
      parseEventsText("[1]");
    } catch (e) {
      caught = e as LogsealError;
    }
    expect(caught?.location).toEqual({ line: 1 });
  });
});

describe("scanJson agrees with JSON.parse", () => {
  it("on random JSON texts and their mutations", () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), fc.nat(), fc.nat({ max: 6 }), (text, at, op) => {
        // Mutate: delete, duplicate or replace one character with a JSON-significant one.
        const i = text.length === 0 ? 0 : at % text.length;
        const ch = ['"', "{", "}", "[", "]", ",", ":", "\\"][op] ?? " ";
        for (const t of [
          text,
          text.slice(0, i) + text.slice(i + 1),
          text.slice(0, i) + ch + text.slice(i),
        ]) {
          let parsed = true;
          try {
            JSON.parse(t);
          } catch {
            parsed = false;
          }
          const scan = scanJson(t, 0, t.length);
          if (scan.ok) {
            // A duplicate key is the only thing the scanner rejects that JSON.parse accepts.
            expect(parsed).toBe(true);
          } else if (parsed) {
            expect(scan.reason).toContain("duplicate key");
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
  it("survives deep nesting", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(scanJson(deep, 0, deep.length).ok).toBe(true);
  });
});

describe("parseEventsText: repeated keys without a scan", () => {
  // A clean text is only JSON.parse'd; repeated keys are found by counting ":" (input.ts,
  // parseUnique). These are the cases that count could get wrong.
  it.each([
    ['{"a":"x:y","a":"z"}', "a"], // the dropped member's value held a ":"
    ['{"a":"z","a":"x:y"}', "a"],
    ['{"a":{"x":1,"y":{"z":2}},"a":3}', "a"], // the dropped value held members
    ['{"k:":1,"k\\u003a":2}', "k:"], // the same key once plain, once escaped
    ['{"\\u003A":1,":":2}', ":"],
    ['{"__proto__":1,"__proto__":2}', "__proto__"],
    ['{"a":[{"b":1,"b":2}]}', "b"],
    ['{"a:b":"c:d","a:b":"e"}', "a:b"],
  ])("%j", (text, key) => {
    expect(fails(text).message).toContain(`duplicate key ${JSON.stringify(key)}`);
    expect(fails(`{"ok":1}\n${text}`).location?.line).toBe(2);
    expect(fails(`[{"ok":1},\n${text}]`).location?.line).toBe(2);
  });
  it("counts own members only, whatever is enumerable on Object.prototype", () => {
    Object.defineProperty(Object.prototype, "polluted", {
      value: 1,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    try {
      expect(fails('{"a":1,"a":2}').message).toContain('duplicate key "a"');
      expect(fails('{"ok":1}\n{"x":{"b":1,"b":2}}').location?.line).toBe(2);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });
  it("accepts colons and escapes that repeat nothing", () => {
    const text = '{"a:":"b:c","\\u003a":"\\u003a:","n":{"x:y":[":",{"z":"::"}]}}';
    expect(parseEventsText(text)[0]?.value).toEqual(JSON.parse(text));
    expect(parseEventsText(`${text}\n${text}`)).toHaveLength(2);
  });
  it("deeper than it counts, the scanner decides", () => {
    const deep = (inner: string) => `{"d":${'{"a":'.repeat(100)}${inner}${"}".repeat(100)}}`;
    expect(parseEventsText(deep("1"))).toHaveLength(1);
    expect(parseEventsText(`${deep("1")}\n${deep("2")}`)).toHaveLength(2);
    expect(fails(deep('{"x":1,"x":2}')).message).toContain('duplicate key "x"');
    expect(fails(`{"ok":1}\n${deep('{"x":1,"x":2}')}`).location?.line).toBe(2);
  });
  it("agrees with the scanner on random objects with a member repeated or not", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 4 }), fc.json({ maxDepth: 3 }), { minKeys: 1 }),
        fc.nat(),
        fc.boolean(),
        fc.constantFrom("\n", ""),
        (dict, at, repeat, newline) => {
          const keys = Object.keys(dict);
          const members = keys.map((k) => `${JSON.stringify(k)}:${dict[k]}`);
          if (repeat) members.push(`${JSON.stringify(keys[at % keys.length])}:"x:y"`);
          const text = `{${members.join(",")}}${newline}`;
          const scan = scanJson(text, 0, text.length);
          let error: unknown;
          try {
            parseEventsText(text);
          } catch (e) {
            error = e;
          }
          if (scan.ok) expect(error).toBeUndefined();
          else expect((error as LogsealError).message).toContain(scan.reason);
          expect(scan.ok).toBe(!repeat);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
