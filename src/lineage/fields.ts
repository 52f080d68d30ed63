/**
 * The fields the indexer reads (ts, actor.id, action, outcome, asset, inputs, outputs,
 * controls), read straight from a canonical event leaf as dictionary ids ({@link Dict}): each
 * value is looked up by its bytes in the leaf, so that reading an event builds no string, object
 * or array (a value's string is built once, when the dictionary first meets it). The other
 * fields (`details`, `id`, `at`, `v`, the rest of `actor`) are skipped.
 *
 * For canonical MessagePack of a valid event (formats/event-v1.md): leaves the append path has
 * just encoded, and stored leaves that `decodeStoredLeaf` accepted. It returns false on
 * anything it does not expect, so that the caller reads the decoded event instead.
 *
 * (measured) The builder took its fields first from decoded events (`decodeLeaf` scans,
 * unpacks, validates and re-encodes each leaf: 8–14 µs a demo leaf), then from objects and
 * string arrays the append path copied out of each event as it encoded it: those copies, the
 * garbage they left and the string lookups cost about as much as building the index records.
 */

import type { Dict } from "./dict.js";

/** What the indexer reads of an event: the fields schema v1 gives them. */
export interface IndexedFields {
  ts: number;
  actor: { id: string };
  action: string;
  outcome: string;
  asset?: string | undefined;
  inputs?: readonly string[] | undefined;
  outputs?: readonly string[] | undefined;
  controls?: readonly string[] | undefined;
}

/** One event's indexed fields as dictionary ids, filled by {@link readLeaf}; reused. */
export class LeafIds {
  ts = 0;
  actor = -1;
  action = -1;
  outcome = -1;
  /** −1 when the event names none. */
  asset = -1;
  inputs: Int32Array = new Int32Array(64);
  nInputs = 0;
  outputs: Int32Array = new Int32Array(64);
  nOutputs = 0;
  controls: Int32Array = new Int32Array(16);
  nControls = 0;

  reset(): void {
    this.ts = -1;
    this.actor = -1;
    this.action = -1;
    this.outcome = -1;
    this.asset = -1;
    this.nInputs = 0;
    this.nOutputs = 0;
    this.nControls = 0;
  }

  /** The same from a decoded event (looked up by string: the rare fallback). */
  fromEvent(e: IndexedFields, dict: Dict): void {
    this.reset();
    this.ts = e.ts;
    this.actor = dict.id(e.actor.id);
    this.action = dict.id(e.action);
    this.outcome = dict.id(e.outcome);
    if (e.asset !== undefined) this.asset = dict.id(e.asset);
    if (e.inputs !== undefined) {
      this.inputs = room(this.inputs, e.inputs.length);
      for (const a of e.inputs) this.inputs[this.nInputs++] = dict.id(a);
    }
    if (e.outputs !== undefined) {
      this.outputs = room(this.outputs, e.outputs.length);
      for (const a of e.outputs) this.outputs[this.nOutputs++] = dict.id(a);
    }
    if (e.controls !== undefined) {
      this.controls = room(this.controls, e.controls.length);
      for (const c of e.controls) this.controls[this.nControls++] = dict.id(c);
    }
  }
}

function room(a: Int32Array, n: number): Int32Array {
  if (n <= a.length) return a;
  let size = a.length;
  while (size < n) size *= 2;
  return new Int32Array(size);
}

/*
 * The reader keeps its position in locals and returns −1 on anything unexpected (a type it does
 * not read, a length past the end). (measured) The first version kept the position in module
 * variables and read through small helpers, as the earlier field reader did: the indexer's
 * build step took 3.0 µs of main-thread CPU a minimal event of bench:lineage with it (median of
 * 5 rounds, load 5), 1.55 with this one, posting lists written in place and a plain loop for
 * the contiguity check (median of 5 rounds, 1.26–2.07, load 6.7–7; bench/lineage-build.ts).
 */

/** Where the item {@link strAt}, {@link arrayAt} or {@link uintAt} read last begins or ends. */
let strPos = 0;

/** Reads a str header at `p`: its length, with `strPos` set to its first byte; −1 if not a str. */
function strAt(b: Uint8Array, p: number, to: number): number {
  if (p >= to) return -1;
  const t = b[p] as number;
  let len: number;
  let at: number;
  if (t >= 0xa0 && t <= 0xbf) {
    len = t - 0xa0;
    at = p + 1;
  } else if (t === 0xd9) {
    len = b[p + 1] as number;
    at = p + 2;
  } else if (t === 0xda) {
    len = ((b[p + 1] as number) << 8) | (b[p + 2] as number);
    at = p + 3;
  } else return -1;
  if (at + len > to) return -1;
  strPos = at;
  return len;
}

/** The length of the list whose header is at `p`, with `strPos` set past it; −1 if not one. */
function arrayAt(b: Uint8Array, p: number, to: number): number {
  if (p >= to) return -1;
  const t = b[p] as number;
  if (t >= 0x90 && t <= 0x9f) {
    strPos = p + 1;
    return t - 0x90;
  }
  if (t === 0xdc && p + 3 <= to) {
    strPos = p + 3;
    return ((b[p + 1] as number) << 8) | (b[p + 2] as number);
  }
  return -1;
}

/** Bytes after the type byte of the fixed-width numbers (0 for types that are not numbers). */
const WIDTH = new Uint8Array(256);
WIDTH[0xca] = 4;
WIDTH[0xcb] = 8;
WIDTH[0xcc] = 1;
WIDTH[0xcd] = 2;
WIDTH[0xce] = 4;
WIDTH[0xcf] = 8;
WIDTH[0xd0] = 1;
WIDTH[0xd1] = 2;
WIDTH[0xd2] = 4;
WIDTH[0xd3] = 8;

/**
 * Where the value at `p` ends; −1 if it is not one this reader knows or runs past `to`.
 * (measured) One loop counting the items still to skip, not a call per item: `details` is most
 * of a pipeline's event, and the recursive skip made reading such leaves cost the indexer 1 µs
 * an event more than the minimal ones (bench/lineage-ab.ts --shape pipeline, load 7).
 */
function skip(b: Uint8Array, from: number, to: number): number {
  let p = from;
  let pending = 1;
  while (pending > 0) {
    if (p >= to) return -1;
    const t = b[p] as number;
    pending--;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) p++;
    else if (t >= 0xa0 && t <= 0xbf) p += 1 + t - 0xa0;
    else if (t >= 0x80 && t <= 0x8f) {
      pending += 2 * (t - 0x80);
      p++;
    } else if (t >= 0x90 && t <= 0x9f) {
      pending += t - 0x90;
      p++;
    } else if (t === 0xd9) p += 2 + (b[p + 1] as number);
    else if (t === 0xda || t === 0xdc || t === 0xde) {
      if (p + 3 > to) return -1;
      const n = ((b[p + 1] as number) << 8) | (b[p + 2] as number);
      if (t === 0xda) p += 3 + n;
      else {
        pending += t === 0xde ? 2 * n : n;
        p += 3;
      }
    } else if (t === 0xdb || t === 0xdd || t === 0xdf) {
      if (p + 5 > to) return -1;
      const n =
        (b[p + 1] as number) * 2 ** 24 +
        (((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 8) | (b[p + 4] as number));
      if (t === 0xdb) p += 5 + n;
      else {
        pending += t === 0xdf ? 2 * n : n;
        p += 5;
      }
    } else {
      const w = WIDTH[t] as number;
      if (w === 0) return -1;
      p += 1 + w;
    }
  }
  return p <= to ? p : -1;
}

/** The unsigned integer at `p` (`strPos` set past it), or −1. */
function uintAt(b: Uint8Array, p: number, to: number): number {
  if (p >= to) return -1;
  const t = b[p] as number;
  if (t <= 0x7f) {
    strPos = p + 1;
    return t;
  }
  const w = t >= 0xcc && t <= 0xcf ? (WIDTH[t] as number) : 0;
  if (w === 0 || p + 1 + w > to) return -1;
  let x = 0;
  for (let i = 1; i <= w; i++) x = x * 256 + (b[p + i] as number);
  strPos = p + 1 + w;
  return x;
}

/** Whether `b[p, p + key.length)` is `key` (ASCII). */
function isKey(b: Uint8Array, p: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (b[p + i] !== key.charCodeAt(i)) return false;
  return true;
}

/** Reads a list of strs at `p` as ids into `into`, or a larger array; `listN` its length. */
let listN = 0;
let listArray: Int32Array = new Int32Array(0); // the array listAt filled
function listAt(b: Uint8Array, p: number, to: number, dict: Dict, into: Int32Array): number {
  const n = arrayAt(b, p, to);
  if (n < 0) return -1;
  let q = strPos;
  const a = room(into, n);
  for (let i = 0; i < n; i++) {
    const len = strAt(b, q, to);
    if (len < 1) return -1;
    a[i] = dict.lookup(b, strPos, len);
    q = strPos + len;
  }
  listN = n;
  listArray = a;
  return q;
}

/**
 * Reads the indexed fields of the canonical event leaf `bytes[from, to)` into `out`, as ids of
 * `dict` (values met for the first time are added to it).
 * @returns false when the bytes are not laid out as expected (then read the decoded event with
 *   {@link LeafIds.fromEvent}); `out` and `dict` may then hold part of the leaf's values
 */
export function readLeaf(
  b: Uint8Array,
  from: number,
  to: number,
  dict: Dict,
  out: LeafIds,
): boolean {
  out.reset();
  if (from >= to) return false;
  const t = b[from] as number;
  if (t < 0x80 || t > 0x8f) return false; // an event has at most 12 members: a fixmap
  const n = t - 0x80;
  let p = from + 1;
  for (let i = 0; i < n; i++) {
    // Keys are schema v1's member names, short ASCII fixstrs: told apart by length and a byte or
    // two, then checked in full, without building a string.
    if (p >= to) return false;
    const klen = (b[p] as number) - 0xa0;
    const k = p + 1;
    if (klen < 1 || klen > 8 || k + klen > to) return false;
    p = k + klen;
    const c = b[k] as number;
    let len: number;
    switch (klen) {
      case 2:
        if (c === 0x74 && b[k + 1] === 0x73) {
          // ts
          out.ts = uintAt(b, p, to);
          if (out.ts < 0) return false;
          p = strPos;
        } else p = skip(b, p, to); // at, id
        break;
      case 5:
        if (isKey(b, k, "asset")) {
          len = strAt(b, p, to);
          if (len < 1) return false;
          out.asset = dict.lookup(b, strPos, len);
          p = strPos + len;
        } else if (isKey(b, k, "actor")) {
          if (p >= to) return false;
          const m = (b[p] as number) - 0x80;
          if (m < 1 || m > 3) return false;
          p++;
          for (let j = 0; j < m; j++) {
            const kl = strAt(b, p, to);
            if (kl < 1) return false;
            const id = kl === 2 && b[strPos] === 0x69 && b[strPos + 1] === 0x64;
            p = strPos + kl;
            if (id) {
              len = strAt(b, p, to);
              if (len < 1) return false;
              out.actor = dict.lookup(b, strPos, len);
              p = strPos + len;
            } else p = skip(b, p, to);
            if (p < 0) return false;
          }
        } else return false;
        break;
      case 6:
        if (c === 0x61 && isKey(b, k, "action")) {
          len = strAt(b, p, to);
          if (len < 1) return false;
          out.action = dict.lookup(b, strPos, len);
          p = strPos + len;
        } else if (isKey(b, k, "inputs")) {
          p = listAt(b, p, to, dict, out.inputs);
          if (p < 0) return false;
          out.inputs = listArray;
          out.nInputs = listN;
        } else return false;
        break;
      case 7:
        if (c === 0x6f && isKey(b, k, "outcome")) {
          len = strAt(b, p, to);
          if (len < 1) return false;
          out.outcome = dict.lookup(b, strPos, len);
          p = strPos + len;
        } else if (c === 0x6f && isKey(b, k, "outputs")) {
          p = listAt(b, p, to, dict, out.outputs);
          if (p < 0) return false;
          out.outputs = listArray;
          out.nOutputs = listN;
        } else p = skip(b, p, to); // details
        break;
      case 8:
        if (isKey(b, k, "controls")) {
          p = listAt(b, p, to, dict, out.controls);
          if (p < 0) return false;
          out.controls = listArray;
          out.nControls = listN;
        } else return false;
        break;
      default:
        p = skip(b, p, to); // v
    }
    if (p < 0) return false;
  }
  return p === to && out.ts >= 0 && out.actor >= 0 && out.action >= 0 && out.outcome >= 0;
}
