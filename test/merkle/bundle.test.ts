/** Entry bundles: encoding, strict parsing, appending, and mangling. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/bytes.js";
import { isLogsealError } from "../../src/errors.js";
import {
  appendToEntryBundle,
  encodeEntryBundle,
  MAX_ENTRY_SIZE,
  parseEntryBundle,
  TILE_WIDTH,
} from "../../src/merkle/index.js";

const entries = [
  utf8("entry-0"),
  new Uint8Array(0),
  utf8("a longer entry, 31 bytes long.."),
  Uint8Array.of(0, 1),
];

describe("encodeEntryBundle / parseEntryBundle", () => {
  it("encodes uint16_be(len) || entry for each entry", () => {
    expect(toHex(encodeEntryBundle([utf8("entry-0"), Uint8Array.of(0xab)]))).toBe(
      "0007656e7472792d30" + "0001ab",
    );
    expect(encodeEntryBundle([])).toEqual(new Uint8Array(0));
    const big = new Uint8Array(MAX_ENTRY_SIZE).fill(7);
    const b = encodeEntryBundle([big]);
    expect([b[0], b[1]]).toEqual([0xff, 0xff]);
    expect(parseEntryBundle(b, 1)?.[0]).toEqual(big);
  });

  it("round-trips, returning subarrays of the input (no copy)", () => {
    const b = encodeEntryBundle(entries);
    const parsed = parseEntryBundle(b, entries.length) as Uint8Array[];
    expect(parsed).toEqual(entries);
    for (const e of parsed) expect(e.buffer).toBe(b.buffer);
    expect(parseEntryBundle(b)).toEqual(entries);
  });

  it("throws RangeError on an entry over 65535 bytes or more than 256 entries", () => {
    expect(() => encodeEntryBundle([new Uint8Array(MAX_ENTRY_SIZE + 1)])).toThrow(RangeError);
    expect(() => encodeEntryBundle(Array(TILE_WIDTH + 1).fill(new Uint8Array(0)))).toThrow(
      RangeError,
    );
    expect(encodeEntryBundle(Array(TILE_WIDTH).fill(new Uint8Array(0)))).toHaveLength(512);
  });

  it("rejects a dangling byte, a truncated entry, a wrong count, no entries, over 256", () => {
    const b = encodeEntryBundle(entries);
    expect(parseEntryBundle(Uint8Array.of(...b, 0))).toBeNull();
    expect(parseEntryBundle(Uint8Array.of(...b, 0, 1))).toBeNull();
    expect(parseEntryBundle(b.subarray(0, b.length - 1))).toBeNull();
    expect(parseEntryBundle(b, entries.length - 1)).toBeNull();
    expect(parseEntryBundle(b, entries.length + 1)).toBeNull();
    expect(parseEntryBundle(new Uint8Array(0))).toBeNull();
    expect(parseEntryBundle(new Uint8Array(0), 1)).toBeNull();
    const full = encodeEntryBundle(Array(TILE_WIDTH).fill(Uint8Array.of(1)));
    expect(parseEntryBundle(full, TILE_WIDTH)).toHaveLength(TILE_WIDTH);
    expect(parseEntryBundle(Uint8Array.of(...full, 0, 0))).toBeNull();
  });

  it("never throws on garbage arguments", () => {
    const anyParse = parseEntryBundle as (...a: unknown[]) => unknown;
    const b = encodeEntryBundle(entries);
    for (const x of [null, undefined, "0001ab", [0, 1, 0xab], {}]) expect(anyParse(x)).toBeNull();
    for (const n of [0, -1, 1.5, 257, Number.NaN, "4", null]) expect(anyParse(b, n)).toBeNull();
  });
});

describe("appendToEntryBundle", () => {
  it("equals encoding all entries at once", () => {
    let b: Uint8Array = new Uint8Array(0);
    b = appendToEntryBundle(b, entries.slice(0, 1));
    b = appendToEntryBundle(b, []);
    b = appendToEntryBundle(b, entries.slice(1));
    expect(b).toEqual(encodeEntryBundle(entries));
  });

  it("throws RangeError past 256 entries and E_STORE_CORRUPT on a damaged bundle", () => {
    const full = encodeEntryBundle(Array(TILE_WIDTH).fill(Uint8Array.of(1)));
    expect(() => appendToEntryBundle(full, [Uint8Array.of(2)])).toThrow(RangeError);
    expect(appendToEntryBundle(full, [])).toEqual(full);
    try {
      appendToEntryBundle(Uint8Array.of(0, 5, 1), [Uint8Array.of(2)]);
      expect.unreachable();
    } catch (e) {
      expect(isLogsealError(e) && e.code).toBe("E_STORE_CORRUPT");
    }
  });
});

describe("mangling", () => {
  const b = encodeEntryBundle(entries);
  // Offsets of the 2-byte length prefixes.
  const prefixes = new Set<number>();
  for (let off = 0, i = 0; i < entries.length; i++) {
    prefixes.add(off);
    prefixes.add(off + 1);
    off += 2 + (entries[i] as Uint8Array).length;
  }

  it("every cut is rejected when the count is known", () => {
    for (let i = 0; i < b.length; i++) {
      expect(parseEntryBundle(b.subarray(0, i), entries.length), `cut at ${i}`).toBeNull();
    }
  });

  it("without a count, a cut parses only at an entry boundary, to the entries before it", () => {
    const boundaries = new Map<number, number>();
    for (let off = 0, i = 0; i < entries.length; i++) {
      off += 2 + (entries[i] as Uint8Array).length;
      boundaries.set(off, i + 1);
    }
    for (let i = 0; i < b.length; i++) {
      const got = parseEntryBundle(b.subarray(0, i));
      const n = boundaries.get(i);
      if (n === undefined) expect(got, `cut at ${i}`).toBeNull();
      else expect(got).toEqual(entries.slice(0, n));
    }
  });

  it("changing a length byte is rejected; changing a content byte changes only that entry", () => {
    for (let i = 0; i < b.length; i++) {
      for (const delta of [1, 0x80, 0xff]) {
        const m = b.slice();
        m[i] = ((m[i] as number) + delta) % 256;
        const got = parseEntryBundle(m, entries.length);
        if (prefixes.has(i)) {
          expect(got, `length byte ${i} + ${delta}`).toBeNull();
        } else {
          expect(got).not.toBeNull();
          expect(encodeEntryBundle(got as Uint8Array[])).toEqual(m);
          expect(got).not.toEqual(entries);
        }
      }
    }
  });

  it("whatever parses re-encodes to the same bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const got = parseEntryBundle(bytes);
        if (got !== null) expect(encodeEntryBundle(got)).toEqual(bytes);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 40 }),
        (es) => {
          expect(parseEntryBundle(encodeEntryBundle(es), es.length)).toEqual(es);
        },
      ),
      { numRuns: 300 },
    );
  });
});
