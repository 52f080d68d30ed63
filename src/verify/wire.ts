/**
 * The messages between the verifier and its hashing workers. A chunk's bundles and tiles travel
 * as two contiguous byte ranges with end offsets: copied into a shared buffer the worker owns
 * while it hashes them (one copy on the main thread, nothing allocated per chunk), or, for a
 * chunk larger than that buffer, in fresh buffers transferred to the worker. Results come back
 * transferred.
 *
 * (measured) Transferring fresh buffers left each worker up to ~64 MB of garbage between its
 * collections (peak RSS +80 MB with two workers on 10M events); shared slots keep it constant.
 */
import type { ChunkJob, ChunkResult } from "./chunk.js";

/** A chunk job as posted to a worker. */
export interface JobMessage {
  id: number;
  first: number;
  size: number;
  data: Uint8Array;
  /** End offset of each bundle in `data`, or -1 where no bundle is stored. */
  ends: Float64Array;
  tiles: Uint8Array;
  tileEnds: Float64Array;
  keep: number[];
  checkEvents: boolean;
  maxFailures: number;
}

/** A worker's answer: a result, or the error that stopped it. */
export type ResultMessage =
  | { id: number; result: ChunkResult }
  | { id: number; error: string }
  | { ready: true; backend: string };

function concat(parts: ReadonlyArray<Uint8Array | undefined>): {
  data: Uint8Array;
  ends: Float64Array;
} {
  let total = 0;
  for (const p of parts) total += p?.length ?? 0;
  const data = new Uint8Array(total);
  const ends = new Float64Array(parts.length);
  let off = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === undefined) {
      ends[i] = -1;
      continue;
    }
    data.set(p, off);
    off += p.length;
    ends[i] = off;
  }
  return { data, ends };
}

function split(data: Uint8Array, ends: Float64Array): Array<Uint8Array | undefined> {
  const out: Array<Uint8Array | undefined> = [];
  let off = 0;
  for (const end of ends) {
    if (end < 0) {
      out.push(undefined);
      continue;
    }
    out.push(data.subarray(off, end));
    off = end;
  }
  return out;
}

function copyInto(
  parts: ReadonlyArray<Uint8Array | undefined>,
  into: Uint8Array,
  start: number,
): { end: number; ends: Float64Array } {
  const ends = new Float64Array(parts.length);
  let off = start;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === undefined) {
      ends[i] = -1;
      continue;
    }
    into.set(p, off);
    off += p.length;
    ends[i] = off - start;
  }
  return { end: off, ends };
}

const size = (parts: ReadonlyArray<Uint8Array | undefined>) =>
  parts.reduce((n, p) => n + (p?.length ?? 0), 0);

/**
 * Packs a job for `postMessage`, into `slot` when it fits (the caller must not reuse the slot
 * before the worker answers), else into fresh buffers listed in `transfer`.
 */
export function packJob(
  id: number,
  job: ChunkJob,
  slot?: SharedArrayBuffer,
): { msg: JobMessage; transfer: ArrayBuffer[] } {
  const base = {
    id,
    first: job.first,
    size: job.size,
    keep: [...job.keep],
    checkEvents: job.checkEvents,
    maxFailures: job.maxFailures,
  };
  const bundleBytes = size(job.bundles);
  if (slot !== undefined && bundleBytes + size(job.tiles) <= slot.byteLength) {
    const view = new Uint8Array(slot);
    const b = copyInto(job.bundles, view, 0);
    const t = copyInto(job.tiles, view, b.end);
    const msg: JobMessage = {
      ...base,
      data: view.subarray(0, b.end),
      ends: b.ends,
      tiles: view.subarray(b.end, t.end),
      tileEnds: t.ends,
    };
    return { msg, transfer: [] };
  }
  const b = concat(job.bundles);
  const t = concat(job.tiles);
  const msg: JobMessage = { ...base, data: b.data, ends: b.ends, tiles: t.data, tileEnds: t.ends };
  return { msg, transfer: [b.data.buffer, t.data.buffer] as ArrayBuffer[] };
}

/** The job a worker received. */
export function unpackJob(msg: JobMessage): ChunkJob {
  return {
    first: msg.first,
    size: msg.size,
    bundles: split(msg.data, msg.ends),
    tiles: split(msg.tiles, msg.tileEnds).map((t) => t ?? new Uint8Array(0)),
    keep: msg.keep,
    checkEvents: msg.checkEvents,
    maxFailures: msg.maxFailures,
  };
}

/** The buffers of a result to transfer back. */
export function resultTransfer(r: ChunkResult): ArrayBuffer[] {
  return [r.roots.buffer, ...r.kept.map((k) => k.hashes.buffer)] as ArrayBuffer[];
}
