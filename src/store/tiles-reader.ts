/**
 * A {@link LogReader} over a C2SP tlog-tiles directory (formats/tiles.md), such as the one
 * `logseal export --tiles` writes:
 *
 *     DIR/checkpoint                     the signed checkpoint (size and origin come from it)
 *     DIR/tile/<L>/<N>[.p/<W>]           hash tiles
 *     DIR/tile/entries/<N>[.p/<W>]       entry bundles
 *
 * The reader only reports what the directory holds. It takes the origin (first line) and the
 * tree size (second line) from `checkpoint` without opening its signatures: the verifier opens
 * it with the keys the auditor pins, like any stored checkpoint. Which file holds a tile or
 * bundle follows from that size: full ones without a suffix, the last partial one as `.p/<W>`.
 * Everything read is attacker-controlled; a file that is not there reads as absent.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fromUtf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import {
  bundlePrefixLength,
  entriesPath,
  HASH_SIZE,
  TILE_WIDTH,
  tilePath,
} from "../merkle/index.js";
import type { LogReader, StoredCheckpoint } from "./reader.js";

const EMPTY = new Uint8Array(0);
/** A checkpoint note is a few hundred bytes; anything this large is not one. */
const MAX_CHECKPOINT_BYTES = 1 << 20;
const SIZE_LINE = /^(0|[1-9]\d{0,15})$/;

export class TilesReader implements LogReader {
  readonly dir: string;
  readonly origin: string;
  readonly #size: number;
  readonly #note: string;

  private constructor(dir: string, origin: string, size: number, note: string) {
    this.dir = dir;
    this.origin = origin;
    this.#size = size;
    this.#note = note;
  }

  /**
   * Opens the tiles directory `dir` by reading its `checkpoint` file. A checkpoint that does
   * not even give an origin and a size opens as an empty log of unknown origin, so that the
   * verifier reports the note as the failure it is.
   * @throws LogsealError E_STORE_MISSING (no `checkpoint` file), E_IO
   */
  static async open(dir: string): Promise<TilesReader> {
    const file = join(dir, "checkpoint");
    const bytes = await read(file);
    if (bytes === undefined) {
      throw new LogsealError(
        "E_STORE_MISSING",
        `no tiles checkpoint in ${dir}: point --tiles at the directory 'logseal export --tiles' wrote`,
        { location: { file } },
      );
    }
    const note = (bytes.length <= MAX_CHECKPOINT_BYTES ? fromUtf8(bytes) : null) ?? "";
    const lines = note.split("\n", 3);
    const sizeLine = lines[1] ?? "";
    const size = SIZE_LINE.test(sizeLine) ? Number(sizeLine) : Number.NaN;
    if (lines.length < 3 || !Number.isSafeInteger(size)) return new TilesReader(dir, "", 0, note);
    return new TilesReader(dir, lines[0] as string, size, note);
  }

  async size(): Promise<number> {
    return this.#size;
  }

  /** The entries (or hashes) the tile of `index` at `level` holds for this size, 0 if none. */
  #width(level: number, index: number): number {
    const nodes = Math.floor(this.#size / TILE_WIDTH ** level);
    const full = Math.floor(nodes / TILE_WIDTH);
    if (index < full) return TILE_WIDTH;
    return index === full ? nodes % TILE_WIDTH : 0;
  }

  async readBundle(index: number): Promise<Uint8Array | undefined> {
    const width = this.#width(0, index);
    if (width === 0) return undefined;
    const bytes = await read(join(this.dir, entriesPath(index, width)));
    if (bytes !== undefined || width === TILE_WIDTH) return bytes;
    // A log that has grown past this checkpoint may have deleted the partial bundle once the
    // full one was written (C2SP tlog-tiles): the full bundle's first W entries are the same.
    const full = await read(join(this.dir, entriesPath(index)));
    return full === undefined ? undefined : bundlePrefix(full, width);
  }

  async readTile(level: number, index: number): Promise<Uint8Array> {
    const width = this.#width(level, index);
    if (width === 0) return EMPTY;
    const bytes = await read(join(this.dir, tilePath(level, index, width)));
    if (bytes !== undefined || width === TILE_WIDTH) return bytes ?? EMPTY;
    // As for bundles: fall back to the full tile and use only the hashes this size allows.
    const full = await read(join(this.dir, tilePath(level, index)));
    return full === undefined ? EMPTY : tilePrefix(full, width);
  }

  async *checkpoints(): AsyncIterable<StoredCheckpoint> {
    yield { size: this.#size, note: this.#note };
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return { size: this.#size, note: this.#note };
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    return size === this.#size ? { size, note: this.#note } : undefined;
  }
}

/**
 * The first `width` hashes of a tile, for reading a partial tile out of the full one. A tile
 * too short to hold them is returned whole, for the verifier to report as the wrong length.
 */
export function tilePrefix(tile: Uint8Array, width: number): Uint8Array {
  const n = width * HASH_SIZE;
  return tile.length >= n ? tile.subarray(0, n) : tile;
}

/**
 * The first `width` entries of an entry bundle, for reading a partial bundle out of the full
 * one. A bundle whose length prefixes do not reach `width` entries is returned whole, for the
 * verifier's strict parser to report.
 */
export function bundlePrefix(bundle: Uint8Array, width: number): Uint8Array {
  const length = bundlePrefixLength(bundle, width);
  return length === null ? bundle : bundle.subarray(0, length);
}

/** The file's bytes, or undefined when it does not exist. */
async function read(file: string): Promise<Uint8Array | undefined> {
  try {
    const b = await readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new LogsealError("E_IO", `cannot read ${file}: ${(e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
}
