/**
 * Batch hashing: every backend (the node:crypto reference, the native addon with SHA-NI and
 * with portable C, and whichever `batch.ts` picked) gives the bytes of `leafHash` / `nodeHash`,
 * and rejects malformed entry bundles with null, never a throw or a crash.
 *
 * The native addon is tested when it is built (`node native/build.mjs`); a built addon that
 * does not load fails the run. LOGSEAL_HASH=native makes a missing addon fail it too (for CI).
 * LOGSEAL_FC_RUNS sets the number of fast-check runs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bundleLeafHashes, hashBackend, hashPairs, perfectRoot } from "../../src/merkle/batch.js";
import { bundleLeafHashesJs, hashPairsJs, perfectRootJs } from "../../src/merkle/batch-js.js";
import { loadNativeHashing, type NativeHashing } from "../../src/merkle/batch-native.js";
import { HASH_SIZE, leafHash, nodeHash } from "../../src/merkle/hash.js";

const RUNS = Number(process.env.LOGSEAL_FC_RUNS ?? 100);

interface Backend {
  name: string;
  bundleLeafHashes(bundle: Uint8Array, count: number): Uint8Array | null;
  hashPairs(hashes: Uint8Array): Uint8Array;
  perfectRoot(hashes: Uint8Array): Uint8Array;
}

const load = loadNativeHashing();
const addon = load.addon;
console.info(
  `batch hashing: batch.ts uses "${hashBackend}"; native addon ${
    load.path === null ? "not built" : `${load.path} (${addon?.implementation ?? load.error})`
  }`,
);

/** The addon with one SHA-256 implementation selected for the duration of each call. */
function nativeWith(a: NativeHashing, impl: "sha-ni" | "portable"): Backend {
  const run = <T>(f: () => T): T => {
    const before = a.implementation;
    a.setImplementation(impl);
    try {
      return f();
    } finally {
      a.setImplementation(before);
    }
  };
  return {
    name: `native ${impl}`,
    bundleLeafHashes: (b, c) => run(() => a.bundleLeafHashes(b, c)),
    hashPairs: (h) => run(() => a.hashPairs(h)),
    perfectRoot: (h) => run(() => a.perfectRoot(h)),
  };
}

const backends: Backend[] = [
  {
    name: "js",
    bundleLeafHashes: bundleLeafHashesJs,
    hashPairs: hashPairsJs,
    perfectRoot: perfectRootJs,
  },
  { name: `batch.ts (${hashBackend})`, bundleLeafHashes, hashPairs, perfectRoot },
];
if (addon !== null) {
  const hasShaNi = addon.setImplementation("sha-ni");
  if (hasShaNi) backends.push(nativeWith(addon, "sha-ni"));
  backends.push(nativeWith(addon, "portable"));
  if (!hasShaNi) addon.setImplementation("portable");
}

/** Bytes as hex (or null): vitest compares strings far faster than typed arrays. */
function hex(b: Uint8Array | null): string | null {
  return b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
}

/** Deterministic filler bytes (xorshift32): fast-check picks lengths and seeds, not bytes. */
function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function encodeBundle(entries: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(entries.reduce((n, e) => n + 2 + e.length, 0));
  let off = 0;
  for (const e of entries) {
    out[off] = e.length >> 8;
    out[off + 1] = e.length & 0xff;
    out.set(e, off + 2);
    off += 2 + e.length;
  }
  return out;
}

function concat(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  for (const [i, h] of hashes.entries()) out.set(h, i * HASH_SIZE);
  return out;
}

/** The tree of RFC 6962 over a power-of-two count of hashes, with nodeHash alone. */
function rootOf(hashes: readonly Uint8Array[]): Uint8Array {
  let level = [...hashes];
  while (level.length > 1) {
    level = Array.from({ length: level.length / 2 }, (_, i) =>
      nodeHash(level[2 * i] as Uint8Array, level[2 * i + 1] as Uint8Array),
    );
  }
  return level[0] as Uint8Array;
}

/** Entry sizes: mostly log-sized, sometimes large, often exactly at a block or the cap. */
const entrySize = fc.oneof(
  { weight: 20, arbitrary: fc.integer({ min: 0, max: 400 }) },
  { weight: 3, arbitrary: fc.integer({ min: 401, max: 4000 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 54, 55, 56, 63, 64, 118, 119, 120, 65534, 65535) },
  { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 65_535 }) },
);
const entries = fc
  .tuple(fc.array(entrySize, { maxLength: 256 }), fc.integer())
  .map(([sizes, seed]) => sizes.map((s, i) => bytes(s, seed + i * 7919)));

/** Each backend's answer must equal the reference's: same bytes, or null for both. */
function expectAllAgree(bundle: Uint8Array, count: number): void {
  const want = hex(bundleLeafHashesJs(bundle, count));
  for (const b of backends) expect(hex(b.bundleLeafHashes(bundle, count)), b.name).toBe(want);
}

describe("which backend ran", () => {
  it("uses a built native addon, which must load", () => {
    if (load.path !== null) expect(load.error, `native addon at ${load.path}`).toBeNull();
    if (process.env.LOGSEAL_HASH === "native") expect(addon, "LOGSEAL_HASH=native").not.toBeNull();
    const forcedJs = process.env.LOGSEAL_HASH === "js";
    expect(hashBackend).toBe(addon !== null && !forcedJs ? "native" : "js");
  });
});

describe.each(backends)("$name", (backend) => {
  it("hashes the leaves of random bundles like leafHash (0..256 entries of 0..65535 bytes)", () => {
    fc.assert(
      fc.property(entries, (es) => {
        const got = backend.bundleLeafHashes(encodeBundle(es), es.length);
        expect(hex(got)).toBe(hex(concat(es.map(leafHash))));
      }),
      { numRuns: RUNS },
    );
  });

  it("hashes entries of 0 and 65535 bytes, alone and together", () => {
    const max = bytes(65_535, 1);
    const cases = [[], [new Uint8Array(0)], [max], [max, new Uint8Array(0), max]];
    for (const es of cases) {
      expect(hex(backend.bundleLeafHashes(encodeBundle(es), es.length))).toBe(
        hex(concat(es.map(leafHash))),
      );
    }
  });

  it("reads a bundle in place from a view with an offset, and returns fresh bytes", () => {
    const es = [bytes(300, 2), bytes(0, 3), bytes(77, 4)];
    const bundle = encodeBundle(es);
    const big = bytes(bundle.length + 100, 5);
    big.set(bundle, 37);
    const view = big.subarray(37, 37 + bundle.length);
    const got = backend.bundleLeafHashes(view, es.length) as Uint8Array;
    expect(hex(got)).toBe(hex(concat(es.map(leafHash))));
    expect(Object.getPrototypeOf(got)).toBe(Uint8Array.prototype);
    expect(got.byteOffset).toBe(0);
    expect(got.buffer.byteLength).toBe(got.length);
    expect(hex(backend.bundleLeafHashes(Buffer.from(bundle), es.length))).toBe(hex(got));
  });

  it("returns null for malformed bundles and wrong counts", () => {
    const ok = encodeBundle([bytes(10, 6), bytes(0, 7), bytes(300, 8)]);
    const cases: [Uint8Array, number][] = [
      [new Uint8Array(0), 1], // empty with count > 0
      [new Uint8Array([0]), 0], // dangling byte
      [new Uint8Array([0]), 1], // half a length
      [new Uint8Array([0, 0]), 0], // too many entries
      [new Uint8Array([0, 0]), 2], // too few entries
      [new Uint8Array([0, 1]), 1], // truncated entry
      [new Uint8Array([0xff, 0xff, ...bytes(65_534, 9)]), 1], // 65535 claimed, 65534 there
      [new Uint8Array([0xff, 0xff]), 1],
      [new Uint8Array([...ok, 0]), 3], // trailing byte
      [new Uint8Array([...ok, 0, 0]), 3], // trailing empty entry not counted
      [ok, 2],
      [ok, 4],
      [ok.subarray(0, ok.length - 1), 3],
    ];
    for (const [bundle, count] of cases) expect(backend.bundleLeafHashes(bundle, count)).toBeNull();
  });

  it("returns null for counts that are not small non-negative integers", () => {
    const ok = encodeBundle([bytes(10, 6), bytes(0, 7)]);
    for (const count of [-1, 0.5, 1.5, Number.NaN, Infinity, -Infinity, 2 ** 32 + 2, 2 ** 53]) {
      expect(backend.bundleLeafHashes(ok, count), String(count)).toBeNull();
    }
    expect(backend.bundleLeafHashes(new Uint8Array(0), 2 ** 52)).toBeNull();
    expect(backend.bundleLeafHashes(new Uint8Array(0), -0)).toEqual(new Uint8Array(0));
  });

  it("hashes pairs like nodeHash (0..300 random pairs)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer(), (n, seed) => {
        const hashes = bytes(n * 2 * HASH_SIZE, seed);
        const want = Array.from({ length: n }, (_, i) =>
          nodeHash(hashes.subarray(64 * i, 64 * i + 32), hashes.subarray(64 * i + 32, 64 * i + 64)),
        );
        expect(hex(backend.hashPairs(hashes))).toBe(hex(concat(want)));
        const offset = bytes(hashes.length + 3, seed + 1);
        offset.set(hashes, 3);
        expect(hex(backend.hashPairs(offset.subarray(3)))).toBe(hex(concat(want)));
      }),
      { numRuns: RUNS },
    );
  });

  it("computes perfect roots like nodeHash, 1 to 1024 leaves", () => {
    for (let n = 1; n <= 1024; n *= 2) {
      const hashes = Array.from({ length: n }, (_, i) => bytes(HASH_SIZE, n * 1000 + i));
      const input = concat(hashes);
      const got = backend.perfectRoot(input);
      expect(hex(got)).toBe(hex(rootOf(hashes)));
      expect(hex(input)).toBe(hex(concat(hashes))); // the input is not touched
      if (n === 1) expect(got.buffer).not.toBe(input.buffer);
    }
  });
});

describe("malformed bundles, every backend against the reference", () => {
  it("agrees on bundles cut at every position, for every count", () => {
    const bundle = encodeBundle([bytes(3, 1), bytes(0, 2), bytes(130, 3), bytes(1, 4)]);
    for (let cut = 0; cut <= bundle.length; cut++) {
      for (let count = 0; count <= 5; count++) expectAllAgree(bundle.subarray(0, cut), count);
    }
  });

  it("agrees on bundles with any byte changed, and on random bytes", () => {
    fc.assert(
      fc.property(
        entries.filter((es) => es.length > 0 && es.length < 32),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: -2, max: 2 }),
        (es, at, value, delta) => {
          const bundle = encodeBundle(es);
          bundle[at % bundle.length] = value;
          expectAllAgree(bundle, es.length + delta);
        },
      ),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 300 }), (b, c) => {
        expectAllAgree(b, c);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it("throws RangeError on hash lists of the wrong length", () => {
    for (const n of [1, 31, 32, 63, 65, 96]) {
      expect(() => hashPairs(new Uint8Array(n))).toThrow(RangeError);
      if (addon !== null) expect(() => addon.hashPairs(new Uint8Array(n))).toThrow(RangeError);
    }
    for (const n of [0, 31, 3 * 32, 6 * 32]) {
      expect(() => perfectRoot(new Uint8Array(n))).toThrow(RangeError);
      if (addon !== null) expect(() => addon.perfectRoot(new Uint8Array(n))).toThrow(RangeError);
    }
  });
});
