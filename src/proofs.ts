/**
 * The JSON forms of inclusion and consistency proofs, as `logseal prove` prints them and
 * `logseal verify --proof` and the HTTP API read them. Hashes are standard padded base64.
 *
 *   {"index":3,"size":8,"leafHash":"…","proof":["…",…],"checkpoint":"<signed note>"}
 *   {"from":4,"to":8,"fromRoot":"…","toRoot":"…","proof":["…",…],"checkpoint":"<note of size to>"}
 */
import { toBase64 } from "./bytes.js";
import { LogsealError } from "./errors.js";
import {
  leafHash,
  parseEntryBundle,
  proveConsistencyFromTiles,
  proveInclusionFromTiles,
  TILE_WIDTH,
  treeHashFromTiles,
} from "./merkle/index.js";
import type { LogReader, StoredCheckpoint } from "./store/reader.js";

export interface InclusionProof {
  index: number;
  size: number;
  leafHash: Uint8Array;
  proof: Uint8Array[];
  /** The signed checkpoint note of `size` that the proof leads to. */
  checkpoint: string;
}

export interface ConsistencyProof {
  from: number;
  to: number;
  fromRoot: Uint8Array;
  toRoot: Uint8Array;
  proof: Uint8Array[];
  /** The signed checkpoint note of size `to`. */
  checkpoint: string;
}

export interface InclusionProofJSON {
  index: number;
  size: number;
  leafHash: string;
  proof: string[];
  checkpoint: string;
}

export interface ConsistencyProofJSON {
  from: number;
  to: number;
  fromRoot: string;
  toRoot: string;
  proof: string[];
  checkpoint: string;
}

export function inclusionProofToJSON(p: InclusionProof): InclusionProofJSON {
  return {
    index: p.index,
    size: p.size,
    leafHash: toBase64(p.leafHash),
    proof: p.proof.map(toBase64),
    checkpoint: p.checkpoint,
  };
}

export function consistencyProofToJSON(p: ConsistencyProof): ConsistencyProofJSON {
  return {
    from: p.from,
    to: p.to,
    fromRoot: toBase64(p.fromRoot),
    toRoot: toBase64(p.toRoot),
    proof: p.proof.map(toBase64),
    checkpoint: p.checkpoint,
  };
}

/**
 * The inclusion proof of entry `index`, whose stored bytes are `leaf`, in the tree of
 * `checkpoint`, from the hash tiles `reader` holds (a store, a tiles log). The leaf hash is of
 * the stored entry, not the tile's copy of it, so that a proof for an entry whose bytes were
 * altered fails to check. The caller checks that `index` is below the checkpoint's size.
 */
export async function proveInclusionIn(
  reader: LogReader,
  index: number,
  leaf: Uint8Array,
  checkpoint: StoredCheckpoint,
): Promise<InclusionProof> {
  const proof = await proveInclusionFromTiles(index, checkpoint.size, (l, n) =>
    reader.readTile(l, n),
  );
  return {
    index,
    size: checkpoint.size,
    leafHash: leafHash(leaf),
    proof,
    checkpoint: checkpoint.note,
  };
}

/**
 * The consistency proof from the tree of size `from` to the tree of `checkpoint`, with both
 * roots, from the hash tiles `reader` holds. The caller checks 1 <= from <= checkpoint.size.
 */
export async function proveConsistencyIn(
  reader: LogReader,
  from: number,
  checkpoint: StoredCheckpoint,
): Promise<ConsistencyProof> {
  const read = (l: number, n: number) => reader.readTile(l, n);
  const to = checkpoint.size;
  const proof = from === to ? [] : await proveConsistencyFromTiles(from, to, read);
  const [fromRoot, toRoot] = await Promise.all([
    treeHashFromTiles(from, read),
    treeHashFromTiles(to, read),
  ]);
  return { from, to, fromRoot, toRoot, proof, checkpoint: checkpoint.note };
}

/**
 * Proves that entry `index` is in the tree of the reader's checkpoint of `size` (default: its
 * latest), reading the entry and the tiles through the reader: a tiles log (directory or
 * http(s)://), or any other {@link LogReader}. What `logseal prove --tiles` and the TUI on a
 * tiles log answer; the proof is checked like any other.
 * @throws LogsealError E_NO_CHECKPOINT, E_INDEX_RANGE, E_STORE_CORRUPT (the entry's bundle is
 *   missing or damaged), and what the reader throws
 */
export async function proveInclusionFrom(
  reader: LogReader,
  index: number,
  size?: number,
): Promise<InclusionProof> {
  const cp = await checkpointOf(reader, size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= cp.size) {
    throw new LogsealError(
      "E_INDEX_RANGE",
      `entry ${index} is not in the tree of size ${cp.size}`,
      { location: { field: "index" }, details: { index, size: cp.size } },
    );
  }
  const n = Math.floor(index / TILE_WIDTH);
  const bytes = await reader.readBundle(n);
  const leaf = bytes === undefined ? undefined : parseEntryBundle(bytes)?.[index % TILE_WIDTH];
  if (leaf === undefined) {
    throw new LogsealError("E_STORE_CORRUPT", `entry bundle ${n} is missing or damaged`, {
      details: { bundle: n },
    });
  }
  return proveInclusionIn(reader, index, leaf, cp);
}

/**
 * Proves that the tree of size `from` is a prefix of the tree of the reader's checkpoint of
 * size `to` (default: its latest), from the tiles the reader holds.
 * @throws LogsealError E_NO_CHECKPOINT, E_INDEX_RANGE, and what the reader throws
 */
export async function proveConsistencyFrom(
  reader: LogReader,
  from: number,
  to?: number,
): Promise<ConsistencyProof> {
  const cp = await checkpointOf(reader, to);
  if (!Number.isSafeInteger(from) || from < 1 || from > cp.size) {
    throw new LogsealError(
      "E_INDEX_RANGE",
      `consistency proofs need 1 <= FROM <= TO; got FROM ${from}, TO ${cp.size}`,
      { details: { from, to: cp.size } },
    );
  }
  return proveConsistencyIn(reader, from, cp);
}

async function checkpointOf(reader: LogReader, size: number | undefined) {
  const cp = size === undefined ? await reader.latestCheckpoint() : await reader.checkpointAt(size);
  if (cp === undefined) {
    throw new LogsealError(
      "E_NO_CHECKPOINT",
      size === undefined
        ? "no checkpoint has been signed yet"
        : `no checkpoint of size ${size} is kept (a tiles log keeps only its latest)`,
      { details: size === undefined ? {} : { size } },
    );
  }
  return cp;
}
