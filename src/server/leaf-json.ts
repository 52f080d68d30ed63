/**
 * The JSON text of an event straight from its leaf bytes (canonical MessagePack,
 * formats/event-v1.md), for the live tail: the same bytes as the UTF-8 of
 * `JSON.stringify(decodeLeaf(leaf))`, without building the event.
 *
 *   leaf  8c a6 616374696f6e ac 6461…   (the map's keys sorted by their UTF-8 bytes)
 *   JSON  {"v":1,"id":"…","ts":…,"at":…,"actor":{"id":"…"},"action":"dataset.read",…}
 *
 * The order of the members is the order JSON.stringify gives the decoded event: the event's
 * fields in schema order (`v, id, ts, at, actor, action, outcome, asset, inputs, outputs,
 * controls, details`), `actor` as `id, role, kind`, and every object inside `details` as a
 * JavaScript object enumerates its keys: array-index keys ("0", "17") first in ascending
 * order, then the others in the leaf's order. Strings are escaped as JSON.stringify escapes
 * them (`\"`, `\\`, `\b \f \n \r \t`, other controls as `\u00xx`); numbers are written as
 * `String(n)` writes them.
 *
 * Trusted input only: the leaves that the append path has just encoded (`NewEntry.leaf`),
 * which are canonical and valid by construction. It does not validate; a leaf read back from
 * the store goes through `decodeLeaf`, which does.
 *
 * (measured) bench/serve.ts --cpu-prof, load 10: the live tail's frames were 15% of the
 * server's main thread, two thirds of it `decodeLeaf` (which scans, decodes, validates and
 * re-encodes each leaf) and the rest JSON.stringify; with this, 3.7%. Per demo leaf (≈ 305
 * bytes), CPU time at load 10: 2.4–4.6 µs here against 18.6–24.6 µs for
 * `JSON.stringify(decodeLeaf(leaf))`. test/server/leaf-json.test.ts checks the equality.
 */

import { FIELDS } from "../event/schema.js";

/** A growing byte buffer that JSON text is written into. */
export class JsonBytes {
  bytes: Uint8Array;
  pos = 0;

  constructor(capacity = 4096) {
    this.bytes = new Uint8Array(Math.max(capacity, 64));
  }

  /** Makes room for `n` more bytes at `pos`. */
  reserve(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
  }

  /** Appends ASCII text (frame headers, digits). */
  ascii(s: string): void {
    this.reserve(s.length);
    const b = this.bytes;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Appends any text as UTF-8. */
  utf8(s: string): void {
    this.reserve(3 * s.length);
    this.pos += Buffer.from(this.bytes.buffer, this.bytes.byteOffset).write(s, this.pos);
  }

  /** Appends bytes. */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  byte(c: number): void {
    this.reserve(1);
    this.bytes[this.pos++] = c;
  }
}

/** The event's fields in the order `validateStoredEvent` builds them. */
const EVENT_ORDER = FIELDS;
const ACTOR_ORDER = ["id", "role", "kind"] as const;
const ACTOR = EVENT_ORDER.indexOf("actor");

/**
 * A key's length, first and last byte, which tell the names of each list above apart; the
 * whole key is still compared before it is trusted.
 */
const keyCode = (len: number, first: number, last: number): number =>
  (len << 16) | (first << 8) | last;
const codes = (names: readonly string[]): Map<number, number> =>
  new Map(names.map((n, i) => [keyCode(n.length, n.charCodeAt(0), n.charCodeAt(n.length - 1)), i]));
const EVENT_CODES = codes(EVENT_ORDER);
const ACTOR_CODES = codes(ACTOR_ORDER);
/** `"name":` and `,"name":` of each field, as bytes. */
const heads = (names: readonly string[]) =>
  names.map((n) => [Buffer.from(`"${n}":`), Buffer.from(`,"${n}":`)] as const);
const EVENT_HEADS = heads(EVENT_ORDER);
const ACTOR_HEADS = heads(ACTOR_ORDER);

// Where each field's value starts in the leaf (-1: absent). Reused: nothing here re-enters.
const eventAt = new Int32Array(EVENT_ORDER.length);
const actorAt = new Int32Array(ACTOR_ORDER.length);

// Results of the header readers below, in module variables so that reading a header allocates
// nothing. (measured) Returning [start, end] pairs and {count, at} objects made the transcoder
// about twice as slow on demo leaves.
/** The entry count of the last container header read. */
let count = 0;
/** The end of the last string header read's bytes (its start is what the reader returned). */
let strEnd = 0;

/**
 * Appends the JSON text of the event in `leaf` to `out`.
 * @param leaf a leaf the append path encoded (not validated here: see the module comment)
 */
export function writeLeafJson(leaf: Uint8Array, out: JsonBytes): void {
  writeFields(leaf, 0, out, EVENT_ORDER, EVENT_CODES, EVENT_HEADS, eventAt);
}

/** The map at `pos` with its members in the order of `names`; `actor` in its own order. */
function writeFields(
  b: Uint8Array,
  pos: number,
  out: JsonBytes,
  names: readonly string[],
  codes: Map<number, number>,
  heads: ReadonlyArray<readonly [Uint8Array, Uint8Array]>,
  at: Int32Array,
): number {
  let p = mapHeader(b, pos);
  const n = count;
  at.fill(-1);
  for (let i = 0; i < n; i++) {
    const ks = strHeader(b, p);
    const ke = strEnd;
    const len = ke - ks;
    const j = len === 0 ? undefined : codes.get(keyCode(len, b[ks] as number, b[ke - 1] as number));
    if (j === undefined || !keyIs(b, ks, ke, names[j] as string)) {
      throw new Error("leaf-json: a field outside schema v1");
    }
    at[j] = ke;
    p = skip(b, ke);
  }
  out.byte(0x7b); // {
  let first = true;
  for (let j = 0; j < names.length; j++) {
    const v = at[j] as number;
    if (v < 0) continue;
    const head = heads[j] as readonly [Uint8Array, Uint8Array];
    out.raw(first ? head[0] : head[1]);
    first = false;
    if (at === eventAt && j === ACTOR) {
      writeFields(b, v, out, ACTOR_ORDER, ACTOR_CODES, ACTOR_HEADS, actorAt);
    } else writeValue(b, v, out);
  }
  out.byte(0x7d); // }
  return p;
}

function keyIs(b: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (b[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

/** The position right after the item at `pos`. */
function skip(b: Uint8Array, pos: number): number {
  let pending = 1;
  while (pending > 0) {
    pending--;
    const t = b[pos] as number;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) pos += 1;
    else if (t >= 0xa0 && t <= 0xbf) pos += 1 + (t & 0x1f);
    else if (t >= 0x80 && t <= 0x8f) {
      pending += 2 * (t & 0x0f);
      pos += 1;
    } else if (t >= 0x90 && t <= 0x9f) {
      pending += t & 0x0f;
      pos += 1;
    } else {
      switch (t) {
        case 0xcc:
        case 0xd0:
          pos += 2;
          break;
        case 0xcd:
        case 0xd1:
          pos += 3;
          break;
        case 0xce:
        case 0xd2:
          pos += 5;
          break;
        case 0xcf:
        case 0xd3:
        case 0xcb:
          pos += 9;
          break;
        case 0xd9:
          pos += 2 + (b[pos + 1] as number);
          break;
        case 0xda:
          pos += 3 + u16(b, pos + 1);
          break;
        case 0xdb:
          pos += 5 + u32(b, pos + 1);
          break;
        case 0xdc:
          pending += u16(b, pos + 1);
          pos += 3;
          break;
        case 0xdd:
          pending += u32(b, pos + 1);
          pos += 5;
          break;
        case 0xde:
          pending += 2 * u16(b, pos + 1);
          pos += 3;
          break;
        case 0xdf:
          pending += 2 * u32(b, pos + 1);
          pos += 5;
          break;
        default:
          throw new Error(`leaf-json: type byte 0x${t.toString(16)} is not in a leaf`);
      }
    }
  }
  return pos;
}

function u16(b: Uint8Array, p: number): number {
  return ((b[p] as number) << 8) | (b[p + 1] as number);
}

function u32(b: Uint8Array, p: number): number {
  return (
    (b[p] as number) * 0x1000000 +
    (((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number))
  );
}

/** A map header at `pos`: sets `count`, returns where the first key starts. */
function mapHeader(b: Uint8Array, pos: number): number {
  const t = b[pos] as number;
  if (t >= 0x80 && t <= 0x8f) {
    count = t & 0x0f;
    return pos + 1;
  }
  if (t === 0xde) {
    count = u16(b, pos + 1);
    return pos + 3;
  }
  if (t === 0xdf) {
    count = u32(b, pos + 1);
    return pos + 5;
  }
  throw new Error(`leaf-json: expected a map at ${pos}`);
}

/** A string header at `pos`: sets `strEnd`, returns where its bytes start. */
function strHeader(b: Uint8Array, pos: number): number {
  const t = b[pos] as number;
  let start: number;
  if (t >= 0xa0 && t <= 0xbf) {
    start = pos + 1;
    strEnd = start + (t & 0x1f);
  } else if (t === 0xd9) {
    start = pos + 2;
    strEnd = start + (b[pos + 1] as number);
  } else if (t === 0xda) {
    start = pos + 3;
    strEnd = start + u16(b, pos + 1);
  } else if (t === 0xdb) {
    start = pos + 5;
    strEnd = start + u32(b, pos + 1);
  } else throw new Error(`leaf-json: expected a string at ${pos}`);
  return start;
}

// float64 is big-endian in MessagePack: its bytes are reversed into this little-endian scratch.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The item at `pos` as JSON; returns the position after it. */
function writeValue(b: Uint8Array, pos: number, out: JsonBytes): number {
  const t = b[pos] as number;
  if (t <= 0x7f) {
    writeInt(out, t);
    return pos + 1;
  }
  if (t >= 0xe0) {
    writeInt(out, t - 0x100);
    return pos + 1;
  }
  if ((t >= 0xa0 && t <= 0xbf) || t === 0xd9 || t === 0xda || t === 0xdb) {
    const s = strHeader(b, pos);
    const e = strEnd;
    writeString(b, s, e, out);
    return e;
  }
  if ((t >= 0x80 && t <= 0x8f) || t === 0xde || t === 0xdf) return writeMap(b, pos, out);
  if ((t >= 0x90 && t <= 0x9f) || t === 0xdc || t === 0xdd) {
    let n: number;
    let p: number;
    if (t <= 0x9f) {
      n = t & 0x0f;
      p = pos + 1;
    } else if (t === 0xdc) {
      n = u16(b, pos + 1);
      p = pos + 3;
    } else {
      n = u32(b, pos + 1);
      p = pos + 5;
    }
    out.byte(0x5b); // [
    for (let i = 0; i < n; i++) {
      if (i > 0) out.byte(0x2c);
      p = writeValue(b, p, out);
    }
    out.byte(0x5d); // ]
    return p;
  }
  switch (t) {
    case 0xc0:
      out.ascii("null");
      return pos + 1;
    case 0xc2:
      out.ascii("false");
      return pos + 1;
    case 0xc3:
      out.ascii("true");
      return pos + 1;
    case 0xcc:
      writeInt(out, b[pos + 1] as number);
      return pos + 2;
    case 0xcd:
      writeInt(out, u16(b, pos + 1));
      return pos + 3;
    case 0xce:
      writeInt(out, u32(b, pos + 1));
      return pos + 5;
    case 0xcf:
      writeInt(out, u32(b, pos + 1) * 0x1_0000_0000 + u32(b, pos + 5));
      return pos + 9;
    case 0xd0:
      writeInt(out, ((b[pos + 1] as number) << 24) >> 24);
      return pos + 2;
    case 0xd1:
      writeInt(out, (u16(b, pos + 1) << 16) >> 16);
      return pos + 3;
    case 0xd2:
      writeInt(out, u32(b, pos + 1) | 0);
      return pos + 5;
    case 0xd3:
      // Safe integers only in a leaf: the high word signed, the low one unsigned.
      writeInt(out, (u32(b, pos + 1) | 0) * 0x1_0000_0000 + u32(b, pos + 5));
      return pos + 9;
    case 0xcb:
      for (let i = 0; i < 8; i++) f64Bytes[LITTLE_ENDIAN ? 7 - i : i] = b[pos + 1 + i] as number;
      out.ascii(String(f64[0]));
      return pos + 9;
    default:
      throw new Error(`leaf-json: type byte 0x${t.toString(16)} is not in a leaf`);
  }
}

/** A safe integer in decimal, as String(n) writes it. */
function writeInt(out: JsonBytes, n: number): void {
  if (n >= 0 && n < 10) {
    out.byte(0x30 + n);
    return;
  }
  out.reserve(17);
  const o = out.bytes;
  if (n < 0) {
    o[out.pos++] = 0x2d; // -
    n = -n;
  }
  if (n < 0x8000_0000) {
    out.pos = writeSmall(o, out.pos, n);
    return;
  }
  // Above 2^31 (timestamps in ms): the high digits, then the low eight, in 32-bit arithmetic.
  // (measured) Float division digit by digit made writeInt a fifth of the tail's JSON time.
  const high = Math.floor(n / 1e8);
  let low = n - high * 1e8;
  let p = writeSmall(o, out.pos, high) + 8;
  out.pos = p;
  for (let i = 0; i < 8; i++) {
    const q = (low / 10) | 0;
    o[--p] = 0x30 + (low - q * 10);
    low = q;
  }
}

/** `n` in 0..2^31 - 1 in decimal at `p`; returns the position after it. */
function writeSmall(o: Uint8Array, p: number, n: number): number {
  let digits = 1;
  for (let x = n; x >= 10; x = (x / 10) | 0) digits++;
  let q = p + digits;
  const end = q;
  do {
    const d = (n / 10) | 0;
    o[--q] = 0x30 + (n - d * 10);
    n = d;
  } while (n > 0);
  return end;
}

/**
 * A map inside `details`, in JavaScript's enumeration order: array-index keys (canonical
 * decimal integers below 2^32 - 1) ascending, then the others in the leaf's order. Written in
 * the leaf's order first; in the rare map with an array-index key, written again in order.
 */
function writeMap(b: Uint8Array, pos: number, out: JsonBytes): number {
  const begin = out.pos;
  let p = mapHeader(b, pos);
  const n = count;
  const at = p;
  out.byte(0x7b);
  let indexed = false;
  for (let i = 0; i < n; i++) {
    if (i > 0) out.byte(0x2c);
    const ks = strHeader(b, p);
    const ke = strEnd;
    if (arrayIndex(b, ks, ke) >= 0) indexed = true;
    writeString(b, ks, ke, out);
    out.byte(0x3a);
    p = writeValue(b, ke, out);
  }
  out.byte(0x7d);
  if (!indexed) return p;

  out.pos = begin;
  const keys: Array<{ index: number; value: number }> = [];
  const others: number[] = [];
  let q = at;
  for (let i = 0; i < n; i++) {
    const ks = strHeader(b, q);
    const ke = strEnd;
    const index = arrayIndex(b, ks, ke);
    if (index >= 0) keys.push({ index, value: ke });
    else others.push(q);
    q = skip(b, ke);
  }
  keys.sort((x, y) => x.index - y.index);
  out.byte(0x7b);
  let first = true;
  for (const k of keys) {
    if (!first) out.byte(0x2c);
    first = false;
    out.byte(0x22);
    writeInt(out, k.index);
    out.byte(0x22);
    out.byte(0x3a);
    writeValue(b, k.value, out);
  }
  for (const o of others) {
    if (!first) out.byte(0x2c);
    first = false;
    const ks = strHeader(b, o);
    const ke = strEnd;
    writeString(b, ks, ke, out);
    out.byte(0x3a);
    writeValue(b, ke, out);
  }
  out.byte(0x7d);
  return p;
}

/** The key's value as an array index (ECMA-262 §6.1.7: below 2^32 - 1), or -1. */
function arrayIndex(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  if (len === 0 || len > 10) return -1;
  const c0 = b[s] as number;
  if (c0 < 0x30 || c0 > 0x39 || (c0 === 0x30 && len > 1)) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const c = b[i] as number;
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n < 0xffff_ffff ? n : -1;
}

const HEX = "0123456789abcdef";

/** UTF-8 bytes [s, e) as a JSON string, escaped as JSON.stringify escapes. */
function writeString(b: Uint8Array, s: number, e: number, out: JsonBytes): void {
  // At most 6 output bytes per input byte (\u00xx), plus the quotes.
  out.reserve(6 * (e - s) + 2);
  const o = out.bytes;
  let p = out.pos;
  o[p++] = 0x22;
  for (let i = s; i < e; i++) {
    const c = b[i] as number;
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
      o[p++] = c;
      continue;
    }
    o[p++] = 0x5c;
    switch (c) {
      case 0x22:
        o[p++] = 0x22;
        break;
      case 0x5c:
        o[p++] = 0x5c;
        break;
      case 0x08:
        o[p++] = 0x62; // b
        break;
      case 0x0c:
        o[p++] = 0x66; // f
        break;
      case 0x0a:
        o[p++] = 0x6e; // n
        break;
      case 0x0d:
        o[p++] = 0x72; // r
        break;
      case 0x09:
        o[p++] = 0x74; // t
        break;
      default:
        o[p++] = 0x75; // u00xx
        o[p++] = 0x30;
        o[p++] = 0x30;
        o[p++] = HEX.charCodeAt(c >> 4);
        o[p++] = HEX.charCodeAt(c & 0xf);
    }
  }
  o[p++] = 0x22;
  out.pos = p;
}

/**
 * The JSON text of each event of a batch of entry-bundle records (`uint16_be(len) ‖ leaf`,
 * record i ending at `ends[i]`), back to back: event i ends at `tailEnds[i]`. Written by the
 * ingest workers for the live tail, so that the writer's thread only copies it into frames.
 */
export interface EventsJson {
  bytes: Uint8Array;
  ends: Uint32Array;
}

/** {@link EventsJson} of the records; as {@link writeLeafJson} for each. */
export function recordsJson(
  records: Uint8Array,
  ends: ArrayLike<number>,
  count: number,
): EventsJson {
  const out = new JsonBytes(count * 448 + 256);
  const at = new Uint32Array(count);
  let from = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[i] as number;
    writeLeafJson(records.subarray(from + 2, end), out);
    at[i] = out.pos;
    from = end;
  }
  return { bytes: out.bytes.subarray(0, out.pos), ends: at };
}
