/**
 * Writes a C2SP tlog-tiles directory (formats/tiles.md) for a checkpoint: `checkpoint`,
 * `tile/<L>/<N>[.p/<W>]` and `tile/entries/<N>[.p/<W>]`. The store keeps the same units, so
 * the export copies stored bytes; a store that grew past the checkpoint holds longer partial
 * tiles, whose first W hashes (entries) are exactly the checkpoint's partial tile.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { LogsealError } from "../errors.js";
import {
  bundlesForSize,
  encodeEntryBundle,
  entriesPath,
  HASH_SIZE,
  parseEntryBundle,
  TILE_WIDTH,
  tilePath,
  tilesForSize,
} from "../merkle/index.js";
import type { LogReader, StoredCheckpoint } from "../store/reader.js";

export interface TilesExport {
  size: number;
  files: number;
  bytes: number;
}

/**
 * Exports the tree of `checkpoint` from `reader` into `outDir`.
 * @throws LogsealError E_STORE_CORRUPT when a stored tile or bundle is short, E_IO
 */
export async function exportTiles(
  reader: LogReader,
  checkpoint: StoredCheckpoint,
  outDir: string,
): Promise<TilesExport> {
  const size = checkpoint.size;
  let files = 0;
  let bytes = 0;
  const put = async (path: string, data: Uint8Array | string) => {
    const file = join(outDir, path);
    try {
      await mkdir(dirname(file), { recursive: true });
      // Write then rename, so a reader of a directory being refreshed never sees half a file.
      await writeFile(`${file}.tmp`, data);
      await rename(`${file}.tmp`, file);
    } catch (e) {
      throw new LogsealError("E_IO", `cannot write ${file}: ${(e as Error).message}`, {
        location: { file },
        cause: e,
      });
    }
    files++;
    bytes += typeof data === "string" ? Buffer.byteLength(data) : data.length;
  };

  for (const t of tilesForSize(size)) {
    const stored = await reader.readTile(t.level, t.index);
    const want = t.width * HASH_SIZE;
    if (stored.length < want) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        `hash tile ${t.level}/${t.index} is shorter than size ${size} needs`,
        {
          details: { level: t.level, index: t.index },
        },
      );
    }
    await put(tilePath(t.level, t.index, t.width), stored.subarray(0, want));
  }
  for (const b of bundlesForSize(size)) {
    const stored = await reader.readBundle(b.index);
    const total = Math.min(TILE_WIDTH, (await reader.size()) - b.index * TILE_WIDTH);
    const entries = stored === undefined ? null : parseEntryBundle(stored, total);
    if (entries === null || entries.length < b.width) {
      throw new LogsealError("E_STORE_CORRUPT", `entry bundle ${b.index} is missing or damaged`, {
        details: { bundle: b.index },
      });
    }
    const data =
      b.width === entries.length
        ? (stored as Uint8Array)
        : encodeEntryBundle(entries.slice(0, b.width));
    await put(entriesPath(b.index, b.width), data);
  }
  // The checkpoint last: a client that sees it finds every tile it names.
  await put("checkpoint", checkpoint.note);
  return { size, files, bytes };
}
