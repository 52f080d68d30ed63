/**
 * Verifying one proof offline, with no store: an inclusion or consistency proof in the JSON
 * form `logseal prove … --json` prints (src/proofs.ts), checked against the checkpoint it
 * embeds, opened with the pinned keys only.
 *
 * Steps, in this order:
 *  1. parse: the JSON must be exactly one of the two shapes, hashes strict base64 of 32 bytes
 *     (else E_INPUT_JSON: bad input, nothing verified);
 *  2. checkpoint: the embedded note must carry a verified signature of a pinned key named after
 *     its origin (its first line), and commit to the proof's size (`size` or `to`);
 *  3. proof: `checkInclusion` / `checkConsistency` (RFC 9162 §2.1.3.2, §2.1.4.2) against the
 *     signed root; for consistency, `toRoot` must be the signed root, and `fromRoot` the root
 *     of the auditor's saved checkpoint when one is given.
 *
 * The proof file is attacker-controlled: steps 2 and 3 report failures and never throw.
 */
import { bytesEqual, fromBase64, toBase64 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import { checkConsistency, checkInclusion, EMPTY_ROOT, HASH_SIZE } from "../merkle/index.js";
import type { Checkpoint, Verifier } from "../note/index.js";
import type { ConsistencyProof, InclusionProof } from "../proofs.js";
import { openPinned } from "./checkpoints.js";
import type { CheckpointResult, Failure } from "./report.js";

/** A parsed proof file. */
export type ProofInput =
  | ({ type: "inclusion" } & InclusionProof)
  | ({ type: "consistency" } & ConsistencyProof);

/** What a proof check found. */
export interface ProofResult {
  ok: boolean;
  mode: "proof";
  /** The embedded checkpoint's origin (its first line). */
  origin: string;
  proof:
    | { type: "inclusion"; index: number; size: number; leafHash: string; ok: boolean }
    | {
        type: "consistency";
        from: number;
        to: number;
        fromRoot: string;
        toRoot: string;
        ok: boolean;
      };
  checkpoint: CheckpointResult;
  failures: Failure[];
  moreFailures: number;
}

const INCLUSION_KEYS = ["checkpoint", "index", "leafHash", "proof", "size"];
const CONSISTENCY_KEYS = ["checkpoint", "from", "fromRoot", "proof", "to", "toRoot"];
/** Far above the longest proof of a 2^53-entry tree (2 · 53 hashes). */
const MAX_PROOF_HASHES = 128;

function bad(message: string, field?: string): LogsealError {
  return new LogsealError("E_INPUT_JSON", `not a logseal proof: ${message}`, {
    ...(field !== undefined ? { location: { field } } : {}),
  });
}

function hash(v: unknown, field: string): Uint8Array {
  const b = typeof v === "string" ? fromBase64(v) : null;
  if (b === null || b.length !== HASH_SIZE) {
    throw bad(`${field} must be a 32-byte hash in standard base64`, field);
  }
  return b;
}

function count(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw bad(`${field} must be an integer from 0 to 2^53-1`, field);
  }
  return v;
}

/**
 * Parses a proof file strictly (the JSON of `logseal prove inclusion|consistency --json`).
 * @throws LogsealError E_INPUT_JSON naming the field, for anything else
 */
export function parseProof(text: string): ProofInput {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(`invalid JSON (${(e as Error).message})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad("expected an object");
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(",");
  const isInclusion = keys === INCLUSION_KEYS.join(",");
  if (!isInclusion && keys !== CONSISTENCY_KEYS.join(",")) {
    throw bad(
      `expected the fields {index, size, leafHash, proof, checkpoint} or {from, to, fromRoot, toRoot, proof, checkpoint}, got {${Object.keys(o).join(", ")}}`,
    );
  }
  if (!Array.isArray(o.proof) || o.proof.length > MAX_PROOF_HASHES) {
    throw bad(`proof must be an array of at most ${MAX_PROOF_HASHES} hashes`, "proof");
  }
  const proof = o.proof.map((h, i) => hash(h, `proof[${i}]`));
  if (typeof o.checkpoint !== "string") throw bad("checkpoint must be a string", "checkpoint");
  if (isInclusion) {
    return {
      type: "inclusion",
      index: count(o.index, "index"),
      size: count(o.size, "size"),
      leafHash: hash(o.leafHash, "leafHash"),
      proof,
      checkpoint: o.checkpoint,
    };
  }
  return {
    type: "consistency",
    from: count(o.from, "from"),
    to: count(o.to, "to"),
    fromRoot: hash(o.fromRoot, "fromRoot"),
    toRoot: hash(o.toRoot, "toRoot"),
    proof,
    checkpoint: o.checkpoint,
  };
}

/**
 * Checks a parsed proof against its embedded checkpoint, opened with the pinned `keys`.
 * @param since the auditor's saved checkpoint (already opened): a consistency proof must start
 *   from it
 * @returns the result; never throws on the proof's content
 */
export function verifyProof(
  p: ProofInput,
  keys: readonly Verifier[],
  since?: Checkpoint,
): ProofResult {
  const failures: Failure[] = [];
  const fail = (message: string) => failures.push({ kind: "proof", message });
  const newline = p.checkpoint.indexOf("\n");
  const origin = newline < 0 ? "" : p.checkpoint.slice(0, newline);
  const size = p.type === "inclusion" ? p.size : p.to;
  const checkpoint: CheckpointResult = {
    size,
    root: "",
    verifiedBy: [],
    unknownSigners: [],
    ok: false,
  };
  const opened = openPinned(p.checkpoint, keys, origin);
  checkpoint.unknownSigners = opened.unknownSigners;
  let root: Uint8Array | undefined;
  if (!opened.ok) {
    failures.push({
      kind: "checkpoint",
      size,
      message: `the proof's checkpoint: ${opened.message}`,
      ...(opened.signer !== undefined ? { signer: opened.signer } : {}),
    });
  } else {
    const cp = opened.checkpoint;
    checkpoint.verifiedBy = opened.verifiedBy;
    checkpoint.root = toBase64(cp.root);
    checkpoint.size = cp.size;
    if (cp.size !== size) {
      failures.push({
        kind: "checkpoint",
        size: cp.size,
        signer: opened.verifiedBy[0] as string,
        message: `the proof is for size ${size}, its checkpoint is of size ${cp.size}`,
      });
    } else {
      root = cp.root;
      checkpoint.ok = true;
    }
  }

  if (p.type === "inclusion") {
    const ok = root !== undefined && checkInclusion(p.index, p.size, p.leafHash, p.proof, root);
    if (root !== undefined && !ok) {
      fail(
        `entry ${p.index} with leaf hash ${toBase64(p.leafHash)} is not in the tree of size ${p.size} (root ${toBase64(root)}): the proof does not hold`,
      );
    }
    return result(ok, origin, checkpoint, failures, {
      type: "inclusion",
      index: p.index,
      size: p.size,
      leafHash: toBase64(p.leafHash),
      ok,
    });
  }

  let ok = root !== undefined;
  if (root !== undefined && !bytesEqual(p.toRoot, root)) {
    ok = false;
    fail(`toRoot ${toBase64(p.toRoot)} is not the signed root ${toBase64(root)}`);
  }
  if (since !== undefined && (since.size !== p.from || !bytesEqual(since.root, p.fromRoot))) {
    ok = false;
    fail(
      `the proof starts from size ${p.from} (root ${toBase64(p.fromRoot)}), your saved checkpoint is size ${since.size} (root ${toBase64(since.root)})`,
    );
  }
  if (ok && root !== undefined) {
    const holds =
      p.from === 0
        ? p.proof.length === 0 && bytesEqual(p.fromRoot, EMPTY_ROOT)
        : checkConsistency(p.from, p.fromRoot, p.to, root, p.proof);
    if (!holds) {
      ok = false;
      fail(
        `the tree of size ${p.from} (root ${toBase64(p.fromRoot)}) is not shown to be a prefix of the tree of size ${p.to} (root ${toBase64(root)}): the proof does not hold`,
      );
    }
  }
  return result(ok, origin, checkpoint, failures, {
    type: "consistency",
    from: p.from,
    to: p.to,
    fromRoot: toBase64(p.fromRoot),
    toRoot: toBase64(p.toRoot),
    ok,
  });
}

function result(
  ok: boolean,
  origin: string,
  checkpoint: CheckpointResult,
  failures: Failure[],
  proof: ProofResult["proof"],
): ProofResult {
  return {
    ok: ok && failures.length === 0,
    mode: "proof",
    origin,
    proof,
    checkpoint,
    failures,
    moreFailures: 0,
  };
}
