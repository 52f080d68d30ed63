/**
 * What the ingest worker sends back (src/server/ingest.ts, eventsArrayText): the request's own
 * text as one JSON array, which must parse to the values `parseEventsText` found, in every input
 * form (an array, one object, JSON lines with blank lines, CRLF, a byte order mark).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEventsText } from "../../src/event/input.js";
import { eventsArrayText, parseRequestEvents } from "../../src/server/ingest.js";
import { json } from "../event/arbitraries.js";

const numRuns = Number(process.env.LOGSEAL_PROPERTY_RUNS ?? 300);

const object = fc.dictionary(fc.string({ maxLength: 8 }), json, {
  maxKeys: 5,
  noNullPrototype: true,
});
const space = fc.constantFrom("", " ", "\t", "\r\n", "\n\n", " \r\n \n");

/** A request text in one of the forms `logseal append` and POST /v1/events read. */
const body = fc.oneof(
  fc
    .tuple(fc.array(object, { minLength: 1, maxLength: 5 }), fc.boolean(), space, space)
    .map(([xs, pretty, a, b]) => ({
      values: xs,
      text: `${a}${JSON.stringify(xs, null, pretty ? 2 : undefined)}${b}`,
    })),
  fc.tuple(object, fc.boolean(), space, space).map(([x, pretty, a, b]) => ({
    values: [x],
    text: `${a}${JSON.stringify(x, null, pretty ? 2 : undefined)}${b}`,
  })),
  fc
    .tuple(
      fc.array(fc.tuple(object, fc.constantFrom("\n", "\r\n", "\n\n", "\n \t\n", " \r\n")), {
        minLength: 2,
        maxLength: 6,
      }),
      fc.boolean(),
    )
    .map(([lines, last]) => ({
      values: lines.map(([x]) => x),
      text: lines
        .map(([x, end], i) => JSON.stringify(x) + (i < lines.length - 1 || last ? end : ""))
        .join(""),
    })),
);

describe("eventsArrayText", () => {
  it("parses to the values parseEventsText finds, in every form, with or without a BOM", () => {
    fc.assert(
      fc.property(body, fc.boolean(), ({ values, text }, bom) => {
        const t = bom ? `\uFEFF${text}` : text;
        const parsed = parseEventsText(t).map((p) => p.value);
        expect(parsed).toEqual(values);
        expect(JSON.parse(eventsArrayText(t, parsed.length))).toEqual(parsed);
      }),
      { numRuns },
    );
  });

  it("keeps an object spread over several lines whole", () => {
    const text = '\n{\n  "a": 1,\n  "b": [\n    2\n  ]\n}\n\n';
    expect(JSON.parse(eventsArrayText(text, 1))).toEqual([{ a: 1, b: [2] }]);
  });
});

describe("parseRequestEvents (a log whose transforms cannot be prepared apart)", () => {
  const ok = (i: number) => ({ actor: { id: `a${i}` }, action: "x.y", outcome: "success" });
  it("names the line and field of a bad element of an array, and of a bad control id", () => {
    const text = `[\n${JSON.stringify(ok(1))},\n${JSON.stringify(ok(2))},\n${JSON.stringify({ ...ok(3), outcome: "maybe" })}\n]`;
    let caught: unknown;
    try {
      parseRequestEvents(text, 100, 1_790_000_000_000);
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({
      code: "E_EVENT_INVALID",
      location: { line: 4, field: "outcome" },
    });
    const control = `${JSON.stringify(ok(1))}\n${JSON.stringify({ ...ok(2), controls: ["A.9.2.1"] })}`;
    expect(() => parseRequestEvents(control, 100, 1_790_000_000_000)).toThrow(
      expect.objectContaining({
        code: "E_CONTROL_UNKNOWN",
        location: expect.objectContaining({ line: 2 }),
      }),
    );
    expect(parseRequestEvents(text.replace('"maybe"', '"success"'), 100, 1)).toHaveLength(3);
  });
});
