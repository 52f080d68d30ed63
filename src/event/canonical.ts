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
 * Encoding goes through msgpackr (Packr, useRecords: false) over a tree of Maps built in
 * sorted key order. msgpackr writes the shortest form for integers that fit 32 bits, strings,
 * maps and arrays; it writes other integers as float64 (numbers) or always as int64 0xd3
 * (bigints), so integers beyond 32 bits go in as bigints and a final pass turns each 0xd3 with
 * a non-negative payload into 0xcf (the 8 payload bytes are the same for both).
 */

import { Packr, Unpackr } from "msgpackr";
import { isPlainObject, type JsonValue, setOwn } from "./schema.js";

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false });

const UINT32_MAX = 0xffff_ffff;
const INT32_MIN = -0x8000_0000;

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
 * Encodes a JSON value canonically. The value must be valid for the log (finite numbers,
 * well-formed strings, plain objects and arrays only): the schema validator checks that first.
 * @throws TypeError on a value that is not JSON (a caller bug).
 */
export function encodeCanonical(value: JsonValue): Uint8Array {
  const packed = packr.pack(toPackable(value));
  // Copy: msgpackr returns a view of a buffer that it reuses for later calls.
  const out = new Uint8Array(packed);
  fixUint64(out);
  return out;
}

function toPackable(x: unknown): unknown {
  switch (typeof x) {
    case "string":
    case "boolean":
      return x;
    case "number":
      if (!Number.isFinite(x)) throw new TypeError(`cannot encode ${x}`);
      if (!Number.isSafeInteger(x)) return x; // float64
      if (x === 0) return 0; // -0
      if (x > UINT32_MAX || x < INT32_MIN) return BigInt(x); // see fixUint64
      return x;
    case "object": {
      if (x === null) return null;
      if (Array.isArray(x)) return x.map(toPackable);
      if (!isPlainObject(x)) break;
      const keys = Object.keys(x).sort(compareUtf8);
      const m = new Map<string, unknown>();
      for (const k of keys) m.set(k, toPackable(x[k]));
      return m;
    }
    default:
      break;
  }
  throw new TypeError(`cannot encode a ${typeof x} as canonical MessagePack`);
}

/**
 * Rewrites int64 0xd3 with a non-negative payload as uint64 0xcf, in place. Only integers
 * above 2^32-1 reach msgpackr as bigints, so every such 0xd3 is one of ours. Walks the items
 * in order: containers contribute only their header, so no stack is needed.
 */
function fixUint64(b: Uint8Array): void {
  let pos = 0;
  while (pos < b.length) {
    if (b[pos] === 0xd3 && (b[pos + 1] as number) < 0x80) b[pos] = 0xcf;
    if (!measure(b, pos)) throw new Error("canonical: msgpackr wrote an unexpected type"); // bug
    pos += head + body;
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
