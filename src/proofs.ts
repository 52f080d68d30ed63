/**
 * The JSON forms of inclusion and consistency proofs, as `logseal prove` prints them and
 * `logseal verify --proof` and the HTTP API read them. Hashes are standard padded base64.
 *
 *   {"index":3,"size":8,"leafHash":"…","proof":["…",…],"checkpoint":"<signed note>"}
 *   {"from":4,"to":8,"fromRoot":"…","toRoot":"…","proof":["…",…],"checkpoint":"<note of size to>"}
 */
import { toBase64 } from "./bytes.js";

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
