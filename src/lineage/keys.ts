/**
 * The key layout of the lineage and query indexes (formats/lineage.md is the specification;
 * formats/storage.md, "Indexes", lists the prefixes).
 *
 *   meta/index                                logseal-index/1 (the format of everything under x/)
 *   meta/indexed                              decimal: entries 0 .. indexed-1 are indexed
 *   x/up/<to> NUL <from>                      lineage edge from → to: the entry that created it
 *   x/dn/<from> NUL <to>                      the same edge, seen from the other end
 *   x/f/<field> NUL <value> NUL <block:16>    posting block: the entries of block with that value
 *   x/t/<hour:16> NUL <block:16>              time block: the entries of block with ts in the hour
 *   x/a/<asset>                               asset inventory record (JSON)
 *
 * A block is the range of 256 entries of one entry bundle; `<block:16>` is its first entry
 * index (a multiple of 256), so a block's records do not depend on how appends were batched.
 *
 * NUL (U+0000) separates the parts. It cannot occur inside an asset reference, an actor id, an
 * action, a control id or an outcome: schema v1 rejects every control character (general
 * category Cc) in identifiers, and actions, controls and outcomes have fixed ASCII syntaxes.
 * So every key of one asset (or one field value) starts with `<prefix><value> NUL`, and the
 * range [`<prefix><value> NUL`, `<prefix><value> SOH`) holds exactly those keys: one range read
 * per neighbour list or posting list, whose keys sort by entry index.
 */

/** The value of `meta/index`: the format of the index records under `x/`. */
export const INDEX_FORMAT = "logseal-index/1";
export const META_INDEX = "meta/index";
export const META_INDEXED = "meta/indexed";

/** Entries per posting block: one entry bundle. */
export const BLOCK = 256;
/** The time index groups entries by the hour of their ts. */
export const HOUR = 3_600_000;

export const SEP = "\u0000";
/** The character after SEP: `<p> SEP` ≤ key < `<p> END` selects one value's keys. */
const END = "\u0001";

/** The fields with a posting list (`x/f/<field> NUL <value> NUL <block>`). */
export const FIELDS = ["actor", "action", "asset", "control", "outcome"] as const;
export type Field = (typeof FIELDS)[number];

export const pad16 = (n: number): string => n.toString().padStart(16, "0");

/** The first entry of the block holding entry `index`. */
export const blockOf = (index: number): number => index - (index % BLOCK);

/** `up`: the inputs of an asset (what it was derived from); `dn`: its outputs. */
export type Side = "up" | "dn";

export const edgeKey = (side: Side, asset: string, other: string): string =>
  `x/${side}/${asset}${SEP}${other}`;

/** The range of every edge key of `asset` on `side`; the neighbour follows `gte`. */
export function edgeRange(side: Side, asset: string): { gte: string; lt: string } {
  const p = `x/${side}/${asset}`;
  return { gte: p + SEP, lt: p + END };
}

export const postingPrefix = (field: Field, value: string): string =>
  `x/f/${field}${SEP}${value}${SEP}`;

export const postingEnd = (field: Field, value: string): string =>
  `x/f/${field}${SEP}${value}${END}`;

export const TIME_PREFIX = "x/t/";
export const timeKey = (hour: number, block: number): string =>
  `${TIME_PREFIX}${pad16(hour)}${SEP}${pad16(block)}`;

/** Parses the trailing `<block:16>` of a posting or time key; -1 if malformed. */
export function trailingIndex(key: string): number {
  if (key.length < 17 || key.charCodeAt(key.length - 17) !== 0) return -1;
  return parseIndex16(key, key.length - 16);
}

export const assetKey = (asset: string): string => `x/a/${asset}`;
export const ASSET_PREFIX = "x/a/";

/** All inventory keys, or those of one kind (`x/a/<kind>:` is a prefix of exactly them). */
export function assetRange(kind?: string): { gte: string; lt: string } {
  // ':' + 1 is ';', '/' + 1 is '0'.
  return kind === undefined
    ? { gte: ASSET_PREFIX, lt: "x/a0" }
    : { gte: `${ASSET_PREFIX}${kind}:`, lt: `${ASSET_PREFIX}${kind};` };
}

function parseIndex16(s: string, at: number): number {
  let n = 0;
  for (let i = at; i < at + 16; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return Number.isSafeInteger(n) ? n : -1;
}
