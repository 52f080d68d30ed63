/**
 * Hash tiles and entry bundles: the self-generated 300-entry log byte for byte, the spec's
 * 256 / 300 / 70000 examples, tile validation, and proofs from tiles at sizes near 2^32 and 2^53.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/bytes.js";
import { isLogsealError } from "../../src/errors.js";
import {
  appendToEntryBundle,
  appendToTiles,
  bundlesForSize,
  checkConsistency,
  checkInclusion,
  encodeEntryBundle,
  entriesPath,
  HASH_SIZE,
  leafHash,
  nodeHash,
  proveConsistency,
  proveConsistencyFromTiles,
  proveInclusion,
  proveInclusionFromTiles,
  sha256,
  splitPoint,
  subtreeHashFromTiles,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileReader,
  tilePath,
  tilesForSize,
  treeHash,
  treeHashFromTiles,
} from "../../src/merkle/index.js";

interface Resource {
  path: string;
  len: number;
  sha256_of_content_hex?: string;
  content_hex?: string;
  first_hash_hex?: string;
  last_hash_hex?: string;
  first_bytes_hex?: string;
}
interface TilesVectors {
  tiles_size_300: { tree_size: number; root_hash_hex: string; resources: Resource[] };
  tile_counts_size_70000_per_spec_example: {
    level: number;
    full_tiles: number;
    partial_width: number;
  }[];
}

const vectors = JSON.parse(
  readFileSync(
    new URL("../../formats/vectors/selfgen-checkpoints-tiles.json", import.meta.url),
    "utf8",
  ),
) as TilesVectors;

function tileStore() {
  const tiles = new Map<string, Uint8Array>();
  let size = 0;
  let reads = 0;
  const read: TileReader = async (l, n) => {
    reads++;
    return tiles.get(`${l}/${n}`) ?? new Uint8Array(0);
  };
  return {
    read,
    tiles,
    get size() {
      return size;
    },
    get reads() {
      return reads;
    },
    async append(hashes: Uint8Array[]) {
      for (const t of (await appendToTiles(size, hashes, read)).values()) {
        tiles.set(`${t.level}/${t.index}`, t.bytes);
      }
      size += hashes.length;
    },
  };
}

async function expectCorrupt(p: Promise<unknown>, level: number, index: number) {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isLogsealError(e), String(e)).toBe(true);
  if (isLogsealError(e)) {
    expect(e.code).toBe("E_STORE_CORRUPT");
    expect(e.details).toEqual({ level, index });
  }
}

describe("the 300-entry log of selfgen-checkpoints-tiles.json", () => {
  const v = vectors.tiles_size_300;
  const entries = Array.from({ length: 300 }, (_, i) => utf8(`entry-${i}`));
  const batches = [1, 7, 250, 42];

  it("tiles built in uneven batches are byte-identical", async () => {
    const store = tileStore();
    let at = 0;
    for (const n of batches) {
      await store.append(entries.slice(at, at + n).map(leafHash));
      at += n;
    }
    expect(at).toBe(300);
    const want = v.resources.filter((r) => !r.path.startsWith("tile/entries/"));
    // Exactly the tiles of size 300, and no others (no full tile/0/001, no tile/1/000).
    expect(tilesForSize(300).map((t) => tilePath(t.level, t.index, t.width))).toEqual(
      want.map((r) => r.path),
    );
    expect([...store.tiles.keys()].sort()).toEqual(["0/0", "0/1", "1/0"]);
    for (const [i, t] of tilesForSize(300).entries()) {
      const r = want[i] as Resource;
      const bytes = store.tiles.get(`${t.level}/${t.index}`) as Uint8Array;
      expect(bytes.length, r.path).toBe(r.len);
      expect(bytes.length).toBe(t.width * HASH_SIZE);
      if (r.sha256_of_content_hex) expect(toHex(sha256(bytes))).toBe(r.sha256_of_content_hex);
      if (r.content_hex) expect(toHex(bytes)).toBe(r.content_hex);
      if (r.first_hash_hex) expect(toHex(bytes.subarray(0, 32))).toBe(r.first_hash_hex);
      if (r.last_hash_hex) expect(toHex(bytes.subarray(-32))).toBe(r.last_hash_hex);
    }
    expect(toHex(await treeHashFromTiles(300, store.read))).toBe(v.root_hash_hex);
    expect(toHex(treeHash(entries.map(leafHash)))).toBe(v.root_hash_hex);
  });

  it("entry bundles built with encodeEntryBundle and appendToEntryBundle are byte-identical", () => {
    const want = v.resources.filter((r) => r.path.startsWith("tile/entries/"));
    expect(bundlesForSize(300).map((b) => entriesPath(b.index, b.width))).toEqual(
      want.map((r) => r.path),
    );
    // Grown in the same uneven batches, as the store does.
    const bundles: Uint8Array[] = [];
    let at = 0;
    for (const n of batches) {
      let offset = 0;
      while (offset < n) {
        const index = Math.floor((at + offset) / TILE_WIDTH);
        const take = Math.min(TILE_WIDTH - ((at + offset) % TILE_WIDTH), n - offset);
        const slice = entries.slice(at + offset, at + offset + take);
        bundles[index] = appendToEntryBundle(bundles[index] ?? new Uint8Array(0), slice);
        offset += take;
      }
      at += n;
    }
    for (const [i, b] of bundlesForSize(300).entries()) {
      const r = want[i] as Resource;
      const oneShot = encodeEntryBundle(
        entries.slice(b.index * TILE_WIDTH, b.index * TILE_WIDTH + b.width),
      );
      expect(bundles[b.index]).toEqual(oneShot);
      expect(oneShot.length, r.path).toBe(r.len);
      if (r.sha256_of_content_hex) expect(toHex(sha256(oneShot))).toBe(r.sha256_of_content_hex);
      if (r.content_hex) expect(toHex(oneShot)).toBe(r.content_hex);
      if (r.first_bytes_hex) {
        expect(toHex(oneShot.subarray(0, r.first_bytes_hex.length / 2))).toBe(r.first_bytes_hex);
      }
    }
  });
});

describe("tilesForSize and bundlesForSize", () => {
  const summary = (size: number) => {
    const levels = new Map<number, { full: number; partial: number }>();
    for (const t of tilesForSize(size)) {
      const l = levels.get(t.level) ?? { full: 0, partial: 0 };
      if (t.width === TILE_WIDTH) l.full++;
      else l.partial = t.width;
      levels.set(t.level, l);
    }
    return levels;
  };

  it("size 70000: 273 full + .p/112, 1 full + .p/17, level 2 .p/1 (tlog-tiles example)", () => {
    const levels = summary(70000);
    for (const row of vectors.tile_counts_size_70000_per_spec_example) {
      const got = levels.get(row.level) ?? { full: 0, partial: 0 };
      expect(got, `level ${row.level}`).toEqual({
        full: row.full_tiles,
        partial: row.partial_width,
      });
    }
    const tiles = tilesForSize(70000);
    expect(tiles).toHaveLength(277);
    expect(tiles.slice(-4).map((t) => tilePath(t.level, t.index, t.width))).toEqual([
      "tile/0/273.p/112",
      "tile/1/000",
      "tile/1/001.p/17",
      "tile/2/000.p/1",
    ]);
  });

  it("size 256: tile/0/000 and tile/1/000.p/1", () => {
    expect(tilesForSize(256).map((t) => tilePath(t.level, t.index, t.width))).toEqual([
      "tile/0/000",
      "tile/1/000.p/1",
    ]);
    expect(bundlesForSize(256)).toEqual([{ index: 0, width: 256 }]);
  });

  it("size 0 has nothing; sizes are validated", () => {
    expect(tilesForSize(0)).toEqual([]);
    expect(bundlesForSize(0)).toEqual([]);
    expect(bundlesForSize(257)).toEqual([
      { index: 0, width: 256 },
      { index: 1, width: 1 },
    ]);
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN]) {
      expect(() => tilesForSize(bad)).toThrow(RangeError);
      expect(() => bundlesForSize(bad)).toThrow(RangeError);
    }
  });

  it("matches the tiles appendToTiles writes, for sizes across the level boundaries", async () => {
    const store = tileStore();
    const sizes = [1, 255, 256, 257, 511, 512, 65535, 65536, 65537, 70000];
    for (const size of sizes) {
      const hashes = Array.from({ length: size - store.size }, (_, i) =>
        leafHash(utf8(String(store.size + i))),
      );
      await store.append(hashes);
      const want = tilesForSize(size);
      // Full tiles stay; the store also keeps no tile the size does not list.
      expect(store.tiles.size, `size ${size}`).toBe(want.length);
      for (const t of want) {
        expect(store.tiles.get(`${t.level}/${t.index}`)?.length, `size ${size}`).toBe(
          t.width * HASH_SIZE,
        );
      }
    }
  });
});

describe("tile-backed hashing over 70000 leaves (three tile levels)", () => {
  const leaves = Array.from({ length: 70000 }, (_, i) => leafHash(utf8(`leaf ${i}`)));
  const storeP = (async () => {
    const store = tileStore();
    await store.append(leaves);
    return store;
  })();

  it("treeHashFromTiles equals treeHash at sizes around tile boundaries", async () => {
    const store = await storeP;
    for (const size of [70000, 65536, 65535, 256, 255, 1]) {
      expect(toHex(await treeHashFromTiles(size, store.read)), `size ${size}`).toBe(
        toHex(treeHash(leaves.slice(0, size))),
      );
    }
  });

  it("proofs from tiles verify against the root, and each tile is read once per call", async () => {
    const store = await storeP;
    const root = treeHash(leaves);
    for (const index of [0, 1, 255, 256, 65535, 65536, 69999, 12345]) {
      const before = store.reads;
      const proof = await proveInclusionFromTiles(index, 70000, store.read);
      const reads = store.reads - before;
      expect(reads).toBeLessThanOrEqual(new Set(tilesForSize(70000).map((t) => t.level)).size * 3);
      expect(checkInclusion(index, 70000, leaves[index] as Uint8Array, proof, root)).toBe(true);
    }
    for (const m of [1, 256, 257, 65536, 65537, 69999]) {
      const proof = await proveConsistencyFromTiles(m, 70000, store.read);
      const old = await treeHashFromTiles(m, store.read);
      expect(checkConsistency(m, old, 70000, root, proof), `${m}`).toBe(true);
    }
  });

  it("full tiles' inner nodes (computed once per tile object) give the in-memory proofs, cold, warm and from copies", async () => {
    const store = await storeP;
    const sub = (lo: number, hi: number) => treeHash(leaves.slice(lo, hi));
    const copies: TileReader = async (l, n) => (await store.read(l, n)).slice();
    for (const index of [0, 3, 254, 256, 4097, 65535, 65536, 69999]) {
      const want = proveInclusion(index, 70000, sub).map(toHex);
      for (const read of [store.read, store.read, copies]) {
        expect((await proveInclusionFromTiles(index, 70000, read)).map(toHex)).toEqual(want);
      }
    }
    for (const m of [1, 255, 256, 4096, 65535, 65536, 69999]) {
      const want = proveConsistency(m, 70000, sub).map(toHex);
      for (const read of [store.read, copies]) {
        expect((await proveConsistencyFromTiles(m, 70000, read)).map(toHex), `${m}`).toEqual(want);
      }
    }
  });

  it("subtreeHashFromTiles rejects ranges that are not RFC subtrees", async () => {
    const store = await storeP;
    for (const [lo, hi] of [
      [1, 3],
      [5, 5],
      [256, 300 + 256],
      [3, 2],
      [-1, 3],
    ] as const) {
      await expect(subtreeHashFromTiles(lo, hi, store.read), `[${lo}, ${hi})`).rejects.toThrow(
        RangeError,
      );
    }
    expect(toHex(await subtreeHashFromTiles(256, 300, store.read))).toBe(
      toHex(treeHash(leaves.slice(256, 300))),
    );
    expect(toHex(await subtreeHashFromTiles(65536, 70000, store.read))).toBe(
      toHex(treeHash(leaves.slice(65536, 70000))),
    );
  });
});

describe("damaged tiles", () => {
  const leaves = Array.from({ length: 300 }, (_, i) => leafHash(utf8(`entry-${i}`)));

  it("proofs and roots throw E_STORE_CORRUPT {level, index} for a short, ragged or oversize tile", async () => {
    const store = tileStore();
    await store.append(leaves);
    const good = store.tiles.get("0/1") as Uint8Array;
    const damaged: Record<string, Uint8Array | undefined> = {
      short: good.subarray(0, 43 * 32),
      ragged: good.subarray(0, 44 * 32 - 1),
      missing: undefined,
    };
    for (const [name, bytes] of Object.entries(damaged)) {
      const read: TileReader = async (l, n) =>
        l === 0 && n === 1 ? (bytes ?? new Uint8Array(0)) : store.read(l, n);
      await expectCorrupt(treeHashFromTiles(300, read), 0, 1);
      await expectCorrupt(proveInclusionFromTiles(0, 300, read), 0, 1);
      await expectCorrupt(proveConsistencyFromTiles(256, 300, read), 0, 1);
      expect(name).toBeTruthy();
    }
    const oversize: TileReader = async (l, n) =>
      l === 1 && n === 0 ? new Uint8Array(257 * 32) : store.read(l, n);
    await expectCorrupt(treeHashFromTiles(300, oversize), 1, 0);
  });

  it("appendToTiles throws E_STORE_CORRUPT when the right-edge tile disagrees with the size", async () => {
    const store = tileStore();
    await store.append(leaves);
    const h = leafHash(utf8("next"));
    // size 300 says tile 0/1 holds 44 hashes
    const longer: TileReader = async (l, n) =>
      l === 0 && n === 1 ? new Uint8Array(45 * 32) : store.read(l, n);
    await expectCorrupt(appendToTiles(300, [h], longer), 0, 1);
    await expectCorrupt(appendToTiles(301, [h], store.read), 0, 1);
    // size 66047: level-0 tile 257 holds 255 hashes and fills; level-1 tile 1 must hold 1 hash
    const size = 256 * 256 + 511;
    const onlyLevel0: TileReader = async (l) =>
      l === 0 ? new Uint8Array(255 * 32) : new Uint8Array(0);
    await expectCorrupt(appendToTiles(size, [h], onlyLevel0), 1, 1);
    await expectCorrupt(
      appendToTiles(size, [h], async () => new Uint8Array(0)),
      0,
      257,
    );
  });

  it("appendToTiles rejects misuse with RangeError", async () => {
    const read: TileReader = async () => new Uint8Array(0);
    await expect(appendToTiles(-1, [], read)).rejects.toThrow(RangeError);
    await expect(appendToTiles(0, [new Uint8Array(31)], read)).rejects.toThrow(RangeError);
    await expect(
      appendToTiles(Number.MAX_SAFE_INTEGER, [leafHash(new Uint8Array(0))], read),
    ).rejects.toThrow(RangeError);
    expect((await appendToTiles(5, [], read)).size).toBe(0);
  });

  it("appendToTiles returns fresh bytes and reads only right-edge tiles that hold hashes", async () => {
    const reads: string[] = [];
    const read: TileReader = async (l, n) => {
      reads.push(`${l}/${n}`);
      return new Uint8Array(0);
    };
    const hashes = leaves.slice(0, 256);
    const out = await appendToTiles(0, hashes, read);
    expect(reads).toEqual([]);
    const tile = out.get("0/0")?.bytes as Uint8Array;
    tile.fill(0);
    expect(hashes[0]).toEqual(leaves[0]);
    expect(hashes[0]?.some((b) => b !== 0)).toBe(true);
  });
});

/**
 * A tree whose every leaf hash is the same value Z0: each complete node at level ℓ is then
 * Z_ℓ = nodeHash(Z_(ℓ-1), Z_(ℓ-1)), so the tiles of any size can be served without storing
 * them. This exercises the index arithmetic of the tile code at sizes near 2^32 and 2^53.
 */
function uniformTree() {
  const z: Uint8Array[] = [leafHash(utf8("uniform"))];
  for (let l = 1; l <= 53; l++) z.push(nodeHash(z[l - 1] as Uint8Array, z[l - 1] as Uint8Array));
  // MTH of any n leaves, by the RFC recursion (independent of the tile code).
  // (Math.log2 rounds 2^52-1 up to 52, so powers of two are tested by doubling instead.)
  const log2Exact = (n: number): number | undefined => {
    let e = 0;
    for (let p = 1; p < n; p *= 2) e++;
    return 2 ** e === n ? e : undefined;
  };
  const mth = (n: number): Uint8Array => {
    const e = log2Exact(n);
    if (e !== undefined) return z[e] as Uint8Array;
    const k = splitPoint(n);
    return nodeHash(z[log2Exact(k) as number] as Uint8Array, mth(n - k));
  };
  const tileFor = (size: number): TileReader => {
    return async (level, index) => {
      const nodes = Math.floor(size / TILE_WIDTH ** level);
      const width = Math.min(TILE_WIDTH, nodes - index * TILE_WIDTH);
      if (width <= 0) return new Uint8Array(0);
      const out = new Uint8Array(width * HASH_SIZE);
      for (let j = 0; j < width; j++) out.set(z[TILE_HEIGHT * level] as Uint8Array, j * HASH_SIZE);
      return out;
    };
  };
  return { z, mth, tileFor };
}

describe("sizes near 2^32 and 2^53 (uniform tree)", () => {
  const u = uniformTree();
  const sub = (lo: number, hi: number) => u.mth(hi - lo);
  const sizes = [
    2 ** 32 - 1,
    2 ** 32,
    2 ** 32 + 1,
    2 ** 32 + 257,
    2 ** 52 - 1,
    2 ** 52,
    2 ** 52 + 1,
    Number.MAX_SAFE_INTEGER,
  ];

  it("treeHashFromTiles equals the recursive MTH", async () => {
    for (const size of sizes) {
      expect(toHex(await treeHashFromTiles(size, u.tileFor(size))), `${size}`).toBe(
        toHex(u.mth(size)),
      );
    }
  });

  it("inclusion proofs from tiles equal the synchronous ones and verify", async () => {
    for (const size of sizes) {
      const root = u.mth(size);
      for (const index of [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, size - 2, size - 1]) {
        if (index >= size) continue;
        const fromTiles = await proveInclusionFromTiles(index, size, u.tileFor(size));
        expect(fromTiles.map(toHex)).toEqual(proveInclusion(index, size, sub).map(toHex));
        expect(checkInclusion(index, size, u.z[0] as Uint8Array, fromTiles, root)).toBe(true);
      }
    }
  });

  it("consistency proofs from tiles equal the synchronous ones and verify", async () => {
    for (const [m, n] of [
      [2 ** 31 + 1, 2 ** 32 + 1],
      [2 ** 32 - 1, 2 ** 32],
      [2 ** 32, 2 ** 32 + 257],
      [3, 2 ** 52 + 1],
      [2 ** 52 - 1, Number.MAX_SAFE_INTEGER],
      [2 ** 52, Number.MAX_SAFE_INTEGER],
      [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER],
    ] as const) {
      const fromTiles = await proveConsistencyFromTiles(m, n, u.tileFor(n));
      expect(fromTiles.map(toHex)).toEqual(proveConsistency(m, n, sub).map(toHex));
      expect(checkConsistency(m, u.mth(m), n, u.mth(n), fromTiles), `${m} -> ${n}`).toBe(true);
    }
  });

  it("appendToTiles at sizes 2^48 - 1 and 2^52 - 1 fills and carries up six levels", async () => {
    // One leaf short of 256^6: the right tile of every level 0..5 has 255 hashes and fills.
    const size = 2 ** 48 - 1;
    const out = await appendToTiles(size, [u.z[0] as Uint8Array], u.tileFor(size));
    expect([...out.keys()].sort()).toEqual(
      ["0/1099511627775", "1/4294967295", "2/16777215", "3/65535", "4/255", "5/0", "6/0"].sort(),
    );
    for (const t of out.values()) {
      const hashes = t.level === 6 ? 1 : TILE_WIDTH;
      expect(t.bytes.length).toBe(hashes * HASH_SIZE);
      expect(t.bytes.subarray(-HASH_SIZE)).toEqual(u.z[TILE_HEIGHT * t.level]);
    }
    // 2^52 = 16·256^6: the level-6 tile gets its 16th hash.
    const near53 = await appendToTiles(2 ** 52 - 1, [u.z[0] as Uint8Array], u.tileFor(2 ** 52 - 1));
    expect(near53.get("6/0")?.bytes).toEqual((await u.tileFor(2 ** 52)(6, 0)).slice());
    expect(near53.get("6/0")?.bytes.length).toBe(16 * HASH_SIZE);
    expect(toHex(await treeHashFromTiles(2 ** 52, u.tileFor(2 ** 52)))).toBe(
      toHex(u.z[52] as Uint8Array),
    );
  });
});
