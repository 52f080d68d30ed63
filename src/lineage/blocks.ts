/**
 * Value encodings of the index records.
 *
 * Posting and time blocks list the entries of one 256-entry block that have a value, ascending,
 * each with its ts (so a time window is checked without reading the entry):
 *
 *   block value = concat over entries ( varint(index − previous) ‖ varint(ts) )
 *
 * where "previous" is the block's first index minus one for the first entry, and varint is
 * unsigned LEB128 (7 bits a byte, least significant first, high bit set on all but the last
 * byte), at most 8 bytes (values below 2^53). An edge record is JSON:
 * `[index, ts, action, actor, outcome]` of the entry that created the edge.
 */
import { fromUtf8, utf8 } from "../bytes.js";
import { MAX_TIMESTAMP } from "../event/index.js";
import { BLOCK } from "./keys.js";

export interface Posting {
  index: number;
  ts: number;
}

/** Room for a full block: 256 entries × (8 + 8) varint bytes. */
const BLOCK_ROOM = BLOCK * 16;

/**
 * Where encoded blocks are written: one large buffer, handed out as views, replaced when full
 * (the views stay valid). (measured) A `slice` per block value allocated one ArrayBuffer each,
 * thousands per append batch; views into one 256 KiB arena cut the indexer's garbage
 * collection.
 */
let arena = new Uint8Array(256 * 1024);
let used = 0;

function writeVarint(at: number, n: number): number {
  let v = n;
  let o = at;
  while (v >= 128) {
    arena[o++] = (v % 128) + 128;
    v = Math.floor(v / 128);
  }
  arena[o++] = v;
  return o;
}

/** Encodes postings of one block (ascending, inside the block). */
export function encodeBlock(block: number, postings: readonly Posting[]): Uint8Array {
  if (used + BLOCK_ROOM > arena.length) {
    arena = new Uint8Array(arena.length);
    used = 0;
  }
  const start = used;
  let o = used;
  let prev = block - 1;
  for (const p of postings) {
    o = writeVarint(o, p.index - prev);
    o = writeVarint(o, p.ts);
    prev = p.index;
  }
  used = o;
  return arena.subarray(start, o);
}

/**
 * Decodes a block of the index (stored data: never throws).
 * @returns the postings, or null when the bytes are not a block starting at `block`
 */
export function decodeBlock(block: number, bytes: Uint8Array): Posting[] | null {
  const out: Posting[] = [];
  let off = 0;
  let prev = block - 1;
  const read = (): number => {
    let n = 0;
    let scale = 1;
    for (let k = 0; k < 8; k++) {
      if (off >= bytes.length) return -1;
      const b = bytes[off++] as number;
      n += (b % 128) * scale;
      if (b < 128) return n;
      scale *= 128;
    }
    return -1;
  };
  while (off < bytes.length) {
    const d = read();
    const ts = read();
    if (d < 1 || ts < 0 || ts > MAX_TIMESTAMP) return null;
    prev += d;
    if (prev >= block + BLOCK) return null;
    out.push({ index: prev, ts });
  }
  return out.length === 0 ? null : out;
}

/** Merges new postings into a stored block: those before the first new one are kept. */
export function mergeBlock(old: readonly Posting[], added: readonly Posting[]): Posting[] {
  const first = added[0]?.index ?? Number.POSITIVE_INFINITY;
  return [...old.filter((p) => p.index < first), ...added];
}

/** The entry that created an edge, as its record holds it. */
export interface EdgeRecord {
  index: number;
  ts: number;
  action: string;
  actor: string;
  outcome: string;
}

export function encodeEdge(r: EdgeRecord): Uint8Array {
  return utf8(JSON.stringify([r.index, r.ts, r.action, r.actor, r.outcome]));
}

/** Decodes an edge record (stored data: never throws); null when malformed. */
export function decodeEdge(bytes: Uint8Array): EdgeRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(fromUtf8(bytes) ?? "");
  } catch {
    return null;
  }
  if (
    !Array.isArray(v) ||
    v.length !== 5 ||
    !Number.isSafeInteger(v[0]) ||
    v[0] < 0 ||
    !Number.isSafeInteger(v[1]) ||
    typeof v[2] !== "string" ||
    typeof v[3] !== "string" ||
    typeof v[4] !== "string"
  ) {
    return null;
  }
  return { index: v[0], ts: v[1], action: v[2], actor: v[3], outcome: v[4] };
}
