/**
 * The append path's leaf writers (src/event/write.ts) against the reference path
 * `encodeLeaf(completeEvent(validateEvent(x), at))`: the same bytes for every valid event, and
 * `encodeInput` says "invalid" (null, nothing written) exactly when `validateEvent` throws.
 * Also the character classes that replaced the validator's regular expressions, checked
 * against those expressions for every UTF-16 code unit.
 *
 * Runs: 300 per property by default; LOGSEAL_PROPERTY_RUNS for a longer run.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CanonicalWriter, decodeCanonical, encodeCanonical } from "../../src/event/canonical.js";
import {
  completeEvent,
  encodeInput,
  encodeLeaf,
  encodeValidated,
  MAX_TIMESTAMP,
  validateEvent,
} from "../../src/event/index.js";
import { isSpace, isUnprintable, isWellFormed, type JsonValue } from "../../src/event/schema.js";

const numRuns = Number(process.env.LOGSEAL_PROPERTY_RUNS ?? 300);
const AT = 1_764_000_000_123;

/** The reference: the leaf of the validated, completed event, or the error. */
function reference(x: unknown, at = AT): Uint8Array | Error {
  try {
    return encodeLeaf(completeEvent(validateEvent(x), at));
  } catch (e) {
    return e as Error;
  }
}

/** encodeInput into a writer that already holds a few bytes, as in a batch. */
function fast(x: unknown, at = AT): { id: string | undefined | null; bytes: Uint8Array } {
  const w = new CanonicalWriter(8); // small: growing is part of the test
  w.raw(Uint8Array.of(1, 2, 3));
  const id = encodeInput(x, at, w);
  expect(w.bytes.subarray(0, 3)).toEqual(Uint8Array.of(1, 2, 3));
  return { id, bytes: w.bytes.slice(3, w.pos) };
}

function agrees(x: unknown, at = AT): void {
  const want = reference(x, at);
  const got = fast(x, at);
  if (want instanceof Error) {
    expect(got.id).toBeNull();
    expect(got.bytes.length).toBe(0);
    return;
  }
  expect(got.id).not.toBeNull();
  expect(got.id).toBe((x as { id?: string }).id);
  expect(got.bytes).toEqual(want);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: valid events with text near every length and header boundary, then mutations.

const unit = fc.constantFrom(..."abcXYZ019-_.@:/ é€日😀", "\u00a0", "\u061c", "\u0085", "\t");
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: fc.constantFrom(..."ab-_.@/ é"), minLength: 1, maxLength: 20 }),
    fc.string({ unit, minLength: 0, maxLength }),
    fc.constantFrom("é".repeat(16), "é".repeat(128), "é".repeat(129), "€".repeat(43)),
    fc.integer({ min: 1, max: 300 }).map((n) => "a".repeat(n)),
    fc.constantFrom("a\ud800", "\udc00b", "😀".repeat(64), "a\u202eb", "a\u2028b", " a", "a "),
  );
const assetRef = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("dataset", "model", "k_9", "Kind", "a".repeat(32), "a".repeat(33)),
      text(40),
    )
    .map(([k, n]) => `${k}:${n}`),
  fc.constantFrom(
    "dataset:",
    ":x",
    "nocolon",
    "dataset: x",
    `k:${"n".repeat(1022)}`,
    `k:${"n".repeat(1023)}`,
  ),
  fc.integer({ min: 200, max: 400 }).map((n) => `dataset:${"é".repeat(n)}`),
);
const control = fc.oneof(
  fc
    .tuple(fc.integer({ min: 4, max: 9 }), fc.integer({ min: 0, max: 120 }))
    .map(([a, b]) => `A.${a}.${b}`),
  fc.constantFrom("A.8.011", "a.8.1", "A.8.1 "),
);
const list = <T>(item: fc.Arbitrary<T>, max: number) =>
  fc.oneof(
    fc.array(item, { maxLength: 5 }),
    fc.uniqueArray(item, { maxLength: 40 }),
    fc.constant(Array.from({ length: max + 1 }, (_, i) => `dataset:d${i}`)),
  );
const json: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, false, 0, -0, 1, -1, 2 ** 32, -(2 ** 40), 0.5, 2 ** 53, Number.NaN),
    fc.double(),
    fc.integer(),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom("\ud800", "a\udfff", undefined, 10n),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 4 }),
        fc.constantFrom("10", "2", "__proto__", "\uE000", "\u{1F600}", "\ud800"),
      ),
      tie("v"),
      { maxKeys: 5, noNullPrototype: true },
    ),
  ),
})).v;
const timestamp = fc.oneof(
  fc.constantFrom(0, -0, 2 ** 32 - 1, 2 ** 32, MAX_TIMESTAMP, MAX_TIMESTAMP + 1, -1, 1.5),
  fc.integer({ min: 0, max: MAX_TIMESTAMP }),
);
const input = fc.record(
  {
    v: fc.constantFrom(1, 1, 2, undefined),
    id: text(300),
    ts: timestamp,
    actor: fc.record(
      {
        id: text(300),
        role: text(140),
        kind: fc.constantFrom("user", "service", "agent", "robot", undefined),
      },
      { requiredKeys: ["id"] },
    ),
    action: fc.constantFrom("dataset.read", "a.b", "run.start.v2", "Dataset.read", "x", "a..b"),
    outcome: fc.constantFrom("success", "failure", "denied", "ok"),
    asset: assetRef,
    inputs: list(assetRef, 1024),
    outputs: list(assetRef, 1024),
    controls: list(control, 128),
    details: fc.dictionary(fc.string({ maxLength: 6 }), json, {
      maxKeys: 6,
      noNullPrototype: true,
    }),
  },
  { requiredKeys: ["actor", "action", "outcome"] },
);

/** JSON the schema accepts in details: integers within ±(2^53-1), well-formed strings. */
function safe(v: unknown): unknown {
  if (typeof v === "number") return Number.isInteger(v) && !Number.isSafeInteger(v) ? 0 : v;
  if (typeof v === "string") return isWellFormed(v) ? v : "x";
  if (Array.isArray(v)) return v.map(safe);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [isWellFormed(k) ? k : "k", safe(x)]),
    );
  }
  return v;
}

describe("encodeInput agrees with validateEvent + encodeLeaf", () => {
  it("on random events, valid and invalid", () => {
    fc.assert(
      fc.property(input, (x) => agrees(x)),
      { numRuns: numRuns * 5 },
    );
  });

  it("on valid events, taking the fast path every time", () => {
    const name = fc.string({
      unit: fc.constantFrom(..."ab-_.@/ é€日😀"),
      minLength: 1,
      maxLength: 40,
    });
    const valid = fc.record(
      {
        id: name.map((s) => `i${s}x`),
        ts: fc.integer({ min: 0, max: MAX_TIMESTAMP }),
        actor: fc.record(
          {
            id: name.map((s) => `a${s}a`),
            role: name.map((s) => `r${s.slice(0, 30)}r`),
            kind: fc.constantFrom("user", "service", "agent"),
          },
          { requiredKeys: ["id"] },
        ),
        action: fc.constantFrom("dataset.read", "a.b", "run.start.v2"),
        outcome: fc.constantFrom("success", "failure", "denied"),
        asset: name.map((s) => `dataset:x${s}x`),
        inputs: fc.uniqueArray(
          name.map((s) => `model:m${s}m`),
          { maxLength: 40 },
        ),
        outputs: fc.uniqueArray(
          name.map((s) => `k_9:o${s}.`),
          { maxLength: 5 },
        ),
        controls: fc.uniqueArray(
          fc
            .tuple(fc.integer({ min: 5, max: 8 }), fc.integer({ min: 1, max: 99 }))
            .map(([a, b]) => `A.${a}.${b}`),
          { maxLength: 40 },
        ),
        details: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue().map(safe), {
          maxKeys: 6,
        }),
      },
      { requiredKeys: ["actor", "action", "outcome"] },
    );
    fc.assert(
      fc.property(valid, (x) => {
        const want = reference(x);
        expect(want).toBeInstanceOf(Uint8Array);
        const got = fast(x);
        expect(got.id).toBe(x.id);
        expect(got.bytes).toEqual(want);
      }),
      { numRuns },
    );
  });

  it("on events with one member replaced by anything", () => {
    const members = ["v", "id", "ts", "at", "actor", "action", "outcome", "asset", "inputs"];
    const base = {
      id: "e-1",
      ts: 5,
      actor: { id: "a", role: "r", kind: "user" },
      action: "a.b",
      outcome: "success",
      asset: "k:n",
      inputs: ["k:a"],
      outputs: ["k:b"],
      controls: ["A.5.1"],
      details: { x: 1 },
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...members, "outputs", "controls", "details", "extra", "actor.id"),
        json,
        (member, value) => {
          const x: Record<string, unknown> = { ...base, actor: { ...base.actor } };
          if (member === "actor.id") (x.actor as Record<string, unknown>).id = value;
          else x[member] = value;
          agrees(x);
        },
      ),
      { numRuns: numRuns * 3 },
    );
  });

  it("at every string header boundary, in every text field", () => {
    for (const u of ["a", "é", "€", "😀"]) {
      for (const n of [1, 15, 16, 31, 32, 33, 63, 64, 65, 85, 86, 127, 128, 129, 255, 256, 257]) {
        const s = u.repeat(n);
        agrees({ actor: { id: s, role: s }, action: "a.b", outcome: "success", id: s });
        agrees({ actor: { id: "a" }, action: "a.b", outcome: "success", asset: `k:${s}` });
        agrees({ actor: { id: "a" }, action: "a.b", outcome: "success", inputs: [`k:${s}`] });
        agrees({ actor: { id: "a" }, action: "a.b", outcome: "success", details: { [s]: s } });
      }
    }
  });

  it("on lists around the linear-scan and Set paths for repeats", () => {
    for (const n of [23, 24, 25, 26, 31, 32, 128, 129, 1024, 1025]) {
      const items = Array.from({ length: n }, (_, i) => `k:i${i}`);
      const e = { actor: { id: "a" }, action: "a.b", outcome: "success" };
      agrees({ ...e, inputs: items });
      agrees({ ...e, outputs: [...items, items[0]] });
      agrees({ ...e, inputs: [...items.slice(0, -1), items[n - 2]] });
      const controls = Array.from(
        { length: Math.min(n, 200) },
        (_, i) => `A.${5 + (i % 4)}.${1 + Math.floor(i / 4)}`,
      );
      agrees({ ...e, controls });
      agrees({ ...e, controls: [...controls, controls[controls.length - 1]] });
    }
  });

  it("on nesting at and beyond the details depth, and on cycles", () => {
    const nest = (d: number): Record<string, unknown> => (d <= 1 ? {} : { a: nest(d - 1) });
    const e = { actor: { id: "a" }, action: "a.b", outcome: "success" };
    agrees({ ...e, details: nest(32) });
    agrees({ ...e, details: nest(33) });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    agrees({ ...e, details: cyclic });
  });

  it("on values that are not plain JSON", () => {
    const e = { actor: { id: "a" }, action: "a.b", outcome: "success" };
    class Thing {
      id = "x";
    }
    const sparse = ["k:a", "k:c", "k:b"];
    delete sparse[1];
    for (const x of [
      null,
      [],
      "{}",
      new Date(0),
      Object.assign(Object.create(null), e),
      { ...e, actor: new Thing() },
      { ...e, details: new Map() },
      { ...e, details: { d: new Date(0) } },
      { ...e, details: { f: () => 1 } },
      { ...e, details: { s: Symbol("s") } },
      { ...e, details: { u: new Uint8Array(2) } },
      { ...e, inputs: sparse },
      { ...e, at: 5 },
      { ...e, at: undefined, asset: undefined, id: undefined },
      { ...e, actor: { id: "a", role: undefined, kind: undefined } },
      { ...e, details: JSON.parse('{"__proto__": {"x": 1}, "10": 2, "2": 3}') },
    ]) {
      agrees(x);
    }
  });

  it("reads each member once: a getter cannot change a value between check and write", () => {
    let reads = 0;
    const x = {
      actor: { id: "a" },
      outcome: "success",
      get action() {
        reads++;
        return reads === 1 ? "a.b" : "Not An Action";
      },
    };
    const got = fast(x);
    expect(reads).toBe(1);
    expect(got.bytes).toEqual(
      encodeLeaf(
        completeEvent(validateEvent({ actor: { id: "a" }, outcome: "success", action: "a.b" }), AT),
      ),
    );
  });

  it("declines (null) what it cannot decide alone: inherited enumerable names", () => {
    const e = { actor: { id: "a" }, action: "a.b", outcome: "success" };
    const proto = Object.prototype as Record<string, unknown>;
    let got: ReturnType<typeof fast>;
    try {
      proto.polluted = 1; // enumerable, inherited by every object
      got = fast(e);
    } finally {
      delete proto.polluted;
    }
    expect(got.id).toBeNull(); // validateEvent (Object.keys) accepts it; the caller falls back
    expect(reference(e)).toBeInstanceOf(Uint8Array);
  });
});

describe("encodeValidated", () => {
  it("writes what encodeLeaf writes, ts defaulting to at", () => {
    fc.assert(
      fc.property(input, fc.integer({ min: 0, max: MAX_TIMESTAMP }), (x, at) => {
        let e: ReturnType<typeof validateEvent>;
        try {
          e = validateEvent(x);
        } catch {
          return;
        }
        const want = reference(x, at);
        if (want instanceof Error) return; // too large
        const w = new CanonicalWriter(4);
        const n = encodeValidated(e, e.ts ?? at, at, w);
        expect(n).toBe(w.pos);
        expect(w.bytes.slice(0, n)).toEqual(want);
      }),
      { numRuns },
    );
  });
});

describe("CanonicalWriter", () => {
  it("msgpackr (decodeCanonical) decodes what it writes back to the value", () => {
    const value = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);
    fc.assert(
      fc.property(value, (v) => {
        expect(decodeCanonical(encodeCanonical(v))).toEqual(v);
      }),
      { numRuns: numRuns * 3 },
    );
  });
  it("writes a lone surrogate as U+FFFD, as Buffer and TextEncoder do", () => {
    for (const s of ["\ud800", "a\udc00b", `${"x".repeat(70)}\ud83d`, "\ud83d\ud83d\ude00"]) {
      const bytes = encodeCanonical(s);
      expect(Buffer.from(bytes.subarray(bytes.length - Buffer.byteLength(s)))).toEqual(
        Buffer.from(s, "utf8"),
      );
    }
  });
  it("rejects what is not JSON with TypeError", () => {
    for (const x of [
      undefined,
      1n,
      () => 1,
      Symbol("s"),
      new Date(0),
      Number.NaN,
      Infinity,
      [undefined],
    ]) {
      expect(() => encodeCanonical(x as JsonValue)).toThrow(TypeError);
    }
  });
});

describe("the validator's character classes", () => {
  const SPACE_RE = /^\s$/u;
  const UNPRINTABLE_RE = /^[\p{Cc}\p{Bidi_Control}\u2028\u2029]$/u;
  const differ = (f: (c: number) => boolean, re: RegExp): string[] => {
    const out: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      if (f(c) !== re.test(String.fromCharCode(c))) out.push(c.toString(16));
    }
    return out;
  };
  it("isSpace is \\s, for every UTF-16 code unit outside the surrogates", () => {
    expect(differ(isSpace, SPACE_RE)).toEqual([]);
  });
  it("isUnprintable is Cc, Bidi_Control, U+2028 and U+2029, and no astral code point is", () => {
    expect(differ(isUnprintable, UNPRINTABLE_RE)).toEqual([]);
    for (let c = 0x10000; c <= 0x10ffff; c += 97) {
      const s = String.fromCodePoint(c);
      expect(UNPRINTABLE_RE.test(s) || SPACE_RE.test(s)).toBe(false);
    }
  });
});
