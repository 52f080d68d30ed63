/**
 * C2SP tlog-tiles resource paths, relative to the log's prefix:
 *
 *     tile/<L>/<N>[.p/<W>]          hash tile, e.g. tile/0/x001/x234/067.p/8
 *     tile/entries/<N>[.p/<W>]      entry bundle, e.g. tile/entries/000
 *
 * <L> is 0..63 in decimal without leading zeros. <N> is written in groups of exactly three
 * decimal digits, most significant first, every group but the last prefixed with `x`, groups
 * joined by `/`, no leading `x000` group: 0 is `000`, 1234067 is `x001/x234/067`. `.p/<W>`, with
 * W in 1..255 without leading zeros, marks a partial tile; a full tile has no suffix.
 */

import { TILE_WIDTH } from "./layout.js";
import { divMod, isSafeNonNegative, requireSafeNonNegative } from "./math.js";

/** Highest tile level a path may name (tlog-tiles). */
const MAX_LEVEL = 63;

/** A parsed hash tile or entry bundle path; `width` is 256 for a full one. */
export type TilePathInfo =
  | { kind: "hash"; level: number; index: number; width: number }
  | { kind: "entries"; index: number; width: number };

function pad3(n: number): string {
  return String(n).padStart(3, "0");
}

/**
 * The <N> element of a tile path: `000`, `x001/x234/067`.
 * @throws RangeError unless `n` is a safe non-negative integer
 */
export function formatTileIndex(n: number): string {
  requireSafeNonNegative("tile index", n);
  let [rest, group] = divMod(n, 1000);
  let s = pad3(group);
  while (rest > 0) {
    [rest, group] = divMod(rest, 1000);
    s = `x${pad3(group)}/${s}`;
  }
  return s;
}

function widthSuffix(width: number | undefined): string {
  if (width === undefined || width === TILE_WIDTH) return "";
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new RangeError(`tile width must be 1..${TILE_WIDTH}, got ${String(width)}`);
  }
  return `.p/${width}`;
}

/**
 * The path of hash tile (level, index): `tile/0/x001/234.p/7`.
 * @param width 1..255 for a partial tile; 256 or undefined for a full one (no suffix)
 * @throws RangeError on a level outside 0..63, an unsafe index or a width outside 1..256
 */
export function tilePath(level: number, index: number, width?: number): string {
  if (!Number.isInteger(level) || level < 0 || level > MAX_LEVEL) {
    throw new RangeError(`tile level must be 0..${MAX_LEVEL}, got ${String(level)}`);
  }
  return `tile/${level}/${formatTileIndex(index)}${widthSuffix(width)}`;
}

/**
 * The path of entry bundle `index`: `tile/entries/000.p/8`.
 * @param width 1..255 for a partial bundle; 256 or undefined for a full one (no suffix)
 * @throws RangeError on an unsafe index or a width outside 1..256
 */
export function entriesPath(index: number, width?: number): string {
  return `tile/entries/${formatTileIndex(index)}${widthSuffix(width)}`;
}

// Shape only; ranges, safety and canonical form are checked after the match.
const PATH_RE =
  /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/** Longer than any canonical path of a safe index (`tile/entries/` + 6 groups + `.p/255`). */
const MAX_PATH_LENGTH = 64;

/**
 * Parses a tlog-tiles path, strictly: only the canonical form `tilePath` / `entriesPath` emit
 * is accepted, so `parse(path)` then formatting gives `path` back.
 *
 * Rejects (returns null): anything tessera's `ParseTileLevelIndexPartial` rejects (levels
 * above 63 or not decimal, groups of other than 3 digits, a missing `x`, `.p/256`, `.p/0`, a
 * bare `.p`), and also what Go's round-tripping `tlog.ParseTilePath` rejects: leading `x000`
 * groups, leading zeros in the level or width, `+` signs. It also rejects indexes above 2^53-1,
 * which no log of at most 2^53-1 entries has (tessera accepts up to 2^64-1), a leading `/`, and
 * paths longer than 64 characters. This input is attacker-controlled (an HTTP request path):
 * never throws.
 * @returns the tile, or null
 */
export function parseTilePath(path: string): TilePathInfo | null {
  if (typeof path !== "string" || path.length > MAX_PATH_LENGTH) return null;
  const m = PATH_RE.exec(path);
  if (m === null) return null;
  const [, levelText, indexText, widthText] = m as unknown as [string, string, string, string?];

  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (widthText !== undefined && width >= TILE_WIDTH) return null; // `.p/256` is not a partial tile

  let index = 0;
  for (const group of indexText.split("/")) {
    index = index * 1000 + Number(group.startsWith("x") ? group.slice(1) : group);
    if (!isSafeNonNegative(index)) return null;
  }
  // Canonical form: no leading x000 groups.
  if (formatTileIndex(index) !== indexText) return null;

  if (levelText === "entries") return { kind: "entries", index, width };
  const level = Number(levelText);
  if (level > MAX_LEVEL) return null;
  return { kind: "hash", level, index, width };
}
