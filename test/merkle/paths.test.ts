/** tlog-tiles paths: tessera's path vectors, strict parsing, and mangling. */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  entriesPath,
  formatTileIndex,
  parseTilePath,
  TILE_WIDTH,
  type TilePathInfo,
  tilePath,
} from "../../src/merkle/index.js";

interface PathVectors {
  entries_path_for_log_index: { entry_index: number; tree_size: number; path: string }[];
  entries_path: { bundle_index: number; width: number; path: string }[];
  tile_path: { level: number; index: number; width: number; path: string }[];
  parse_level_and_index: {
    level_str: string;
    index_str: string;
    valid: boolean;
    level?: number;
    index?: number;
    width?: number;
  }[];
  c2sp_spec_examples: { index_1234067: string };
}

const vectors = JSON.parse(
  readFileSync(new URL("../../formats/vectors/tile-paths.json", import.meta.url), "utf8"),
) as PathVectors;

/** The vectors write a full tile as width 0 (tessera's convention); logseal uses undefined/256. */
const w = (width: number) => (width === 0 ? undefined : width);

/** Formats a parsed path back; a strict parser only accepts what this reproduces. */
const format = (p: TilePathInfo) =>
  p.kind === "hash" ? tilePath(p.level, p.index, p.width) : entriesPath(p.index, p.width);

describe("tile-paths.json", () => {
  it("entries_path_for_log_index", () => {
    for (const c of vectors.entries_path_for_log_index) {
      const index = Math.floor(c.entry_index / TILE_WIDTH);
      const last = Math.floor(c.tree_size / TILE_WIDTH);
      const width = index === last ? c.tree_size % TILE_WIDTH : TILE_WIDTH;
      expect(entriesPath(index, width)).toBe(c.path);
      expect(parseTilePath(c.path)).toEqual({ kind: "entries", index, width });
    }
  });

  it("entries_path", () => {
    for (const c of vectors.entries_path) {
      expect(entriesPath(c.bundle_index, w(c.width))).toBe(c.path);
      expect(parseTilePath(c.path)).toEqual({
        kind: "entries",
        index: c.bundle_index,
        width: c.width || TILE_WIDTH,
      });
    }
  });

  it("tile_path", () => {
    for (const c of vectors.tile_path) {
      expect(tilePath(c.level, c.index, w(c.width))).toBe(c.path);
      expect(tilePath(c.level, c.index, c.width || TILE_WIDTH)).toBe(c.path);
      expect(parseTilePath(c.path)).toEqual({
        kind: "hash",
        level: c.level,
        index: c.index,
        width: c.width || TILE_WIDTH,
      });
    }
  });

  it("parse_level_and_index, all 19 cases", () => {
    expect(vectors.parse_level_and_index).toHaveLength(19);
    for (const c of vectors.parse_level_and_index) {
      const path = `tile/${c.level_str}/${c.index_str}`;
      const got = parseTilePath(path);
      if (!c.valid) {
        expect(got, path).toBeNull();
      } else if (!Number.isSafeInteger(c.index)) {
        // Deliberate: x999/x999/x999/x999/x999/999 is 999999999999999999 > 2^53-1 (JSON.parse has
        // already rounded it). Tessera accepts indexes up to 2^64-1; no log of at most 2^53-1
        // entries has such a tile, and logseal's indexes are safe-integer numbers.
        expect(c.index_str).toBe("x999/x999/x999/x999/x999/999.p/255");
        expect(got, path).toBeNull();
      } else {
        expect(got, path).toEqual({
          kind: "hash",
          level: c.level,
          index: c.index,
          width: c.width || TILE_WIDTH,
        });
      }
    }
  });

  it("index encoding examples", () => {
    expect(formatTileIndex(1234067)).toBe(vectors.c2sp_spec_examples.index_1234067);
    expect(formatTileIndex(0)).toBe("000");
    expect(formatTileIndex(999)).toBe("999");
    expect(formatTileIndex(1000)).toBe("x001/000");
    expect(formatTileIndex(123456789)).toBe("x123/x456/789");
    expect(formatTileIndex(Number.MAX_SAFE_INTEGER)).toBe("x009/x007/x199/x254/x740/991");
    expect(parseTilePath("tile/5/x009/x007/x199/x254/x740/991")).toEqual({
      kind: "hash",
      level: 5,
      index: Number.MAX_SAFE_INTEGER,
      width: 256,
    });
    expect(parseTilePath("tile/5/x009/x007/x199/x254/x740/992")).toBeNull();
  });
});

describe("strictness", () => {
  const rejected = [
    "tile/0/x000/001", // leading x000 group
    "tile/0/x000/x001/002",
    "tile/00/001",
    "tile/01/001",
    "tile/+1/001",
    "tile/64/001",
    "tile/0/01",
    "tile/0/0001",
    "tile/0/x01/001",
    "tile/0/001.p/0",
    "tile/0/001.p/256",
    "tile/0/001.p/08",
    "tile/0/001.p/+8",
    "tile/0/001.p/",
    "tile/0/001.p",
    "tile/0/001/",
    "/tile/0/001",
    "tile/0/001 ",
    "tile/0/001\n",
    "tile//001",
    "tile/0/",
    "tile/entries/x000/001",
    "tile/entries/001.p/256",
    "tile/entry/001",
    "tile/data/001",
    "tile/8/0/x001/234", // the Go sumdb form with a height element
    "tile/8/data/000",
    "Tile/0/001",
    "tile/0/X001/234",
    "tile/0/x001/x234",
    "",
    `tile/0/${"x001/".repeat(20)}001`,
  ];

  it.each(rejected)("rejects %j", (path) => {
    expect(parseTilePath(path)).toBeNull();
  });

  it("returns null, never throws, on non-strings", () => {
    const anyParse = parseTilePath as (x: unknown) => unknown;
    for (const x of [null, undefined, 1, {}, ["tile/0/000"]]) expect(anyParse(x)).toBeNull();
  });

  it("tilePath and entriesPath reject misuse with RangeError", () => {
    expect(() => tilePath(64, 0)).toThrow(RangeError);
    expect(() => tilePath(-1, 0)).toThrow(RangeError);
    expect(() => tilePath(0, -1)).toThrow(RangeError);
    expect(() => tilePath(0, 2 ** 53)).toThrow(RangeError);
    expect(() => tilePath(0, 0, 0)).toThrow(RangeError);
    expect(() => tilePath(0, 0, 257)).toThrow(RangeError);
    expect(() => tilePath(0, 0, 1.5)).toThrow(RangeError);
    expect(() => entriesPath(0, 0)).toThrow(RangeError);
    expect(() => formatTileIndex(0.5)).toThrow(RangeError);
    expect(tilePath(63, 0, 255)).toBe("tile/63/000.p/255");
    expect(entriesPath(7, 256)).toBe("tile/entries/007");
  });
});

describe("mangling", () => {
  const samples = [
    "tile/0/000",
    "tile/0/x001/x234/067.p/89",
    "tile/63/x999/999.p/255",
    "tile/15/x123/x456/789.p/41",
    "tile/entries/000",
    "tile/entries/x001/234.p/7",
  ];
  const alphabet = [..."0123456789x/.ptileentris-+ X"];

  /** Whatever parses must be canonical: formatting it gives the input back. */
  const canonicalOrNull = (s: string) => {
    const p = parseTilePath(s);
    if (p !== null) expect(format(p), JSON.stringify(s)).toBe(s);
  };

  it("cutting at every position gives null or a canonical path", () => {
    for (const s of samples) {
      expect(parseTilePath(s)).not.toBeNull();
      for (let i = 0; i < s.length; i++) canonicalOrNull(s.slice(0, i));
      for (let i = 1; i < s.length; i++) canonicalOrNull(s.slice(i));
    }
  });

  it("changing, inserting or deleting any character gives null or a canonical path", () => {
    for (const s of samples) {
      for (let i = 0; i < s.length; i++) {
        canonicalOrNull(s.slice(0, i) + s.slice(i + 1));
        for (const c of alphabet) {
          canonicalOrNull(s.slice(0, i) + c + s.slice(i + 1));
          canonicalOrNull(s.slice(0, i) + c + s.slice(i));
        }
      }
    }
  });

  it("random strings: null or canonical; formatted paths round-trip (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 40 }).map((t) => `tile/${t}`),
        (s) => canonicalOrNull(s),
      ),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 63 }),
        fc.oneof(fc.nat(5000), fc.maxSafeNat()),
        fc.integer({ min: 1, max: 256 }),
        fc.boolean(),
        (level, index, width, entries) => {
          const want: TilePathInfo = entries
            ? { kind: "entries", index, width }
            : { kind: "hash", level, index, width };
          expect(parseTilePath(format(want))).toEqual(want);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
