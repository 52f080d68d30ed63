/**
 * Entry bundles (C2SP tlog-tiles): up to 256 consecutive log entries in one resource,
 *
 *     bundle = concat over entries of ( uint16_be(len(entry)) || entry )
 *
 * Bundle N holds entries [N·256, N·256 + W); entry j of bundle N satisfies
 * leafHash(entry) == hash j of level-0 tile N. An entry is at most 65535 bytes.
 */

import { LogsealError } from "../errors.js";
import { TILE_WIDTH } from "./layout.js";

/** Largest entry a bundle can hold: its length prefix is 16 bits. */
export const MAX_ENTRY_SIZE = 65535;

/**
 * Encodes entries as one bundle.
 * @param entries 0 to 256 entries of at most 65535 bytes each
 * @returns uint16_be(len) || entry for each entry, concatenated, in fresh memory
 * @throws RangeError when there are more than 256 entries or an entry is longer than 65535 bytes
 */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length > TILE_WIDTH) {
    throw new RangeError(
      `an entry bundle holds at most ${TILE_WIDTH} entries, got ${entries.length}`,
    );
  }
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    const len = (entries[i] as Uint8Array).length;
    if (len > MAX_ENTRY_SIZE) {
      throw new RangeError(`entry ${i} is ${len} bytes, more than ${MAX_ENTRY_SIZE}`);
    }
    total += 2 + len;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const entry of entries) {
    // uint16_be(len(entry)) || entry
    out[off] = Math.floor(entry.length / 256);
    out[off + 1] = entry.length % 256;
    out.set(entry, off + 2);
    off += 2 + entry.length;
  }
  return out;
}

/** Entries in a bundle, or -1 when it is not 0 to 256 whole length-prefixed entries. */
function countEntries(bytes: Uint8Array): number {
  let count = 0;
  let off = 0;
  while (off < bytes.length) {
    if (count === TILE_WIDTH || off + 2 > bytes.length) return -1;
    off += 2 + (bytes[off] as number) * 256 + (bytes[off + 1] as number);
    if (off > bytes.length) return -1;
    count++;
  }
  return count;
}

/**
 * Parses an entry bundle strictly. This input is attacker-controlled (a store or a download):
 * never throws.
 * @param bytes the bundle
 * @param expectedCount the number of entries the bundle must hold (W of `.p/W`, or 256), when
 *   known
 * @returns the entries as subarrays of `bytes` (no copy), or null on a dangling byte, a truncated
 *   entry, no entries, more than 256 entries, or a count other than `expectedCount`
 */
export function parseEntryBundle(bytes: Uint8Array, expectedCount?: number): Uint8Array[] | null {
  if (!(bytes instanceof Uint8Array)) return null;
  if (
    expectedCount !== undefined &&
    (!Number.isInteger(expectedCount) || expectedCount < 1 || expectedCount > TILE_WIDTH)
  ) {
    return null;
  }
  const limit = expectedCount ?? TILE_WIDTH;
  const entries: Uint8Array[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (entries.length === limit || off + 2 > bytes.length) return null;
    const start = off + 2;
    const end = start + (bytes[off] as number) * 256 + (bytes[off + 1] as number);
    if (end > bytes.length) return null;
    entries.push(bytes.subarray(start, end));
    off = end;
  }
  if (entries.length === 0) return null;
  if (expectedCount !== undefined && entries.length !== expectedCount) return null;
  return entries;
}

/**
 * Appends entries to a stored bundle: `bundle || encodeEntryBundle(entries)`.
 * @param bundle the stored bundle, empty for a new one
 * @param entries the entries to add; the result must hold at most 256 entries
 * @returns the new bundle, in fresh memory
 * @throws RangeError when the result would exceed 256 entries or an entry exceeds 65535 bytes;
 *   LogsealError `E_STORE_CORRUPT` when `bundle` is not a well-formed bundle
 */
export function appendToEntryBundle(
  bundle: Uint8Array,
  entries: readonly Uint8Array[],
): Uint8Array {
  const have = countEntries(bundle);
  if (have < 0) {
    throw new LogsealError(
      "E_STORE_CORRUPT",
      "a stored entry bundle is damaged (it does not split into whole entries): run 'logseal verify'",
    );
  }
  if (have + entries.length > TILE_WIDTH) {
    throw new RangeError(
      `an entry bundle holds at most ${TILE_WIDTH} entries: ${have} + ${entries.length} is too many`,
    );
  }
  const tail = encodeEntryBundle(entries);
  const out = new Uint8Array(bundle.length + tail.length);
  out.set(bundle, 0);
  out.set(tail, bundle.length);
  return out;
}

/** One entry bundle's new bytes after an append. */
export interface BundleUpdate {
  index: number;
  bytes: Uint8Array;
}

/**
 * Every entry bundle that changes when entries are appended to a log of `size` entries, from
 * the new entries already laid out as bundle records (`uint16_be(len) || entry`, back to back):
 * the form a bundle stores, so a bundle the new entries fill alone is a view into `records`,
 * not a copy. Only the first bundle, when it continues the stored partial one, is new memory.
 * The caller guarantees the records are well formed (it wrote them).
 * @param size the log size before the append
 * @param records the new entries' records, concatenated
 * @param ends where each record ends in `records`, ascending; the last is `records.length`
 * @param partial the stored bundle floor(size / 256) with its size mod 256 entries; empty when
 *   size is a multiple of 256
 * @returns the changed bundles, ascending by index
 * @throws RangeError when `ends` does not end at `records.length`
 */
export function appendRecordsToBundles(
  size: number,
  records: Uint8Array,
  ends: ArrayLike<number>,
  partial: Uint8Array,
): BundleUpdate[] {
  const count = ends.length;
  if ((count === 0 ? 0 : ends[count - 1]) !== records.length) {
    throw new RangeError("appendRecordsToBundles: the records do not end where `ends` says");
  }
  const out: BundleUpdate[] = [];
  let index = Math.floor(size / TILE_WIDTH);
  let have = size % TILE_WIDTH;
  let done = 0; // records placed
  let from = 0; // where the next record starts
  while (done < count) {
    const take = Math.min(TILE_WIDTH - have, count - done);
    const to = ends[done + take - 1] as number;
    let bytes = records.subarray(from, to);
    if (have > 0) {
      const joined = new Uint8Array(partial.length + bytes.length);
      joined.set(partial);
      joined.set(bytes, partial.length);
      bytes = joined;
    }
    out.push({ index, bytes });
    done += take;
    from = to;
    index++;
    have = 0;
  }
  return out;
}

/**
 * The byte length of the first `count` entries of a stored bundle, or null when the bundle is
 * shorter (damaged). Stored bytes are untrusted: every length prefix is bounds-checked.
 */
export function bundlePrefixLength(bundle: Uint8Array, count: number): number | null {
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 2 > bundle.length) return null;
    // uint16_be(len) || entry
    const len = ((bundle[offset] as number) << 8) | (bundle[offset + 1] as number);
    offset += 2 + len;
    if (offset > bundle.length) return null;
  }
  return offset;
}
