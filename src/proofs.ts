/**
 * The JSON forms of inclusion and consistency proofs, as `logseal prove` prints them and
 * `logseal verify --proof` and the HTTP API read them. Hashes are standard padded base64.
 *
 *   {"index":3,"size":8,"leafHash":"…","proof":["…",…],"checkpoint":"<signed note>"}
 *   {"from":4,"to":8,"fromRoot":"…","toRoot":"…","proof":["…",…],"checkpoint":"<note of size to>"}
 */
import { toBase64 } from "./bytes.js";
import {
  leafHash,
  proveConsistencyFromTiles,
  proveInclusionFromTiles,
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
