/**
 * The fields the indexer reads (ts, actor.id, action, outcome, asset, inputs, outputs,
 * controls), read straight from a canonical leaf that this process has just encoded, when the
 * append path did not hand them over as it wrote the leaf (`NewEntry.fields`): the other
 * fields (`details`, `id`, `at`, the rest of `actor`) are skipped without building them.
 *
 * Only for leaves the append path wrote itself, which are canonical MessagePack of a valid
 * event (formats/event-v1.md): the layout is trusted, and it returns null on anything it does
 * not expect, so that the caller decodes the leaf in full instead. Stored leaves read back
 * from the store go through `decodeLeaf`, which validates them.
 *
 * (measured) `decodeLeaf` scans, unpacks, validates and re-encodes each leaf to check it is
 * canonical: in a CPU profile of bench:lineage (60,000 pipeline events) decoding the new
 * entries took more than building their index records. On the demo leaves, `decodeLeaf` takes
 * 8–14 µs a leaf and this reader 1.7–3 µs (interleaved in one process, 2-core AMD EPYC, load 7).
 */

import type { LeafFields } from "../event/index.js";

/** What the indexer reads of an event: the fields the append path takes as it writes a leaf. */
export type IndexedFields = LeafFields;

/** Thrown inside the reader on an unexpected byte; caught and turned into null. */
const BAD = new Error("not a canonical event leaf");

let buf: Uint8Array = new Uint8Array(0);
let pos = 0;

function u8(): number {
  if (pos >= buf.length) throw BAD;
  return buf[pos++] as number;
}

function be(n: number): number {
  if (pos + n > buf.length) throw BAD;
  let x = 0;
  for (let i = 0; i < n; i++) x = x * 256 + (buf[pos++] as number);
  return x;
}

/** The length of a str whose type byte is `t`, or -1 when `t` is not a str. */
function strLen(t: number): number {
  if (t >= 0xa0 && t <= 0xbf) return t - 0xa0;
  if (t === 0xd9) return be(1);
  if (t === 0xda) return be(2);
  if (t === 0xdb) return be(4);
  return -1;
}

/**
 * Short ASCII strings read before, by FNV-1a hash of their bytes: one slot a hash, replaced on
 * a collision, cleared when full. (measured) Building each actor id, action and asset
 * reference afresh for every leaf (a string per character, concatenated) made the indexer's
 * garbage collection and its map lookups on new string objects the larger part of its time;
 * the same few thousand values recur in every batch, and an interned string is one object
 * whose hash V8 has already computed.
 */
const interned = new Map<number, string>();
const INTERNED_MAX = 65_536;

function text(len: number): string {
  const end = pos + len;
  if (end > buf.length) throw BAD;
  if (len <= 64) {
    let h = 0x811c9dc5;
    let ascii = true;
    for (let i = pos; i < end; i++) {
      const c = buf[i] as number;
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (ascii) {
      const hit = interned.get(h);
      if (hit !== undefined && hit.length === len) {
        let same = true;
        for (let i = 0; i < len && same; i++) same = hit.charCodeAt(i) === buf[pos + i];
        if (same) {
          pos = end;
          return hit;
        }
      }
      const s = Buffer.from(buf.buffer, buf.byteOffset + pos, len).toString("latin1");
      if (interned.size >= INTERNED_MAX) interned.clear();
      interned.set(h, s);
      pos = end;
      return s;
    }
  }
  const s = Buffer.from(buf.buffer, buf.byteOffset + pos, len).toString("utf8");
  pos = end;
  return s;
}

function str(): string {
  const len = strLen(u8());
  if (len < 0) throw BAD;
  return text(len);
}

function mapLen(t: number): number {
  if (t >= 0x80 && t <= 0x8f) return t - 0x80;
  if (t === 0xde) return be(2);
  if (t === 0xdf) return be(4);
  return -1;
}

function arrayLen(t: number): number {
  if (t >= 0x90 && t <= 0x9f) return t - 0x90;
  if (t === 0xdc) return be(2);
  if (t === 0xdd) return be(4);
  return -1;
}

function int(): number {
  const t = u8();
  if (t <= 0x7f) return t;
  if (t === 0xcc) return be(1);
  if (t === 0xcd) return be(2);
  if (t === 0xce) return be(4);
  if (t === 0xcf) {
    const hi = be(4);
    return hi * 2 ** 32 + be(4);
  }
  throw BAD; // ts is never negative
}

function strings(): string[] {
  const n = arrayLen(u8());
  if (n < 0) throw BAD;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = str();
  return out;
}

/** Bytes after the type byte of the fixed-width numbers. */
const WIDTH: Record<number, number> = {
  204: 1,
  205: 2,
  206: 4,
  207: 8,
  208: 1,
  209: 2,
  210: 4,
  211: 8,
  203: 8,
};

/** Skips one value of any type. */
function skip(): void {
  const t = u8();
  if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return;
  const s = strLen(t);
  if (s >= 0) {
    if (pos + s > buf.length) throw BAD;
    pos += s;
    return;
  }
  const m = mapLen(t);
  if (m >= 0) {
    for (let i = 0; i < 2 * m; i++) skip();
    return;
  }
  const a = arrayLen(t);
  if (a >= 0) {
    for (let i = 0; i < a; i++) skip();
    return;
  }
  const w = WIDTH[t];
  if (w === undefined || pos + w > buf.length) throw BAD;
  pos += w;
}

/** The `id` of the actor map; its other keys skipped. */
function actorId(): string {
  const n = mapLen(u8());
  if (n < 0) throw BAD;
  let id: string | undefined;
  for (let i = 0; i < n; i++) {
    if (str() === "id") id = str();
    else skip();
  }
  if (id === undefined) throw BAD;
  return id;
}

const KEYS = ["ts", "actor", "action", "outcome", "asset", "inputs", "outputs", "controls"];
const KEY_BYTES = KEYS.map((k) => Uint8Array.from(k, (c) => c.charCodeAt(0)));

/** The indexed key whose bytes are b[at, at + len), or "" for another key. */
function keyAt(b: Uint8Array, at: number, len: number): string {
  for (let k = 0; k < KEY_BYTES.length; k++) {
    const kb = KEY_BYTES[k] as Uint8Array;
    if (kb.length !== len) continue;
    let same = true;
    for (let i = 0; i < len && same; i++) same = b[at + i] === kb[i];
    if (same) return KEYS[k] as string;
  }
  return "";
}

/**
 * The indexed fields of a canonical event leaf written by this process.
 * @returns null when the bytes are not laid out as expected (decode them with decodeLeaf)
 */
export function indexedFields(leaf: Uint8Array): IndexedFields | null {
  buf = leaf;
  pos = 0;
  try {
    const n = mapLen(u8());
    if (n < 0) return null;
    let ts = -1;
    let actor: string | undefined;
    let action: string | undefined;
    let outcome: string | undefined;
    const f: Partial<IndexedFields> = {};
    for (let i = 0; i < n; i++) {
      // Keys are short ASCII fixstrs: matched by their bytes, without building a string.
      const kt = u8();
      const klen = kt - 0xa0;
      if (klen < 0 || klen > 31 || pos + klen > leaf.length) throw BAD;
      const key = keyAt(leaf, pos, klen);
      pos += klen;
      switch (key) {
        case "ts":
          ts = int();
          break;
        case "actor":
          actor = actorId();
          break;
        case "action":
          action = str();
          break;
        case "outcome":
          outcome = str();
          break;
        case "asset":
          f.asset = str();
          break;
        case "inputs":
          f.inputs = strings();
          break;
        case "outputs":
          f.outputs = strings();
          break;
        case "controls":
          f.controls = strings();
          break;
        default:
          skip();
      }
    }
    if (pos !== leaf.length || ts < 0 || actor === undefined) return null;
    if (action === undefined || outcome === undefined) return null;
    f.ts = ts;
    f.actor = { id: actor };
    f.action = action;
    f.outcome = outcome;
    return f as IndexedFields;
  } catch (e) {
    if (e === BAD) return null;
    throw e;
  } finally {
    buf = new Uint8Array(0);
  }
}
