/**
 * Value encodings of the index records (formats/lineage.md, "Values").
 *
 * A posting list of one segment lists entries ascending, each with its ts:
 *
 *   postings = concat over entries ( varint(index − previous) ‖ varint(zigzag(ts − previousTs)) )
 *
 * where "previous" is the segment's first index minus one and "previousTs" is 0 for the first
 * entry; varint is unsigned LEB128 (7 bits a byte, least significant first, high bit set on all
 * but the last byte), at most 8 bytes; zigzag(d) is 2d for d ≥ 0 and −2d − 1 below.
 *
 * A posting record (`x/p/<field> NUL <bucket> NUL <seg>`) holds one group per value of the
 * bucket that segment has:
 *
 *   group = varint(len(value)) ‖ value (UTF-8) ‖ varint(count) ‖ varint(len(postings)) ‖ postings
 *
 * A time record holds postings alone. An edge record is JSON `[index, ts, action, actor,
 * outcome]` of the entry that created the edge.
 */
import { fromUtf8, utf8 } from "../bytes.js";
import { MAX_TIMESTAMP } from "../event/index.js";
import type { FieldPostings } from "./postings.js";

export interface Posting {
  index: number;
  ts: number;
}

/** A growable byte buffer for encoding records; `take` hands out a copy-free view. */
export class ByteWriter {
  // A Buffer, for its `write` of UTF-8 text in place.
  bytes: Buffer = Buffer.alloc(64 * 1024);
  pos = 0;
  #start = 0;

  reserve(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    // A new buffer: views already taken keep the old one.
    const used = this.pos - this.#start;
    const next = Buffer.alloc(Math.max(this.bytes.length, (used + n) * 2));
    next.set(this.bytes.subarray(this.#start, this.pos));
    this.bytes = next;
    this.pos = used;
    this.#start = 0;
  }

  varint(n: number): void {
    this.reserve(8);
    let v = n;
    const b = this.bytes;
    while (v >= 128) {
      b[this.pos++] = (v % 128) + 128;
      v = Math.floor(v / 128);
    }
    b[this.pos++] = v;
  }

  text(s: string): void {
    // Values are short; UTF-8 length at most 3 bytes a UTF-16 unit.
    this.reserve(s.length * 3 + 8);
    const len = this.bytes.write(s, this.pos + 8, "utf8");
    // Written 8 bytes ahead, then moved behind its length prefix.
    const at = this.pos + 8;
    this.varint(len);
    this.bytes.copyWithin(this.pos, at, at + len);
    this.pos += len;
  }

  /** The bytes written since the last take. */
  take(): Uint8Array {
    const out = this.bytes.subarray(this.#start, this.pos);
    this.#start = this.pos;
    if (this.bytes.length - this.pos < 4096) {
      this.bytes = Buffer.alloc(this.bytes.length);
      this.pos = 0;
      this.#start = 0;
    }
    return out;
  }
}

/**
 * Writes the postings of one segment: `list` holds index, ts pairs, ascending by index.
 * @returns the bytes written
 */
export function writePostings(w: ByteWriter, seg: number, list: readonly number[]): number {
  const at = w.pos;
  let prev = seg - 1;
  let prevTs = 0;
  for (let k = 0; k < list.length; k += 2) {
    const index = list[k] as number;
    const ts = list[k + 1] as number;
    const d = ts - prevTs;
    w.varint(index - prev);
    w.varint(d >= 0 ? 2 * d : -2 * d - 1);
    prev = index;
    prevTs = ts;
  }
  return w.pos - at;
}

/** Writes one group of a posting record: local value `v` of `postings`, whose UTF-8 is `value`. */
export function writeGroup(
  w: ByteWriter,
  seg: number,
  postings: FieldPostings,
  v: number,
  value: Uint8Array,
): void {
  const count = postings.count(v);
  // All of it at once: a reserve that moved the buffer would move `at` below.
  w.reserve(value.length + 8 + 8 + 4 + count * 16);
  w.varint(value.length);
  w.bytes.set(value, w.pos);
  w.pos += value.length;
  w.varint(count);
  // The postings go 4 bytes after here, then are moved behind their length, once known: the
  // length of a segment's postings is below 2^28 (16,384 postings of at most 16 bytes).
  const at = w.pos;
  w.pos = at + 4;
  const n = postings.write(w, seg, v);
  w.pos = at;
  w.varint(n);
  if (w.pos !== at + 4) w.bytes.copyWithin(w.pos, at + 4, at + 4 + n);
  w.pos += n;
}

/** A reader over stored bytes (never throws: -1 on a bad varint). */
class Reader {
  off = 0;
  constructor(readonly bytes: Uint8Array) {}
  varint(): number {
    let n = 0;
    let scale = 1;
    const b = this.bytes;
    for (let k = 0; k < 8; k++) {
      if (this.off >= b.length) return -1;
      const x = b[this.off++] as number;
      n += (x % 128) * scale;
      if (x < 128) return n;
      scale *= 128;
    }
    return -1;
  }

  /** Of the posting group whose header {@link group} read last: where its value's bytes are. */
  nameAt = 0;
  nameLen = 0;
  /** Its number of postings, and their size in bytes (they start at `off`). */
  count = 0;
  size = 0;

  /**
   * Reads the header of the posting group at `off` (value length, value, count, size), leaving
   * `off` at its postings; false when it is malformed or its postings run past the bytes.
   */
  group(): boolean {
    const len = this.varint();
    if (len < 1 || this.off + len > this.bytes.length) return false;
    this.nameAt = this.off;
    this.nameLen = len;
    this.off += len;
    this.count = this.varint();
    this.size = this.varint();
    return this.count >= 1 && this.size >= 2 && this.off + this.size <= this.bytes.length;
  }

  /** The last posting {@link posting} read: its entry index and its ts. */
  index = 0;
  ts = 0;

  /** Starts reading the postings of segment `seg` (their deltas start from its first index). */
  postings(seg: number): void {
    this.index = seg - 1;
    this.ts = 0;
  }

  /** Reads the next posting (index delta, zigzag ts delta) before `end`; false when malformed. */
  posting(end: number): boolean {
    const d = this.varint();
    const z = this.varint();
    if (d < 1 || z < 0 || this.off > end) return false;
    this.index += d;
    this.ts += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    return this.ts >= 0 && this.ts <= MAX_TIMESTAMP && Number.isSafeInteger(this.index);
  }

  /** The value of the group {@link group} read last, decoded; null when not UTF-8. */
  name(): string | null {
    return fromUtf8(this.bytes.subarray(this.nameAt, this.nameAt + this.nameLen));
  }
}

/** Decodes postings of segment `seg` in bytes [off, end); null when malformed. */
function readPostings(
  bytes: Uint8Array,
  off: number,
  end: number,
  seg: number,
  count: number,
  out: Posting[],
): boolean {
  const r = new Reader(bytes.subarray(0, end));
  r.off = off;
  r.postings(seg);
  let n = 0;
  while (r.off < end) {
    if (!r.posting(end)) return false;
    out.push({ index: r.index, ts: r.ts });
    n++;
  }
  return count < 0 || n === count;
}

/**
 * Decodes a time record (stored data: never throws).
 * @returns the postings, or null when the bytes are not a time record of segment `seg`
 */
export function decodePostings(seg: number, bytes: Uint8Array): Posting[] | null {
  const out: Posting[] = [];
  if (bytes.length === 0 || !readPostings(bytes, 0, bytes.length, seg, -1, out)) return null;
  return out;
}

/**
 * The postings of `value` in a posting record of segment `seg` (stored data: never throws).
 * @param value the value's UTF-8 bytes
 * @returns the postings (empty when the record has no group for the value), or null when the
 *   bytes are not a posting record
 */
export function decodeGroup(seg: number, bytes: Uint8Array, value: Uint8Array): Posting[] | null {
  const r = new Reader(bytes);
  while (r.off < bytes.length) {
    if (!r.group()) return null;
    const { count, size } = r;
    if (r.nameLen === value.length && sameBytes(bytes, r.nameAt, value)) {
      const out: Posting[] = [];
      return readPostings(bytes, r.off, r.off + size, seg, count, out) ? out : null;
    }
    r.off += size;
  }
  return [];
}

/** Every group of a posting record, value → postings; null when malformed. */
export function decodeGroups(seg: number, bytes: Uint8Array): Map<string, Posting[]> | null {
  const r = new Reader(bytes);
  const out = new Map<string, Posting[]>();
  while (r.off < bytes.length) {
    const name = r.group() ? r.name() : null;
    if (name === null) return null;
    const { count, size } = r;
    const list: Posting[] = [];
    if (!readPostings(bytes, r.off, r.off + size, seg, count, list) || out.has(name)) return null;
    out.set(name, list);
    r.off += size;
  }
  return out.size === 0 ? null : out;
}

function sameBytes(b: Uint8Array, at: number, v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) if (b[at + i] !== v[i]) return false;
  return true;
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

/**
 * Calls `fn` with each group of a posting record of segment `seg`: its value, its number of
 * postings and its last posting, without building the postings (stored data: never throws).
 * @param each when given, called with every posting's index (ascending within the group)
 * @returns false when the bytes are not a posting record
 */
export function forEachGroup(
  seg: number,
  bytes: Uint8Array,
  fn: (value: string, count: number, last: number, lastTs: number) => void,
  each?: (value: string, index: number) => void,
): boolean {
  const r = new Reader(bytes);
  while (r.off < bytes.length) {
    const name = r.group() ? r.name() : null;
    if (name === null) return false;
    const count = r.count;
    const end = r.off + r.size;
    r.postings(seg);
    let n = 0;
    while (r.off < end) {
      if (!r.posting(end)) return false;
      each?.(name, r.index);
      n++;
    }
    if (n !== count) return false;
    fn(name, count, r.index, r.ts);
  }
  return bytes.length > 0;
}
