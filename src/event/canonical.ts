/**
 * Canonical MessagePack for JSON values (formats/event-v1.md, "Canonical encoding").
 *
 *   map      fixmap 0x80-0x8f | map16 0xde | map32 0xdf, shortest; keys are str, sorted by
 *            their UTF-8 bytes (= Unicode code point order), no duplicates
 *   array    fixarray 0x90-0x9f | array16 0xdc | array32 0xdd, shortest
 *   str      fixstr 0xa0-0xbf | str8 0xd9 | str16 0xda | str32 0xdb, shortest, UTF-8
 *   integer  (safe integers, |n| <= 2^53-1; -0 is 0)
 *            n >= 0: fixint 0x00-0x7f | uint8 0xcc | uint16 0xcd | uint32 0xce | uint64 0xcf
 *            n < 0:  fixint 0xe0-0xff | int8 0xd0 | int16 0xd1 | int32 0xd2 | int64 0xd3
 *            each in the smallest type that holds it, unsigned types for n >= 0 only
 *   float    any other finite number: float64 0xcb (never float32 0xca)
 *   nil 0xc0, false 0xc2, true 0xc3
 *   never    bin 0xc4-0xc6, ext 0xc7-0xc9 and 0xd4-0xd8, float32 0xca, 0xc1
 *
 * Encoding writes these bytes directly into a growing buffer (`CanonicalWriter`); msgpackr
 * decodes, and the tests cross-check the writer against msgpackr and against a reference
 * encoder written from the spec.
 *
 * (measured) msgpackr's `pack` cannot write canonical bytes by itself: it takes keys in
 * insertion order (integer-like keys first), writes integers above 32 bits as float64 and
 * bigints as int64 0xd3. It gets there with sorted Maps, bigints and a pass rewriting 0xd3 as
 * 0xcf (the encoder this project had: 5.9 µs a demo leaf of ≈ 300 bytes), or, tuned, with
 * objects built in the cached key order and Maps only where JS would reorder keys (4.7 µs).
 * This writer takes 1.2 µs (fastest of 64 passes over 10,000 demo events, Node 20.20, 2-core
 * AMD EPYC, bench/append.ts), so it is the encoder, and msgpackr decodes.
 */

import { Unpackr } from "msgpackr";
import { isPlainObject, type JsonValue, setOwn } from "./schema.js";

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false });

/**
 * Compares strings by their UTF-8 bytes, which is Unicode code point order. JS `<` compares
 * UTF-16 code units, which puts U+10000 and above (surrogates D800-DFFF) before U+E000-U+FFFF.
 * Both strings must be well formed.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // A surrogate here starts a code point >= U+10000, above every BMP code unit.
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Strings up to this many UTF-16 code units are written by a JS loop, longer ones by
 * `Buffer#write`. (measured) Node 20.20, 2-core AMD EPYC, ASCII: the loop costs ≈ 2 ns a code
 * unit, `Buffer#write` ≈ 55 ns whatever the length up to 128; they cross near 24.
 */
const SHORT_STRING = 24;
const TWO_32 = 0x1_0000_0000;

/**
 * A growing buffer that canonical MessagePack items are written into, one after another.
 * Callers reserve room with `reserve` before writing raw bytes at `pos`; the item writers
 * reserve for themselves. Views of `bytes` go stale when it grows: take them at the end.
 */
export class CanonicalWriter {
  /** The buffer; bytes [0, pos) are written. */
  bytes: Uint8Array;
  pos = 0;
  #buffer: Buffer;
  #view: DataView;

  constructor(capacity = 1024) {
    const ab = new ArrayBuffer(Math.max(capacity, 64));
    this.bytes = new Uint8Array(ab);
    this.#buffer = Buffer.from(ab);
    this.#view = new DataView(ab);
  }

  /** Makes room for `n` more bytes at `pos`. */
  reserve(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    const ab = new ArrayBuffer(Math.max(this.bytes.length * 2, this.pos + n));
    const bytes = new Uint8Array(ab);
    bytes.set(this.bytes.subarray(0, this.pos));
    this.bytes = bytes;
    this.#buffer = Buffer.from(ab);
    this.#view = new DataView(ab);
  }

  /** Any JSON value, canonically. @throws TypeError on a value that is not JSON. */
  value(x: unknown): void {
    switch (typeof x) {
      case "string":
        this.string(x);
        return;
      case "number":
        this.number(x);
        return;
      case "boolean":
        this.reserve(1);
        this.bytes[this.pos++] = x ? 0xc3 : 0xc2;
        return;
      case "object":
        if (x === null) {
          this.reserve(1);
          this.bytes[this.pos++] = 0xc0;
          return;
        }
        if (Array.isArray(x)) {
          this.arrayHeader(x.length);
          for (let i = 0; i < x.length; i++) this.value(x[i]);
          return;
        }
        if (!isPlainObject(x)) break;
        this.object(x);
        return;
      default:
        break;
    }
    throw new TypeError(`cannot encode a ${typeof x} as canonical MessagePack`);
  }

  /** A map with its keys in UTF-8 byte order. */
  object(x: Record<string, unknown>): void {
    const keys = Object.keys(x);
    const n = keys.length;
    if (n > 1) sortKeys(keys);
    this.mapHeader(n);
    for (let i = 0; i < n; i++) {
      const k = keys[i] as string;
      this.string(k);
      this.value(x[k]);
    }
  }

  /** A map header for `n` entries (the entries follow). */
  mapHeader(n: number): void {
    this.reserve(5);
    if (n <= 15) this.bytes[this.pos++] = 0x80 | n;
    else this.#header(n, 0xde, 0xdf);
  }

  /** An array header for `n` items (the items follow). */
  arrayHeader(n: number): void {
    this.reserve(5);
    if (n <= 15) this.bytes[this.pos++] = 0x90 | n;
    else this.#header(n, 0xdc, 0xdd);
  }

  /** A 16- or 32-bit count after its type byte. */
  #header(n: number, t16: number, t32: number): void {
    const b = this.bytes;
    let p = this.pos;
    if (n <= 0xffff) {
      b[p++] = t16;
    } else {
      b[p++] = t32;
      b[p++] = n >>> 24;
      b[p++] = (n >>> 16) & 0xff;
    }
    b[p++] = (n >>> 8) & 0xff;
    b[p++] = n & 0xff;
    this.pos = p;
  }

  /** A finite number: the shortest integer form for a safe integer, float64 otherwise. */
  number(x: number): void {
    if (Number.isSafeInteger(x)) this.integer(x);
    else if (Number.isFinite(x)) {
      this.reserve(9);
      this.bytes[this.pos] = 0xcb;
      this.#view.setFloat64(this.pos + 1, x);
      this.pos += 9;
    } else throw new TypeError(`cannot encode ${x}`);
  }

  /** A safe integer (-0 is 0), in the shortest form; unsigned forms for n >= 0 only. */
  integer(x: number): void {
    this.reserve(9);
    const b = this.bytes;
    let p = this.pos;
    if (x >= 0) {
      if (x <= 0x7f) b[p++] = x;
      else if (x <= 0xff) {
        b[p++] = 0xcc;
        b[p++] = x;
      } else if (x <= 0xffff) {
        b[p++] = 0xcd;
        b[p++] = x >>> 8;
        b[p++] = x & 0xff;
      } else if (x <= 0xffff_ffff) {
        b[p++] = 0xce;
        p = be32(b, p, x);
      } else {
        b[p++] = 0xcf;
        p = be32(b, p, Math.floor(x / TWO_32));
        p = be32(b, p, x >>> 0);
      }
    } else if (x >= -32) b[p++] = x & 0xff;
    else if (x >= -128) {
      b[p++] = 0xd0;
      b[p++] = x & 0xff;
    } else if (x >= -32768) {
      b[p++] = 0xd1;
      b[p++] = (x >> 8) & 0xff;
      b[p++] = x & 0xff;
    } else if (x >= -0x8000_0000) {
      b[p++] = 0xd2;
      p = be32(b, p, x);
    } else {
      // Two's complement over 64 bits: the high word is floor(x / 2^32), the low word the rest.
      const hi = Math.floor(x / TWO_32);
      b[p++] = 0xd3;
      p = be32(b, p, hi);
      p = be32(b, p, x - hi * TWO_32);
    }
    this.pos = p;
  }

  /**
   * A string as UTF-8 with the shortest str header. A lone surrogate becomes U+FFFD, as in
   * every UTF-8 encoder of the platform (events never hold one: the validator rejects them).
   */
  string(s: string): void {
    const n = s.length;
    if (n > SHORT_STRING) {
      this.#longString(s);
      return;
    }
    // At most 3 bytes per code unit; a 1-byte fixstr header is assumed and widened if needed.
    this.reserve(2 + 3 * n);
    const b = this.bytes;
    const start = this.pos + 1;
    let p = start;
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        b[p++] = c;
        continue;
      }
      if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && (d & 0xfc00) === 0xdc00) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            b[p++] = 0xf0 | (c >> 18);
            b[p++] = 0x80 | ((c >> 12) & 0x3f);
          } else {
            c = 0xfffd; // a lone surrogate
            b[p++] = 0xe0 | (c >> 12);
          }
        } else {
          b[p++] = 0xe0 | (c >> 12);
        }
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
      }
      b[p++] = 0x80 | (c & 0x3f);
    }
    const len = p - start;
    if (len <= 31) {
      b[start - 1] = 0xa0 | len;
      this.pos = p;
    } else {
      // str8 (len <= 3 * SHORT_STRING bytes): one more header byte.
      b.copyWithin(start + 1, start, p);
      b[start - 1] = 0xd9;
      b[start] = len;
      this.pos = p + 1;
    }
  }

  #longString(s: string): void {
    // The header for the fewest bytes the string can take (one per code unit), moved up if it
    // takes more (Buffer#write writes WHATWG UTF-8: lone surrogates as U+FFFD).
    const n = s.length;
    const h = strHeaderSize(n);
    this.reserve(5 + 3 * n);
    const len = this.#buffer.write(s, this.pos + h, 3 * n, "utf8");
    const h2 = strHeaderSize(len);
    const b = this.bytes;
    let p = this.pos;
    if (h2 !== h) b.copyWithin(p + h2, p + h, p + h + len);
    if (len <= 31) b[p++] = 0xa0 | len;
    else if (len <= 0xff) {
      b[p++] = 0xd9;
      b[p++] = len;
    } else if (len <= 0xffff) {
      b[p++] = 0xda;
      b[p++] = len >>> 8;
      b[p++] = len & 0xff;
    } else {
      b[p++] = 0xdb;
      p = be32(b, p, len);
    }
    this.pos = p + len;
  }

  /** Raw bytes, such as a pre-encoded key. */
  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.reserve(n);
    const b = this.bytes;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = bytes[i] as number;
    this.pos = p;
  }
}

function strHeaderSize(len: number): number {
  return len <= 31 ? 1 : len <= 0xff ? 2 : len <= 0xffff ? 3 : 5;
}

/** Writes the low 32 bits of `x` big-endian at `p`; returns the position after them. */
function be32(b: Uint8Array, p: number, x: number): number {
  b[p] = (x >>> 24) & 0xff;
  b[p + 1] = (x >>> 16) & 0xff;
  b[p + 2] = (x >>> 8) & 0xff;
  b[p + 3] = x & 0xff;
  return p + 4;
}

/**
 * Sorts keys into UTF-8 byte order, in place. (measured) Insertion sort beats `Array#sort`
 * with the same comparator up to 16 keys (6 keys: 58 ns against 172; 16: 0.50 µs against
 * 0.67; 32: even), Node 20.20; more keys go to `Array#sort`.
 */
export function sortKeys(keys: string[]): void {
  const n = keys.length;
  if (n > 16) {
    keys.sort(compareUtf8);
    return;
  }
  for (let i = 1; i < n; i++) {
    const k = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && compareUtf8(keys[j] as string, k) > 0) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = k;
  }
}

/**
 * The writer `encodeCanonical` reuses, or undefined while a call is using it. (measured) A
 * fresh writer costs ≈ 0.75 µs a call (a 4 KiB buffer and two views), about what encoding a
 * demo leaf takes; reusing one, 0.06 µs (Node 20.20).
 */
let shared: CanonicalWriter | undefined = new CanonicalWriter(4096);

/**
 * Encodes a JSON value canonically. The value must be valid for the log (finite numbers,
 * well-formed strings, plain objects and arrays only): the schema validator checks that first.
 * @returns fresh bytes
 * @throws TypeError on a value that is not JSON (a caller bug).
 */
export function encodeCanonical(value: JsonValue): Uint8Array {
  const w = shared ?? new CanonicalWriter(); // a getter that encodes re-entrantly gets its own
  shared = undefined;
  try {
    w.pos = 0;
    w.value(value);
    return w.bytes.slice(0, w.pos);
  } finally {
    // Keep one buffer of ordinary size between calls, not the largest ever written.
    shared = w.bytes.length <= 1 << 20 ? w : new CanonicalWriter(4096);
  }
}

// The result of `measure`, in module variables: no allocation per item (measured: an object
// per item made decoding a typical 360-byte leaf about 1 µs slower).
/** Header bytes of the item (type byte and length or count). */
let head = 0;
/** Payload bytes of a scalar; 0 for containers. */
let body = 0;
/** Children of a container (two per map entry); 0 for scalars. */
let children = 0;

/**
 * Measures the item at `pos` into `head`, `body` and `children`, for the types a canonical leaf
 * may hold; false for any other type byte. Lengths are read but not bounds-checked here.
 * Never throws.
 */
function measure(b: Uint8Array, pos: number): boolean {
  const t = b[pos] as number;
  head = 1;
  body = 0;
  children = 0;
  if (t <= 0x7f || t >= 0xe0) return true; // fixint
  if (t <= 0x8f)
    children = 2 * (t & 0x0f); // fixmap
  else if (t <= 0x9f)
    children = t & 0x0f; // fixarray
  else if (t <= 0xbf)
    body = t & 0x1f; // fixstr
  else {
    switch (t) {
      case 0xc0: // nil
      case 0xc2: // false
      case 0xc3: // true
        break;
      case 0xcc: // uint8
      case 0xd0: // int8
        body = 1;
        break;
      case 0xcd: // uint16
      case 0xd1: // int16
        body = 2;
        break;
      case 0xce: // uint32
      case 0xd2: // int32
        body = 4;
        break;
      case 0xcb: // float64
      case 0xcf: // uint64
      case 0xd3: // int64
        body = 8;
        break;
      case 0xd9: // str8
        head = 2;
        body = readUint(b, pos + 1, 1);
        break;
      case 0xda: // str16
        head = 3;
        body = readUint(b, pos + 1, 2);
        break;
      case 0xdb: // str32
        head = 5;
        body = readUint(b, pos + 1, 4);
        break;
      case 0xdc: // array16
        head = 3;
        children = readUint(b, pos + 1, 2);
        break;
      case 0xdd: // array32
        head = 5;
        children = readUint(b, pos + 1, 4);
        break;
      case 0xde: // map16
        head = 3;
        children = 2 * readUint(b, pos + 1, 2);
        break;
      case 0xdf: // map32
        head = 5;
        children = 2 * readUint(b, pos + 1, 4);
        break;
      default:
        return false; // 0xc1, bin, ext, fixext, float32
    }
  }
  return true;
}

/** Big-endian unsigned integer of `n` bytes; missing bytes read as 0 (the caller bounds-checks). */
function readUint(b: Uint8Array, pos: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + (b[pos + i] ?? 0);
  return v;
}

/** The result of `scanStructure`: where and why the bytes are not a well-formed item. */
export type ScanResult =
  | { ok: true }
  | { ok: false; offset: number; reason: string; tooDeep?: true };

/**
 * Checks that `b` holds exactly one MessagePack item built only from the types a canonical
 * leaf may hold, with every length inside the buffer and containers nested at most `maxDepth`
 * deep (the outermost container is depth 1). It does not check canonical forms: decoding and
 * re-encoding does. Iterative, so hostile nesting cannot exhaust the stack. Never throws.
 * Attacker-controlled input: this runs before msgpackr sees the bytes, so that msgpackr never
 * meets an extension type, a length beyond the buffer, or unbounded nesting.
 */
export function scanStructure(b: Uint8Array, maxDepth: number): ScanResult {
  const remaining: number[] = [1]; // items still expected at each open level; [0] is the root
  let pos = 0;
  while (remaining.length > 0) {
    const top = remaining.length - 1;
    if (remaining[top] === 0) {
      remaining.pop();
      continue;
    }
    remaining[top] = (remaining[top] as number) - 1;
    if (pos >= b.length) return { ok: false, offset: pos, reason: "truncated: an item is missing" };
    const t = b[pos] as number;
    if (!measure(b, pos)) {
      return { ok: false, offset: pos, reason: `type byte 0x${hex2(t)} is not allowed in a leaf` };
    }
    if (pos + head + body > b.length) {
      return { ok: false, offset: pos, reason: "truncated: the item runs past the end" };
    }
    if (body > 0 && isString(t) && !isUtf8(b, pos + head, pos + head + body)) {
      return { ok: false, offset: pos, reason: "a string is not valid UTF-8" };
    }
    pos += head + body;
    if (isContainer(t)) {
      // Every child takes at least one byte: reject impossible counts before anyone allocates.
      if (children > b.length - pos) {
        return {
          ok: false,
          offset: pos,
          reason: "truncated: fewer bytes than the container count",
        };
      }
      if (remaining.length > maxDepth) {
        return { ok: false, offset: pos, reason: `nested deeper than ${maxDepth}`, tooDeep: true };
      }
      remaining.push(children);
    }
  }
  if (pos !== b.length) {
    return { ok: false, offset: pos, reason: `${b.length - pos} trailing bytes after the item` };
  }
  return { ok: true };
}

function isString(t: number): boolean {
  return (t >= 0xa0 && t <= 0xbf) || (t >= 0xd9 && t <= 0xdb);
}

/**
 * Strict UTF-8 (RFC 3629 §4): no overlong forms, no surrogates (U+D800-U+DFFF), nothing above
 * U+10FFFF. Checked here so that every decoder rejects such bytes the same way, whatever its
 * string decoder would make of them.
 */
function isUtf8(b: Uint8Array, i: number, end: number): boolean {
  while (i < end) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number; // continuation bytes
    let lo = 0x80; // range of the first continuation byte
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return false;
    if (i + n >= end) return false; // truncated sequence
    const c1 = b[i + 1] as number;
    if (c1 < lo || c1 > hi) return false;
    for (let k = 2; k <= n; k++) {
      const ck = b[i + k] as number;
      if (ck < 0x80 || ck > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

function isContainer(t: number): boolean {
  return (t >= 0x80 && t <= 0x9f) || (t >= 0xdc && t <= 0xdf);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/**
 * Decodes bytes that passed `scanStructure` into plain JSON-like values: maps become plain
 * objects (a `__proto__` key becomes an own property, never the prototype), int64/uint64 in the
 * safe range become numbers, larger ones stay bigints for the validator to reject.
 * @throws Error from msgpackr or on a non-string map key; the caller wraps it.
 */
export function decodeCanonical(b: Uint8Array): unknown {
  // A fresh view: msgpackr stores a `dataView` property on the array it is given, and the
  // caller's array must come back untouched.
  return toPlain(unpackr.unpack(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
}

function toPlain(x: unknown): unknown {
  if (x instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of x) {
      if (typeof k !== "string") throw new TypeError(`a map key is a ${typeof k}, not a string`);
      setOwn(o, k, toPlain(v));
    }
    return o;
  }
  if (Array.isArray(x)) return x.map(toPlain);
  if (typeof x === "bigint") {
    const n = Number(x);
    return Number.isSafeInteger(n) ? n : x;
  }
  return x;
}
