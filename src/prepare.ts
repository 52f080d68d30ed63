/**
 * The half of an append that needs no writer state, as functions that run on any thread: the
 * transforms' pure parts (PII detection and masking: display masks, commitments, salts; the
 * controls check and mapping), the validation and canonical encoding of each event completed
 * with `at`, and the leaf hashes. `Log.append` runs them on its own thread; the server's
 * ingest workers run them on request bodies (src/server/ingest-worker.ts) and hand the
 * result to `Log.appendPrepared`, which does only what needs the writer: id lookups, the vault
 * sealing, index records, the tree and the write.
 *
 *   values ─▶ transforms' pure parts (in registration order) ─▶ encodeEvents ─▶ leaf hashes
 *            └─ what each carries to its writer half (the values to seal, by transform name)
 *
 * A {@link PrepareSpec} is what a thread needs to rebuild the log's transforms: plain data
 * (structured-cloneable), from `Log.prepareSpec()`. One implementation of each step: the
 * transforms' `apply` call the same functions ({@link maskValues}, {@link mapControls}).
 */
import { ControlsMapper, type ControlsPolicy } from "./controls/policy.js";
import { mapControls } from "./controls/transform.js";
import { type Location, withLocation } from "./errors.js";
import {
  CanonicalWriter,
  type EventInput,
  encodeInput,
  encodeValidated,
  MAX_LEAF_SIZE,
  MAX_TIMESTAMP,
  validateEvent,
} from "./event/index.js";
import { bundleLeafHashes } from "./merkle/index.js";
import { maskValues } from "./privacy/mask-batch.js";
import type { Policy } from "./privacy/policy.js";

/** A transform's pure part, as data: what a thread needs to run it. */
export type PortableStep =
  | { kind: "privacy"; name: string; policy: Policy; pseudonym?: Uint8Array }
  | { kind: "controls"; name: string; policy: ControlsPolicy };

/** The pure parts of a log's transforms, in the order the log runs them. */
export type PrepareSpec = readonly PortableStep[];

/**
 * Events prepared off the writer: their leaves as entry-bundle records (`uint16_be(len) ‖
 * leaf`, back to back; record i ends at `ends[i]`), their leaf hashes, their ids and what each
 * transform carries to its writer half. Its buffers are its own (transferable).
 */
export interface PreparedEvents extends Readonly<EncodedRecords> {
  readonly count: number;
  /** `count` leaf hashes back to back, or null when `oversize`. */
  readonly hashes: Uint8Array | null;
  readonly ids: ReadonlyArray<string | undefined>;
  /** By transform name: one item per event (undefined: nothing), or undefined for none. */
  readonly carried: Readonly<Record<string, ReadonlyArray<unknown> | undefined>>;
  /**
   * Where each event came from, kept only when `oversize` (the writer rejects an oversize leaf
   * that it appends, not one that duplicates an event, and names its place).
   */
  readonly locations?: ReadonlyArray<Location | undefined>;
}

/**
 * New leaves as entry-bundle records, `uint16_be(len) || leaf` each, back to back: written so
 * by the append path, so that the bundles to store and the batch leaf hashing read the same
 * bytes without copying them.
 */
export interface EncodedRecords {
  records: Uint8Array;
  /** Where record i ends in `records`. */
  ends: Float64Array;
  /** Some leaf is over MAX_LEAF_SIZE (its record has no valid length prefix). */
  oversize: boolean;
}

/** The leaves of a batch, encoded by {@link encodeEvents}. */
export interface EncodedEvents {
  /** Absent when `at` is not a valid timestamp (every event was still validated). */
  encoded?: EncodedRecords;
  ids: Array<string | undefined>;
}

/**
 * Validates each value as an event of schema v1 and writes its leaf, completed with `at`, as an
 * entry-bundle record: one buffer for the whole batch. Does not reject leaves over the size
 * limit (`oversize`: the append path rejects those it appends, not duplicates).
 * @throws LogsealError E_EVENT_INVALID for the first invalid value, with its location
 */
export function encodeEvents(
  values: readonly unknown[],
  at: number,
  locate?: (i: number) => Location | undefined,
): EncodedEvents {
  const count = values.length;
  const atValid = Number.isInteger(at) && at >= 0 && at <= MAX_TIMESTAMP;
  // Sized for ≈ 300-byte leaves; it doubles when it needs to. (measured) Keeping one buffer
  // across appends instead made no difference that runs could tell apart.
  const w = new CanonicalWriter(count * 384 + 1024);
  const ends = new Float64Array(count);
  const ids: Array<string | undefined> = new Array(count);
  let oversize = false;
  for (let i = 0; i < count; i++) {
    let p = 0;
    let id: string | undefined | null = null;
    if (atValid) {
      w.reserve(2);
      p = w.pos;
      w.pos += 2; // uint16_be(len), below
      id = encodeInput(values[i], at, w);
    }
    if (id === null) {
      // Not valid, or the fast path cannot tell: validateEvent throws the error, with the
      // location (asked for only now), or returns the checked copy, which is encoded.
      let input: EventInput;
      try {
        input = validateEvent(values[i]);
      } catch (e) {
        const location = locate?.(i);
        if (location === undefined) throw e;
        validateEvent(values[i], location);
        throw withLocation(e, location);
      }
      id = input.id;
      if (atValid) encodeValidated(input, input.ts ?? at, at, w);
    }
    if (atValid) {
      const size = w.pos - p - 2;
      if (size > MAX_LEAF_SIZE) oversize = true;
      w.bytes[p] = size >>> 8;
      w.bytes[p + 1] = size & 0xff;
      ends[i] = w.pos;
    }
    ids[i] = id;
  }
  return atValid
    ? { encoded: { records: w.bytes.subarray(0, w.pos), ends, oversize }, ids }
    : { ids };
}

/** A transform's pure part, rebuilt from its {@link PortableStep}. */
type PureStep = (
  values: readonly unknown[],
  locate: (i: number) => Location | undefined,
) => { values: readonly unknown[]; carried?: ReadonlyArray<unknown> };

function pureStep(step: PortableStep): PureStep {
  switch (step.kind) {
    case "privacy": {
      const keys = step.pseudonym === undefined ? {} : { pseudonym: step.pseudonym };
      return (values, locate) => {
        const r = maskValues(values, step.policy, keys, locate);
        return r.secrets === undefined
          ? { values: r.values }
          : { values: r.values, carried: r.secrets };
      };
    }
    case "controls": {
      const mapper = new ControlsMapper(step.policy);
      return (values, locate) => ({ values: mapControls(values, mapper, locate) });
    }
  }
}

/**
 * Runs a log's pure append steps on any thread. Build one per thread from the log's
 * {@link PrepareSpec} and keep it (the policies are compiled once).
 */
export class Preparer {
  readonly #steps: Array<{ name: string; run: PureStep }>;

  constructor(spec: PrepareSpec) {
    this.#steps = spec.map((s) => ({ name: s.name, run: pureStep(s) }));
  }

  /**
   * The transforms' pure parts, the encoding and the leaf hashes of `values`, stamped `at`.
   * @throws LogsealError as `Log.append` for the same values (E_EVENT_INVALID, E_PII_…), with
   *   the location `locate` gives; RangeError for an `at` outside the timestamp range
   */
  prepare(
    values: readonly unknown[],
    at: number,
    locate: (i: number) => Location | undefined = () => undefined,
  ): PreparedEvents {
    let v = values;
    const carried: Record<string, ReadonlyArray<unknown> | undefined> = {};
    for (const s of this.#steps) {
      const r = s.run(v, locate);
      v = r.values;
      if (r.carried !== undefined) carried[s.name] = r.carried;
    }
    const { encoded, ids } = encodeEvents(v, at, locate);
    if (encoded === undefined) {
      throw new RangeError(`at must be an integer in 0..${MAX_TIMESTAMP}, got ${String(at)}`);
    }
    const { records, ends, oversize } = encoded;
    const hashes = oversize ? null : bundleLeafHashes(records, v.length);
    // A buffer of its own, to be transferred: the writer's may be larger than the records.
    const own = records.byteOffset === 0 && records.byteLength === records.buffer.byteLength;
    const prepared: PreparedEvents = {
      count: v.length,
      records: own ? records : records.slice(),
      ends,
      oversize,
      hashes,
      ids,
      carried,
    };
    if (!oversize) return prepared;
    return { ...prepared, locations: Array.from({ length: v.length }, (_, i) => locate(i)) };
  }
}

/** The buffers of `p`, for `postMessage`'s transfer list. */
export function preparedTransfer(p: PreparedEvents): ArrayBuffer[] {
  const out = [p.records.buffer as ArrayBuffer, p.ends.buffer as ArrayBuffer];
  if (p.hashes !== null && p.hashes.buffer !== p.records.buffer) {
    out.push(p.hashes.buffer as ArrayBuffer);
  }
  return out;
}

/** Several prepared batches as one, in order (a group commit of several requests). */
export function concatPrepared(list: readonly PreparedEvents[]): PreparedEvents {
  if (list.length === 1) return list[0] as PreparedEvents;
  let count = 0;
  let bytes = 0;
  let oversize = false;
  const names = new Set<string>();
  for (const p of list) {
    count += p.count;
    bytes += p.records.length;
    oversize ||= p.oversize || p.hashes === null;
    for (const n of Object.keys(p.carried)) if (p.carried[n] !== undefined) names.add(n);
  }
  const records = new Uint8Array(bytes);
  const ends = new Float64Array(count);
  const hashes = oversize ? null : new Uint8Array(count * 32);
  const ids: Array<string | undefined> = new Array(count);
  const carried: Record<string, unknown[]> = {};
  for (const n of names) carried[n] = new Array(count);
  const locations: Array<Location | undefined> | undefined = list.some((p) => p.locations)
    ? new Array(count)
    : undefined;
  let off = 0;
  let j = 0;
  for (const p of list) {
    records.set(p.records, off);
    if (hashes !== null && p.hashes !== null) hashes.set(p.hashes, j * 32);
    for (let i = 0; i < p.count; i++) {
      ends[j + i] = off + (p.ends[i] as number);
      ids[j + i] = p.ids[i];
      if (locations !== undefined) locations[j + i] = p.locations?.[i];
    }
    for (const n of names) {
      const c = p.carried[n];
      if (c === undefined) continue;
      const to = carried[n] as unknown[];
      for (let i = 0; i < p.count; i++) to[j + i] = c[i];
    }
    off += p.records.length;
    j += p.count;
  }
  const joined = { count, records, ends, oversize, hashes, ids, carried };
  return locations === undefined ? joined : { ...joined, locations };
}
