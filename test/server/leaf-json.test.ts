/**
 * The live tail's transcoder (src/server/leaf-json.ts) against what it replaces:
 * `JSON.stringify(decodeLeaf(leaf))`, byte for byte, on random events and on the demo.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { completeEvent, decodeLeaf, encodeLeaf, validateEvent } from "../../src/event/index.js";
import { demoScenario } from "../../src/index.js";
import { JsonBytes, writeLeafJson } from "../../src/server/leaf-json.js";
import { event } from "../event/arbitraries.js";

const numRuns = Number(process.env.LOGSEAL_PROPERTY_RUNS ?? 300);

function transcode(leaf: Uint8Array, capacity = 64): string {
  const out = new JsonBytes(capacity);
  writeLeafJson(leaf, out);
  return Buffer.from(out.bytes.buffer, 0, out.pos).toString("utf8");
}

const expected = (leaf: Uint8Array) => JSON.stringify(decodeLeaf(leaf));

describe("writeLeafJson", () => {
  it("writes JSON.stringify(decodeLeaf(leaf)) for random events", () => {
    fc.assert(
      fc.property(event, (e) => {
        const leaf = encodeLeaf(e);
        expect(transcode(leaf)).toBe(expected(leaf));
      }),
      { numRuns },
    );
  });

  it("writes the demo's events as JSON.stringify does", () => {
    const events = demoScenario({ days: 4 }).flatMap((d) => d.events);
    expect(events.length).toBeGreaterThan(20);
    for (const [i, input] of events.entries()) {
      const leaf = encodeLeaf(completeEvent(validateEvent(input), 1_764_000_000_000 + i));
      expect(transcode(leaf)).toBe(expected(leaf));
    }
  });

  it("orders array-index keys first and escapes as JSON.stringify", () => {
    const e = completeEvent(
      validateEvent({
        id: "x",
        actor: { kind: "agent", role: "r", id: "a" },
        action: "dataset.read",
        outcome: "success",
        details: {
          b: 1,
          "10": "ten",
          "2": [true, false, null, -1.5, -129, 2 ** 53 - 1, -(2 ** 53 - 1)],
          "01": "not an index",
          "4294967295": "not an index either",
          "4294967294": "the largest index",
          q: 'quote " backslash \\ nl \n tab \t cr \r bs \b ff \f nul \u0000 us \u001f del \u007f',
          u: "line sep \u2028 para \u2029 é 日 😀",
          // An own "__proto__" member, as JSON.parse makes it.
          ...JSON.parse('{"__proto__": {"nested": {"3": 3, "a": {}}}}'),
        },
      }),
      1_764_000_000_000,
    );
    const leaf = encodeLeaf(e);
    const text = transcode(leaf);
    expect(text).toBe(expected(leaf));
    expect(text.indexOf('"2"')).toBeLessThan(text.indexOf('"10"'));
    expect(text).toContain("\\u0000");
    expect(text).toContain('"__proto__":{"nested":{"3":3,"a":{}}}');
  });

  it("writes integers at the edges of their encodings and of its 32-bit arithmetic", () => {
    const edges = [0, 9, 10, 99, 127, 128, 255, 256, 65_535, 65_536, 99_999_999, 100_000_000];
    edges.push(2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 1_000_000_000_000, 1_764_000_000_007);
    edges.push(1_764_000_100_000, 2 ** 53 - 1, 9_007_199_200_000_000);
    const ints = edges.flatMap((n) => [n, -n]);
    for (const ts of [2 ** 31, 1_764_000_000_007, 1_700_000_000_000, 100_000_000_000]) {
      const e = completeEvent(
        validateEvent({
          ts,
          actor: { id: "a" },
          action: "x.y",
          outcome: "success",
          details: { ints },
        }),
        ts + 1,
      );
      const leaf = encodeLeaf(e);
      expect(transcode(leaf)).toBe(expected(leaf));
    }
  });

  it("appends to what is already written, growing the buffer", () => {
    const leaf = encodeLeaf(
      completeEvent(
        validateEvent({
          actor: { id: "a" },
          action: "dataset.read",
          outcome: "success",
          details: { long: "x".repeat(5000) },
        }),
        1,
      ),
    );
    const out = new JsonBytes(64);
    out.ascii("data: ");
    writeLeafJson(leaf, out);
    writeLeafJson(leaf, out);
    const text = Buffer.from(out.bytes.buffer, 0, out.pos).toString("utf8");
    expect(text).toBe(`data: ${expected(leaf)}${expected(leaf)}`);
  });
});
