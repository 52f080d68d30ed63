/**
 * Laws of the leaf encoding, checked with fast-check, and a cross-check against a small
 * reference encoder written here from the MessagePack spec, independently of msgpackr.
 *
 * Runs: 200 per property by default; set LOGSEAL_PROPERTY_RUNS for a longer run
 * (LOGSEAL_PROPERTY_RUNS=20000 npx vitest run test/event).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogsealError } from "../../src/errors.js";
import { compareUtf8, encodeCanonical } from "../../src/event/canonical.js";
import { decodeLeaf, type Event, encodeLeaf } from "../../src/event/index.js";
import type { JsonValue } from "../../src/event/schema.js";
import { anyString, event, json } from "./arbitraries.js";

const numRuns = Number(process.env.LOGSEAL_PROPERTY_RUNS ?? 200);

// ---------------------------------------------------------------------------------------------
// Reference encoder: the spec in formats/event-v1.md, written out directly.

function refEncode(v: JsonValue): Uint8Array {
  const out: number[] = [];
  const be = (n: number | bigint, bytes: number) => {
    let x = BigInt.asUintN(bytes * 8, BigInt(n));
    const tmp: number[] = [];
    for (let i = 0; i < bytes; i++) {
      tmp.unshift(Number(x & 0xffn));
      x >>= 8n;
    }
    out.push(...tmp);
  };
  const header = (
    len: number,
    fix: number,
    fixMax: number,
    t8: number | null,
    t16: number,
    t32: number,
  ) => {
    if (len <= fixMax) out.push(fix | len);
    else if (t8 !== null && len <= 0xff) out.push(t8, len);
    else if (len <= 0xffff) {
      out.push(t16);
      be(len, 2);
    } else {
      out.push(t32);
      be(len, 4);
    }
  };
  const enc = (x: JsonValue): void => {
    if (x === null) out.push(0xc0);
    else if (x === false) out.push(0xc2);
    else if (x === true) out.push(0xc3);
    else if (typeof x === "number") {
      if (Number.isSafeInteger(x)) {
        if (x >= 0) {
          if (x <= 0x7f) out.push(x);
          else if (x <= 0xff) out.push(0xcc, x);
          else if (x <= 0xffff) {
            out.push(0xcd);
            be(x, 2);
          } else if (x <= 0xffffffff) {
            out.push(0xce);
            be(x, 4);
          } else {
            out.push(0xcf);
            be(x, 8);
          }
        } else if (x >= -32) out.push(0x100 + x);
        else if (x >= -128) out.push(0xd0, 0x100 + x);
        else if (x >= -32768) {
          out.push(0xd1);
          be(x, 2);
        } else if (x >= -2147483648) {
          out.push(0xd2);
          be(x, 4);
        } else {
          out.push(0xd3);
          be(x, 8);
        }
      } else {
        const dv = new DataView(new ArrayBuffer(8));
        dv.setFloat64(0, x);
        out.push(0xcb, ...new Uint8Array(dv.buffer));
      }
    } else if (typeof x === "string") {
      const b = Buffer.from(x, "utf8");
      header(b.length, 0xa0, 31, 0xd9, 0xda, 0xdb);
      out.push(...b);
    } else if (Array.isArray(x)) {
      header(x.length, 0x90, 15, null, 0xdc, 0xdd);
      for (const item of x) enc(item);
    } else {
      const keys = Object.keys(x).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      header(keys.length, 0x80, 15, null, 0xde, 0xdf);
      for (const k of keys) {
        enc(k);
        enc(x[k] as JsonValue);
      }
    }
  };
  enc(v);
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: arbitraries.ts

/** A deep copy of a JSON value with every object's keys inserted in a shuffled order. */
function shuffleKeys(v: unknown, rnd: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, rnd));
  if (v === null || typeof v !== "object") return v;
  const keys = Object.keys(v);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    Object.defineProperty(out, k, {
      value: shuffleKeys((v as Record<string, unknown>)[k], rnd),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// ---------------------------------------------------------------------------------------------

describe("reference encoder cross-check", () => {
  it("encodeCanonical equals the reference encoder on random JSON values", () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(encodeCanonical(v)).toEqual(refEncode(v));
      }),
      { numRuns: numRuns * 5 },
    );
  });
  it("encodeLeaf equals the reference encoder on random events", () => {
    fc.assert(
      fc.property(event, (e) => {
        expect(encodeLeaf(e)).toEqual(refEncode(e as unknown as JsonValue));
      }),
      { numRuns },
    );
  });
  it("compareUtf8 agrees with comparing UTF-8 bytes", () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        const want = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(Math.sign(compareUtf8(a, b))).toBe(want);
      }),
      { numRuns: numRuns * 5 },
    );
  });
  it("every string length around the header boundaries", () => {
    for (const unit of ["a", "é", "€", "😀"]) {
      for (let n = 0; n < 300; n++) {
        const s = unit.repeat(n);
        expect(encodeCanonical(s)).toEqual(refEncode(s));
      }
    }
  });
});

describe("leaf laws", () => {
  it("the leaf does not depend on key insertion order", () => {
    fc.assert(
      fc.property(event, fc.integer(), (e, seed) => {
        const shuffled = shuffleKeys(e, lcg(seed)) as Event;
        expect(encodeLeaf(shuffled)).toEqual(encodeLeaf(e));
      }),
      { numRuns },
    );
  });
  it("decodeLeaf(encodeLeaf(e)) equals e, and re-encoding gives the same bytes", () => {
    fc.assert(
      fc.property(event, (e) => {
        const leaf = encodeLeaf(e);
        const back = decodeLeaf(leaf);
        expect(back).toEqual(e);
        expect(encodeLeaf(back)).toEqual(leaf);
      }),
      { numRuns },
    );
  });
  it("a changed byte is rejected with a LogsealError or decodes to an event that re-encodes to it", () => {
    fc.assert(
      fc.property(event, fc.nat(), fc.integer({ min: 1, max: 255 }), (e, at, x) => {
        const leaf = encodeLeaf(e);
        const bad = leaf.slice();
        const i = at % bad.length;
        bad[i] = (bad[i] as number) ^ x;
        let back: Event;
        try {
          back = decodeLeaf(bad);
        } catch (err) {
          expect(err).toBeInstanceOf(LogsealError);
          return;
        }
        expect(back).not.toEqual(e);
        expect(encodeLeaf(back)).toEqual(bad);
      }),
      { numRuns: numRuns * 5 },
    );
  });
  it("random bytes never crash decodeLeaf", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          const e = decodeLeaf(b);
          expect(encodeLeaf(e)).toEqual(b);
        } catch (err) {
          expect(err).toBeInstanceOf(LogsealError);
        }
      }),
      { numRuns: numRuns * 5 },
    );
  });
});
