/**
 * The C2SP tlog-tiles read API over a live store: `tile/<L>/<N>[.p/<W>]` and
 * `tile/entries/<N>[.p/<W>]` of the tree of the latest checkpoint, with the bytes
 * `exportTiles` writes for it (formats/tiles.md, "The store holds the same bytes").
 *
 * The store holds the tiles of its current size, which may be past the checkpoint: a served
 * tile is the stored one cut to the W hashes (entries) the path names. A partial tile of an
 * earlier size (W below what the checkpoint has) is the same cut and is served too, so a
 * client holding an older checkpoint finds its tiles; a tile beyond the checkpoint is not.
 */
import { LogsealError } from "../errors.js";
import { bundlePrefixLength, HASH_SIZE, parseTilePath, TILE_WIDTH } from "../merkle/index.js";
import type { LogReader } from "../store/reader.js";

export interface TileResource {
  bytes: Uint8Array;
  /** A full tile or bundle: its bytes never change. */
  full: boolean;
}

/**
 * The resource at `path` (relative to the log's prefix, such as `tile/0/000.p/5`) in the tree
 * of size `size`, or undefined when the tree has no such tile or the path is not canonical.
 * `path` is attacker-controlled: it is parsed strictly and never throws on garbage.
 * @throws LogsealError E_STORE_CORRUPT when the stored tile or bundle is too short, E_IO
 */
export async function readTileResource(
  store: LogReader,
  size: number,
  path: string,
): Promise<TileResource | undefined> {
  const info = parseTilePath(path);
  if (info === null) return undefined;
  const width = info.width;
  const full = width === TILE_WIDTH;
  if (info.kind === "hash") {
    // Complete nodes at tree level 8·L; 256^L is a power of two, so the division is exact.
    const nodes = Math.floor(size / TILE_WIDTH ** info.level);
    const available = Math.min(TILE_WIDTH, nodes - info.index * TILE_WIDTH);
    if (available < width) return undefined;
    const stored = await store.readTile(info.level, info.index);
    if (stored.length < width * HASH_SIZE) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        `hash tile ${info.level}/${info.index} is shorter than size ${size} needs: run 'logseal verify'`,
        { details: { level: info.level, index: info.index } },
      );
    }
    return { bytes: stored.subarray(0, width * HASH_SIZE), full };
  }
  const available = Math.min(TILE_WIDTH, size - info.index * TILE_WIDTH);
  if (available < width) return undefined;
  const stored = await store.readBundle(info.index);
  const length = stored === undefined ? null : bundlePrefixLength(stored, width);
  if (stored === undefined || length === null) {
    throw new LogsealError(
      "E_STORE_CORRUPT",
      `entry bundle ${info.index} is missing or damaged: run 'logseal verify'`,
      { details: { bundle: info.index } },
    );
  }
  return { bytes: stored.subarray(0, length), full };
}
