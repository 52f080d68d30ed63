/**
 * The key layout of the lineage and query indexes, format `logseal-index/3`
 * (formats/lineage.md is the specification; formats/storage.md, "Indexes", lists the prefixes).
 *
 *   meta/index                                logseal-index/3 (the format of everything under x/)
 *   meta/indexed                              decimal: entries 0 .. indexed-1 are indexed
 *   x/up/<to> NUL <from>                      lineage edge from → to: the entry that created it
 *   x/dn/<from> NUL <to>                      the same edge, seen from the other end
 *   x/p/<field> NUL <bucket:2> NUL <seg:16>   posting record: per value of the field whose bucket
 *                                             it is, the entries of segment seg with that value
 *   x/t/<hour:16> NUL <seg:16>                time record: the entries of seg with ts in the hour
 *   x/a/<asset>                               asset record (JSON): first seen, erased; the rest
 *                                             of the inventory is read from the asset postings
 *
 * A segment is a run of at most {@link SEGMENT} entries indexed in one atomic batch (one append,
 * or one batch of a rebuild); `<seg:16>` is its first entry index. (measured) The cost of a
 * LevelDB batch grows with its number of keys: one record per (field, bucket, segment) instead
 * of one per (field, value, 256-entry block) cut the records an event from 1.34 to 0.21 (3.14 to
 * 0.22 without locality) in bench/lineage.ts's first 200,000 events, 0.11 over its 1,000,000.
 *
 * NUL (U+0000) separates the parts. It cannot occur inside an asset reference, an actor id, an
 * action, a control id or an outcome: schema v1 rejects every control character (general
 * category Cc) in identifiers, and actions, controls and outcomes have fixed ASCII syntaxes.
 * So every key of one asset (or one bucket) starts with `<prefix><value> NUL`, and the range
 * [`<prefix><value> NUL`, `<prefix><value> SOH`) holds exactly those keys.
 */

/** The value of `meta/index`: the format of the index records under `x/`. */
export const INDEX_FORMAT = "logseal-index/3";
/** Formats whose records all live under `x/`, which a rebuild may therefore clear. */
export const REBUILDABLE_FORMATS: readonly string[] = [
  "logseal-index/1",
  "logseal-index/2",
  INDEX_FORMAT,
];
export const META_INDEX = "meta/index";
export const META_INDEXED = "meta/indexed";

/** Most entries in one segment: a larger append is split into several. */
export const SEGMENT = 16_384;
/** Buckets a field's values are hashed into. */
export const BUCKETS = 64;
/** The time index groups entries by the hour of their ts. */
export const HOUR = 3_600_000;

export const SEP = "\u0000";
/** The character after SEP: `<p> SEP` ≤ key < `<p> END` selects one value's keys. */
const END = "\u0001";

/** The fields with posting records. */
export const FIELDS = ["actor", "action", "asset", "control", "outcome"] as const;
export type Field = (typeof FIELDS)[number];

export const pad16 = (n: number): string => n.toString().padStart(16, "0");

/**
 * The bucket of a value: FNV-1a (32-bit) of its UTF-8 bytes, modulo {@link BUCKETS}.
 */
export function bucketOf(value: string): number {
  let h = 0x811c9dc5;
  let ascii = true;
  for (let i = 0; i < value.length && ascii; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) ascii = false;
    else h = Math.imul(h ^ c, 0x01000193) >>> 0;
  }
  if (!ascii) {
    h = 0x811c9dc5;
    for (const b of Buffer.from(value, "utf8")) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  }
  return h % BUCKETS;
}

const hex2 = (b: number): string => b.toString(16).padStart(2, "0");

/** `x/p/<field> NUL <bucket> NUL`: the prefix of one bucket's posting records. */
export const postingPrefix = (field: Field, bucket: number): string =>
  `x/p/${field}${SEP}${hex2(bucket)}${SEP}`;

export const postingEnd = (field: Field, bucket: number): string =>
  `x/p/${field}${SEP}${hex2(bucket)}${END}`;

export const postingKey = (field: Field, bucket: number, seg: number): string =>
  postingPrefix(field, bucket) + pad16(seg);

export const TIME_PREFIX = "x/t/";
export const timeKey = (hour: number, seg: number): string =>
  `${TIME_PREFIX}${pad16(hour)}${SEP}${pad16(seg)}`;

/** Parses the trailing `<seg:16>` of a posting or time key; -1 if malformed. */
export function trailingIndex(key: string): number {
  if (key.length < 17 || key.charCodeAt(key.length - 17) !== 0) return -1;
  return parseIndex16(key, key.length - 16);
}

/** `up`: the inputs of an asset (what it was derived from); `dn`: its outputs. */
export type Side = "up" | "dn";

export const edgeKey = (side: Side, asset: string, other: string): string =>
  `x/${side}/${asset}${SEP}${other}`;

/** The range of every edge key of `asset` on `side`; the neighbour follows `gte`. */
export function edgeRange(side: Side, asset: string): { gte: string; lt: string } {
  const p = `x/${side}/${asset}`;
  return { gte: p + SEP, lt: p + END };
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

/** Every index record: what a rebuild clears first. */
export const INDEX_RANGE = { gte: "x/", lt: "x0" } as const;

function parseIndex16(s: string, at: number): number {
  let n = 0;
  for (let i = at; i < at + 16; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return Number.isSafeInteger(n) ? n : -1;
}
