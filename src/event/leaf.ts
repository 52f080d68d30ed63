/**
 * The leaf: an event's canonical MessagePack bytes, the input of its Merkle leaf hash
 * SHA-256(0x00 || leaf) (RFC 6962 §2.1). See formats/event-v1.md.
 *
 * `encodeLeaf` and `decodeLeaf` are exact inverses on valid events: the same event always
 * gives the same bytes, and `decodeLeaf` accepts only bytes that `encodeLeaf` would write.
 */

import { bytesEqual } from "../bytes.js";
import { LogsealError } from "../errors.js";
import { CanonicalWriter, decodeCanonical, scanStructure } from "./canonical.js";
import { type Event, LIMITS, validateStoredEvent } from "./schema.js";
import { encodeValidated } from "./write.js";

/**
 * The largest leaf: entries are stored as uint16_be(len) || leaf in C2SP tlog-tiles entry
 * bundles (formats/tiles.md), so a leaf cannot be longer than 65535 bytes.
 */
export const MAX_LEAF_SIZE = 65535;

/** The deepest nesting in a leaf: the event map, then `details` and 31 levels below it. */
const MAX_LEAF_DEPTH = 1 + LIMITS.detailsDepth;

/**
 * Encodes a complete event as its canonical leaf bytes. The event is validated first (as
 * `validateStoredEvent` does), so every leaf this returns is one that `decodeLeaf` accepts.
 * @throws LogsealError `E_EVENT_INVALID` if `event` is not a valid complete event;
 *   `E_EVENT_TOO_LARGE` if the leaf would be over MAX_LEAF_SIZE bytes, with details
 *   `{size, limit}`.
 */
export function encodeLeaf(event: Event): Uint8Array {
  return encodeValid(validateStoredEvent(event));
}

/**
 * The writer `encodeValid` reuses (see `encodeCanonical`: a fresh one would cost about as much
 * as the encoding); `decodeLeaf` re-encodes every leaf it reads, so this is the verify path too.
 */
let shared: CanonicalWriter | undefined;

function encodeValid(event: Event): Uint8Array {
  const w = shared ?? new CanonicalWriter(4096);
  shared = undefined; // re-entrant calls (none are expected) get their own writer
  w.pos = 0;
  const size = encodeValidated(event, event.ts, event.at, w);
  shared = w.bytes.length <= 1 << 20 ? w : undefined;
  if (size > MAX_LEAF_SIZE) throw leafTooLarge(size);
  return w.bytes.slice(0, size);
}

/** The E_EVENT_TOO_LARGE error for a leaf of `size` bytes. */
export function leafTooLarge(size: number): LogsealError {
  return new LogsealError(
    "E_EVENT_TOO_LARGE",
    `the event is ${size} bytes as a leaf: the limit is ${MAX_LEAF_SIZE}; ` +
      `record large content by hash (details.sha256) and keep the content outside the log`,
    { details: { size, limit: MAX_LEAF_SIZE } },
  );
}

/**
 * Decodes a leaf strictly: it must be canonical MessagePack (formats/event-v1.md) of a valid
 * complete event. Attacker-controlled input: every failure is a LogsealError, never a crash.
 * A `__proto__` key inside `details` comes back as an ordinary own property.
 * @throws LogsealError `E_EVENT_TOO_LARGE` over MAX_LEAF_SIZE bytes; `E_EVENT_NOT_CANONICAL`
 *   when the bytes are not MessagePack, use a type a leaf may not hold (bin, ext, float32),
 *   have trailing bytes, or are not the canonical encoding of what they decode to (details
 *   `{offset}`: the first byte that differs); `E_EVENT_INVALID` when they decode to something
 *   that is not a valid event (with `location.field`).
 * @throws TypeError if `leaf` is not a Uint8Array (a caller bug).
 */
export function decodeLeaf(leaf: Uint8Array): Event {
  if (!(leaf instanceof Uint8Array)) throw new TypeError("decodeLeaf: leaf must be a Uint8Array");
  if (leaf.length > MAX_LEAF_SIZE) {
    throw new LogsealError(
      "E_EVENT_TOO_LARGE",
      `the leaf is ${leaf.length} bytes: the limit is ${MAX_LEAF_SIZE}`,
      { details: { size: leaf.length, limit: MAX_LEAF_SIZE } },
    );
  }
  const scan = scanStructure(leaf, MAX_LEAF_DEPTH);
  if (!scan.ok) {
    if (scan.tooDeep) {
      throw new LogsealError(
        "E_EVENT_INVALID",
        `the leaf nests values ${scan.reason}: details allows ${LIMITS.detailsDepth} levels`,
        { details: { offset: scan.offset } },
      );
    }
    throw notCanonical(
      `the leaf is not valid MessagePack for an event: ${scan.reason}`,
      scan.offset,
    );
  }
  let value: unknown;
  try {
    value = decodeCanonical(leaf);
  } catch (cause) {
    throw new LogsealError(
      "E_EVENT_NOT_CANONICAL",
      `the leaf cannot be decoded: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  const event = validateStoredEvent(value);
  const again = encodeValid(event);
  if (!bytesEqual(again, leaf)) {
    let offset = 0;
    while (offset < leaf.length && leaf[offset] === again[offset]) offset++;
    throw notCanonical(
      `the leaf is not in canonical form (first difference at byte ${offset}): ` +
        `it was not written by a conforming encoder, or it was altered`,
      offset,
    );
  }
  return event;
}

function notCanonical(message: string, offset: number): LogsealError {
  return new LogsealError("E_EVENT_NOT_CANONICAL", message, { details: { offset } });
}

/**
 * Decodes the leaf of stored entry `index`: a leaf that does not decode means the store was
 * damaged or altered, so the error is the store's, pointing at `logseal verify`.
 * @throws LogsealError E_STORE_CORRUPT (details `{index}`, cause: decodeLeaf's error)
 */
export function decodeStoredLeaf(index: number, leaf: Uint8Array): Event {
  try {
    return decodeLeaf(leaf);
  } catch (e) {
    throw new LogsealError(
      "E_STORE_CORRUPT",
      `entry ${index} does not decode: run 'logseal verify'`,
      {
        details: { index },
        cause: e,
      },
    );
  }
}
