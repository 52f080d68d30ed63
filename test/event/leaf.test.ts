import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/bytes.js";
import { LogsealError } from "../../src/errors.js";
import { compareUtf8, encodeCanonical, scanStructure } from "../../src/event/canonical.js";
import {
  completeEvent,
  decodeLeaf,
  type Event,
  encodeLeaf,
  MAX_LEAF_SIZE,
  validateEvent,
} from "../../src/event/index.js";
import type { JsonValue } from "../../src/event/schema.js";

const hex = (v: JsonValue) => toHex(encodeCanonical(v));
const bytes = (h: string) => fromHex(h.replace(/\s+/g, "")) as Uint8Array;
const rep = (s: string, n: number) => s.repeat(n);

function rejects(leaf: Uint8Array): LogsealError {
  let caught: unknown;
  try {
    decodeLeaf(leaf);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LogsealError);
  return caught as LogsealError;
}

/** The smallest event, and its leaf written by hand from the MessagePack spec. */
const P = {
  action: "a6616374696f6e a3612e62", // "action": "a.b"
  actor: "a56163746f72 81 a26964 a161", // "actor": {"id": "a"}
  at: "a26174 01", // "at": 1
  outcome: "a76f7574636f6d65 a773756363657373", // "outcome": "success"
  ts: "a27473 00", // "ts": 0
  v: "a176 01", // "v": 1
};
const minimal: Event = {
  v: 1,
  ts: 0,
  at: 1,
  actor: { id: "a" },
  action: "a.b",
  outcome: "success",
};
// Keys in UTF-8 byte order: action, actor, at, outcome, ts, v.
const minimalHex =
  "86" + // fixmap, 6 entries
  "a6616374696f6e a3612e62" + // "action": "a.b"
  "a56163746f72 81 a26964 a161" + // "actor": {"id": "a"}
  "a26174 01" + // "at": 1
  "a76f7574636f6d65 a773756363657373" + // "outcome": "success"
  "a27473 00" + // "ts": 0
  "a176 01"; // "v": 1

describe("canonical MessagePack, byte for byte", () => {
  it.each([
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "cc80"],
    [255, "ccff"],
    [256, "cd0100"],
    [65535, "cdffff"],
    [65536, "ce00010000"],
    [2 ** 32 - 1, "ceffffffff"],
    [2 ** 32, "cf0000000100000000"],
    [2 ** 53 - 1, "cf001fffffffffffff"],
  ])("non-negative integer %d", (n, h) => {
    expect(hex(n)).toBe(h);
  });
  it.each([
    [-1, "ff"],
    [-32, "e0"],
    [-33, "d0df"],
    [-128, "d080"],
    [-129, "d1ff7f"],
    [-32768, "d18000"],
    [-32769, "d2ffff7fff"],
    [-(2 ** 31), "d280000000"],
    [-(2 ** 31) - 1, "d3ffffffff7fffffff"],
    [-(2 ** 53 - 1), "d3ffe0000000000001"],
  ])("negative integer %d", (n, h) => {
    expect(hex(n)).toBe(h);
  });
  it("-0 is the integer 0", () => {
    expect(hex(-0)).toBe("00");
  });
  it.each([
    [0.5, "cb3fe0000000000000"],
    [-1.25, "cbbff4000000000000"],
    [0.1, "cb3fb999999999999a"],
    [1e300, "cb7e37e43c8800759c"],
    [2 ** 53, "cb4340000000000000"], // integral but not safe: float64 (events reject it)
    [5e-324, "cb0000000000000001"],
  ])("float %d", (n, h) => {
    expect(hex(n)).toBe(h);
  });
  it.each([
    [0, "a0"],
    [31, "bf"],
    [32, "d920"],
    [255, "d9ff"],
    [256, "da0100"],
    [65535, "daffff"],
    [65536, "db00010000"],
  ])("string of %d bytes", (n, header) => {
    expect(hex(rep("a", n))).toBe(header + rep("61", n));
  });
  it("strings are UTF-8, sized in bytes", () => {
    expect(hex("é")).toBe("a2c3a9");
    expect(hex(rep("é", 15))).toBe(`be${rep("c3a9", 15)}`); // 30 bytes: fixstr
    expect(hex(rep("é", 16))).toBe(`d920${rep("c3a9", 16)}`); // 32 bytes: str8
    expect(hex(rep("€", 11))).toBe(`d921${rep("e282ac", 11)}`); // 33 bytes
    expect(hex("\u{1F600}")).toBe("a4f09f9880");
    expect(hex(rep("\u{1F600}", 64))).toBe(`da0100${rep("f09f9880", 64)}`); // 256 bytes
  });
  it("nil, booleans, arrays", () => {
    expect(hex(null)).toBe("c0");
    expect(hex(false)).toBe("c2");
    expect(hex(true)).toBe("c3");
    expect(hex([])).toBe("90");
    expect(hex([1, [2]])).toBe("9201" + "9102");
    expect(hex(Array(15).fill(0))).toBe(`9f${rep("00", 15)}`);
    expect(hex(Array(16).fill(0))).toBe(`dc0010${rep("00", 16)}`);
    expect(hex(Array(65536).fill(0))).toBe(`dd00010000${rep("00", 65536)}`);
  });
  it("maps: shortest header, keys sorted by UTF-8 bytes", () => {
    expect(hex({})).toBe("80");
    const m15 = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, 0]));
    expect(hex(m15).slice(0, 2)).toBe("8f");
    const m16 = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 0]));
    expect(hex(m16).slice(0, 6)).toBe("de0010");
    const m65536: Record<string, number> = {};
    for (let i = 0; i < 65536; i++) m65536[`k${i}`] = 0;
    expect(hex(m65536).slice(0, 10)).toBe("df00010000");
  });
  it("key order is UTF-8 byte order, not JS property or UTF-16 order", () => {
    const value = { a: 1, B: 2, "10": 3, "2": 4, é: 5, "\uE000": 6, "\u{1F600}": 7 };
    // JS objects list integer-like keys first, and UTF-16 order puts U+1F600 before U+E000.
    expect(Object.keys(value)).toEqual(["2", "10", "a", "B", "é", "\uE000", "\u{1F600}"]);
    expect(["\uE000", "\u{1F600}"].sort()).toEqual(["\u{1F600}", "\uE000"]);
    expect(hex(value)).toBe(
      (
        "87" +
        "a23130 03" + // "10"
        "a132 04" + // "2"
        "a142 02" + // "B"
        "a161 01" + // "a"
        "a2c3a9 05" + // "é"
        "a3ee8080 06" + // U+E000
        "a4f09f9880 07"
      ) // U+1F600
        .replace(/ /g, ""),
    );
    expect(hex({ "": 1, " ": 2, ab: 3, a: 4 })).toBe(
      "84" + "a001" + "a12002" + "a16104" + "a2616203",
    );
  });
  it("compareUtf8 is UTF-8 byte order", () => {
    const keys = [
      "\u{1F600}",
      "\uE000",
      "\uFFFF",
      "\u{10000}",
      "z",
      "é",
      "",
      "\u{10FFFF}",
      "\uD7FF",
    ];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareUtf8)).toEqual(byBytes);
  });
  it("the minimal event, written by hand", () => {
    expect(toHex(encodeLeaf(minimal))).toBe(minimalHex.replace(/\s+/g, ""));
  });
  it("does not depend on key insertion order", () => {
    const reordered = {
      outcome: "success",
      v: 1,
      actor: { id: "a" },
      at: 1,
      action: "a.b",
      ts: 0,
    } as Event;
    expect(encodeLeaf(reordered)).toEqual(encodeLeaf(minimal));
  });
  it("returns a fresh Uint8Array each time", () => {
    const a = encodeLeaf(minimal);
    const b = encodeLeaf({ ...minimal, at: 2 });
    expect(a).not.toBe(b);
    expect(toHex(a)).toBe(minimalHex.replace(/\s+/g, ""));
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
  });
});

describe("encodeLeaf validates", () => {
  it("rejects an invalid event", () => {
    for (const bad of [
      { ...minimal, at: undefined },
      { ...minimal, details: { x: Number.NaN } },
      { ...minimal, extra: 1 },
      { ...minimal, details: { big: 2 ** 60 } },
    ]) {
      let caught: unknown;
      try {
        encodeLeaf(bad as Event);
      } catch (e) {
        caught = e;
      }
      expect((caught as LogsealError).code).toBe("E_EVENT_INVALID");
    }
  });
});

describe("size limit", () => {
  /** An event whose leaf is exactly `size` bytes (for sizes that need a str16 pad). */
  function eventOfSize(size: number): Event {
    const empty = encodeLeaf({ ...minimal, details: { pad: "" } }).length;
    // The pad grows from fixstr "" (1 byte) to str16 (3 + n bytes).
    return { ...minimal, details: { pad: "x".repeat(size - empty - 2) } };
  }
  it("accepts exactly 65535 bytes and decodes it", () => {
    const e = eventOfSize(MAX_LEAF_SIZE);
    const leaf = encodeLeaf(e);
    expect(leaf.length).toBe(65535);
    expect(decodeLeaf(leaf)).toEqual(e);
  });
  it("rejects 65536 bytes with E_EVENT_TOO_LARGE and advice", () => {
    let caught: unknown;
    try {
      encodeLeaf(eventOfSize(MAX_LEAF_SIZE + 1));
    } catch (e) {
      caught = e;
    }
    const err = caught as LogsealError;
    expect(err).toBeInstanceOf(LogsealError);
    expect(err.code).toBe("E_EVENT_TOO_LARGE");
    expect(err.details).toEqual({ size: 65536, limit: 65535 });
    expect(err.message).toContain("sha256");
  });
  it("decodeLeaf rejects more than 65535 bytes", () => {
    expect(rejects(new Uint8Array(65536)).code).toBe("E_EVENT_TOO_LARGE");
  });
});

describe("decodeLeaf", () => {
  const leaf = encodeLeaf(minimal);

  it("decodes the minimal leaf", () => {
    expect(decodeLeaf(bytes(minimalHex))).toEqual(minimal);
  });

  it("keeps __proto__ in details as an own property, without pollution", () => {
    const details = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"x": 1}}');
    const e = completeEvent(validateEvent({ ...minimal, at: undefined, details }), 5);
    const back = decodeLeaf(encodeLeaf(e));
    expect(back).toEqual(e);
    expect(Object.keys(back.details ?? {})).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(back.details)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back.details, "__proto__")?.value).toEqual({
      polluted: true,
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  // Each case is the minimal leaf with one thing written a non-canonical way.
  const variants: [string, string][] = [
    ["uint8 for a fixint", minimalHex.replace("a26174 01", "a26174 cc01")],
    ["uint64 for a fixint", minimalHex.replace("a26174 01", "a26174 cf0000000000000001")],
    ["int8 for a non-negative integer", minimalHex.replace("a26174 01", "a26174 d001")],
    ["float64 for an integer", minimalHex.replace("a26174 01", "a26174 cb3ff0000000000000")],
    ["float32 for an integer", minimalHex.replace("a26174 01", "a26174 ca3f800000")],
    ["str8 for a short string", minimalHex.replace("a3612e62", "d903612e62")],
    ["str16 for a short key", minimalHex.replace("a176 01", "da000176 01")],
    ["map16 for a small map", minimalHex.replace(/^86/, "de0006")],
    ["array-like header for the root", minimalHex.replace(/^86/, "96")],
    ["unsorted keys", `86${P.actor}${P.action}${P.at}${P.outcome}${P.ts}${P.v}`],
    [
      "keys in UTF-16 order",
      `87${P.action}${P.actor}${P.at} a764657461696c73 82 a4f09f9880 01 a3ee8080 02 ${P.outcome}${P.ts}${P.v}`,
    ],
    ["a duplicate key", `87${minimalHex.slice(2)}a176 01`],
    ["a trailing byte", `${minimalHex}00`],
    ["a second item", `${minimalHex}${minimalHex}`],
    ["bin8 for a string", minimalHex.replace("a3612e62", "c403612e62")],
    ["an ext type", minimalHex.replace("a26174 01", "a26174 d4ff01")],
    ["a timestamp extension", minimalHex.replace("a26174 01", "a26174 d6ff00000001")],
    ["the reserved byte 0xc1", minimalHex.replace("a26174 01", "a26174 c1")],
  ];
  it.each(variants)("rejects %s", (_, h) => {
    const err = rejects(bytes(h));
    expect(["E_EVENT_NOT_CANONICAL", "E_EVENT_INVALID"]).toContain(err.code);
  });
  it("accepts the same details in UTF-8 key order", () => {
    const h = `87${P.action}${P.actor}${P.at} a764657461696c73 82 a3ee8080 02 a4f09f9880 01 ${P.outcome}${P.ts}${P.v}`;
    expect(decodeLeaf(bytes(h))).toEqual({ ...minimal, details: { "\uE000": 2, "\u{1F600}": 1 } });
  });
  it("reports non-canonical bytes as E_EVENT_NOT_CANONICAL with the offset", () => {
    const err = rejects(bytes(minimalHex.replace("a26174 01", "a26174 cc01")));
    expect(err.code).toBe("E_EVENT_NOT_CANONICAL");
    expect(err.details?.offset).toBe(27);
    expect(rejects(bytes(`${minimalHex}00`)).code).toBe("E_EVENT_NOT_CANONICAL");
    expect(rejects(bytes(`87${minimalHex.slice(2)}a176 01`)).code).toBe("E_EVENT_NOT_CANONICAL");
  });
  it("reports a well-formed leaf of an invalid event as E_EVENT_INVALID with the field", () => {
    const noAt = `85${P.action}${P.actor}${P.outcome}${P.ts}${P.v}`;
    const err = rejects(bytes(noAt));
    expect(err.code).toBe("E_EVENT_INVALID");
    expect(err.location?.field).toBe("at");
    const e2 = rejects(encodeCanonical({ ...minimal, actor: { id: "" } } as unknown as JsonValue));
    expect(e2.location?.field).toBe("actor.id");
    expect(rejects(bytes("01")).code).toBe("E_EVENT_INVALID");
    // 2^53 as uint64: canonical MessagePack, but not a safe integer.
    const unsafe = minimalHex.replace("a26174 01", "a26174 cf0020000000000000");
    expect(rejects(bytes(unsafe)).location?.field).toBe("at");
  });
  it("rejects a map with a non-string key", () => {
    rejects(bytes(`81 01 01`));
    rejects(bytes(minimalHex.replace("81 a26964 a161", "82 a26964 a161 01 01")));
  });
  it("rejects invalid UTF-8", () => {
    rejects(bytes(minimalHex.replace("a3612e62", "a3612eff"))); // 0xff never appears in UTF-8
    rejects(bytes(minimalHex.replace("a161", "a3eda080"))); // UTF-8 of the surrogate U+D800
    rejects(bytes(minimalHex.replace("a161", "a2c0a1"))); // overlong "!"
  });
  it("rejects empty, truncated and absurd inputs without crashing", () => {
    expect(rejects(new Uint8Array(0)).code).toBe("E_EVENT_NOT_CANONICAL");
    for (let n = 0; n < leaf.length; n++) rejects(leaf.subarray(0, n));
    rejects(bytes("dfffffffff")); // map32 of 2^32-1 entries
    rejects(bytes("ddffffffff")); // array32 of 2^32-1 entries
    rejects(bytes("dbffffffff61")); // str32 of 2^32-1 bytes
    rejects(new Uint8Array(65535).fill(0x91)); // 65535 nested arrays
    rejects(new Uint8Array(65535).fill(0x81)); // 65535 nested maps
    rejects(new Uint8Array(65535).fill(0xc1));
  });
  it("rejects nesting beyond the details depth", () => {
    const deep = (n: number): JsonValue => (n === 0 ? 0 : [deep(n - 1)]);
    const okDetails = { a: deep(31) }; // details (1) + 31 arrays = depth 32
    const e = { ...minimal, details: okDetails } as Event;
    expect(decodeLeaf(encodeLeaf(e))).toEqual(e);
    const tooDeep = encodeCanonical({
      ...minimal,
      details: { a: deep(32) },
    } as unknown as JsonValue);
    const err = rejects(tooDeep);
    expect(err.code).toBe("E_EVENT_INVALID");
  });
  it("leaves its argument untouched", () => {
    const copy = leaf.slice();
    decodeLeaf(copy);
    expect(Object.getOwnPropertyNames(copy)).toEqual(Object.getOwnPropertyNames(leaf.slice()));
    expect(copy).toEqual(leaf);
  });
  it("decodes a view into a larger buffer", () => {
    const big = new Uint8Array(leaf.length + 10);
    big.set(leaf, 5);
    expect(decodeLeaf(big.subarray(5, 5 + leaf.length))).toEqual(minimal);
  });
  it("throws TypeError on a caller bug", () => {
    expect(() => decodeLeaf("86" as unknown as Uint8Array)).toThrow(TypeError);
  });

  it("mangling: every single-byte change is rejected or decodes to a different event", () => {
    const e: Event = {
      v: 1,
      id: "evt-1",
      ts: 1_764_000_000_000,
      at: 1_764_000_000_123,
      actor: { id: "svc-trainer", kind: "service", role: "ml" },
      action: "run.start",
      outcome: "success",
      asset: "run:42",
      inputs: ["dataset:a", "dataset:b"],
      controls: ["A.8.11"],
      details: { gpus: 8, lr: 0.5, neg: -200, tags: ["x"], ok: true, none: null },
    };
    const good = encodeLeaf(e);
    let accepted = 0;
    for (let i = 0; i < good.length; i++) {
      const old = good[i] as number;
      for (const v of [0x00, 0x01, 0x7f, 0x80, 0xa0, 0xc0, 0xc1, 0xcb, 0xd3, 0xff, old ^ 1]) {
        if (v === old) continue;
        const bad = good.slice();
        bad[i] = v;
        let back: Event | undefined;
        try {
          back = decodeLeaf(bad);
        } catch (err) {
          expect(err).toBeInstanceOf(LogsealError);
          continue;
        }
        accepted++;
        expect(back).not.toEqual(e);
        expect(encodeLeaf(back)).toEqual(bad);
      }
    }
    expect(accepted).toBeGreaterThan(0); // e.g. a changed letter in a string
  });
});

describe("scanStructure", () => {
  it("accepts one well-formed item and reports the first problem otherwise", () => {
    expect(scanStructure(bytes(minimalHex), 33)).toEqual({ ok: true });
    expect(scanStructure(bytes("9190"), 1)).toMatchObject({ ok: false, tooDeep: true });
    expect(scanStructure(bytes("9190"), 2)).toEqual({ ok: true });
    expect(scanStructure(bytes("c4"), 33)).toMatchObject({ ok: false, offset: 0 });
    expect(scanStructure(bytes("9201"), 33)).toMatchObject({ ok: false, offset: 1 });
    expect(scanStructure(bytes("929201"), 33)).toMatchObject({ ok: false, offset: 2 });
    expect(scanStructure(bytes("0101"), 33)).toMatchObject({ ok: false, offset: 1 });
    expect(scanStructure(bytes("d9"), 33)).toMatchObject({ ok: false, offset: 0 });
  });
});
