/**
 * What the ingest worker sends back (src/server/ingest.ts, eventsArrayText): the request's own
 * text as one JSON array, which must parse to the values `parseEventsText` found, in every input
 * form (an array, one object, JSON lines with blank lines, CRLF, a byte order mark).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEventsText } from "../../src/event/input.js";
import { eventsArrayText } from "../../src/server/ingest.js";
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
