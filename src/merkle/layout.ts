/**
 * Which hash tiles and entry bundles a tree of a given size has (C2SP tlog-tiles, height 8).
 *
 * Hash number i of tile (L, N) is MTH(D[(N·256+i)·256^L : (N·256+i+1)·256^L]): at level 0 the
 * leaf hashes, at level L ≥ 1 the roots of full tiles of level L-1. For a tree of size s, level L
 * has floor(s / 256^(L+1)) full tiles, then one partial tile of width floor(s / 256^L) mod 256 at
 * index floor(s / 256^(L+1)) when that width is not 0. Partial tiles are never hashed into the
 * level above.
 *
 *     s = 256:    tile/0/000, tile/1/000.p/1
 *     s = 300:    tile/0/000, tile/0/001.p/44, tile/1/000.p/1
 *     s = 70000:  273 full level-0 tiles + 273.p/112, tile/1/000 + tile/1/001.p/17, tile/2/000.p/1
 */

import { requireSafeNonNegative } from "./math.js";

/** Tile height: a tile covers 8 levels of the tree. */
export const TILE_HEIGHT = 8;

/** Hashes in a full tile, and entries in a full entry bundle: 2^TILE_HEIGHT = 256. */
export const TILE_WIDTH = 256;

/** A hash tile: `width` is 256 for a full tile, 1..255 for a partial one. */
export interface TileRef {
  level: number;
  index: number;
  width: number;
}

/** An entry bundle: `width` is 256 for a full bundle, 1..255 for a partial one. */
export interface BundleRef {
  index: number;
  width: number;
}

/**
 * Every hash tile, full and partial, of a tree of `size` leaves, by level then index.
 * Empty for size 0.
 * @throws RangeError unless `size` is a safe non-negative integer
 */
export function tilesForSize(size: number): TileRef[] {
  requireSafeNonNegative("size", size);
  const out: TileRef[] = [];
  // 256^level is a power of two, so these divisions are exact.
  for (let level = 0; ; level++) {
    const nodes = Math.floor(size / TILE_WIDTH ** level); // complete nodes at tree level 8·level
    if (nodes === 0) break;
    const full = Math.floor(nodes / TILE_WIDTH);
    for (let index = 0; index < full; index++) out.push({ level, index, width: TILE_WIDTH });
    const width = nodes % TILE_WIDTH;
    if (width > 0) out.push({ level, index: full, width });
  }
  return out;
}

/**
 * Every entry bundle, full and partial, of a log of `size` entries, by index. Empty for size 0.
 * @throws RangeError unless `size` is a safe non-negative integer
 */
export function bundlesForSize(size: number): BundleRef[] {
  requireSafeNonNegative("size", size);
  const out: BundleRef[] = [];
  const full = Math.floor(size / TILE_WIDTH);
  for (let index = 0; index < full; index++) out.push({ index, width: TILE_WIDTH });
  const width = size % TILE_WIDTH;
  if (width > 0) out.push({ index: full, width });
  return out;
}
