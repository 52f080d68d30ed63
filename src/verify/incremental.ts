/**
 * Step "consistency" of an incremental run (`since`): the auditor saved a signed checkpoint of
 * size m earlier; the log must still extend it.
 *
 *  1. the saved note opens with the pinned keys (else it is bad input: nothing was verified);
 *  2. a consistency proof from m to the latest stored checkpoint that opens (size n) is built
 *     from the stored tiles and checked against both signed roots (RFC 9162 §2.1.4.2);
 *  3. the right edge of the tree at the bundle holding m is read from the stored tiles; the
 *     entries from there on are rebuilt by the usual engine, and the tree head it gives at m
 *     must be the saved root. That root authenticates the edge, so every later tile and
 *     checkpoint is checked exactly as in a full run, from about n − m entries.
 *
 * A log rewritten before m fails step 2 (the new tree is not an extension of the old one) and
 * step 3 (its tiles give another root at m).
 */
import { bytesEqual, toBase64 } from "../bytes.js";
import { isLogsealError, LogsealError } from "../errors.js";
import {
  checkConsistency,
  EMPTY_ROOT,
  proveConsistencyFromTiles,
  TILE_WIDTH,
  type TileReader,
} from "../merkle/index.js";
import type { Checkpoint, Verifier } from "../note/index.js";
import { checkpointRef, type OpenCheckpoint, openPinned } from "./checkpoints.js";
import { RightEdge } from "./edge.js";
import type { ExpectedRoot } from "./engine.js";
import type { CheckpointRef, ConsistencyResult, FailureList } from "./report.js";

/** Where an incremental run starts, and what it found before hashing anything. */
export interface SincePlan {
  since: CheckpointRef;
  latest?: CheckpointRef;
  consistency?: ConsistencyResult;
  /** The first bundle to rebuild, and the edge of the tree before it. */
  start: number;
  edge: RightEdge;
  /** The saved root, checked when the rebuild reaches size m. */
  expected?: ExpectedRoot;
  /** False when nothing can be rebuilt (the saved size is beyond the log). */
  rebuild: boolean;
}

/**
 * Opens the auditor's saved checkpoint.
 * @throws LogsealError with the code of the reason it does not open (E_NOTE_MALFORMED,
 *   E_NOTE_UNVERIFIED, E_NOTE_BAD_SIGNATURE, E_CHECKPOINT_INVALID): the caller's input is bad
 */
export function openSavedCheckpoint(
  note: string,
  keys: readonly Verifier[],
  origin: string,
): { checkpoint: Checkpoint; verifiedBy: string[] } {
  const opened = openPinned(note, keys, origin);
  if (!opened.ok) {
    throw new LogsealError(
      opened.code,
      `the saved checkpoint (--since) does not open with the pinned keys: ${opened.message}`,
      { location: { field: "since" } },
    );
  }
  return opened;
}

export async function planSince(
  since: { checkpoint: Checkpoint; verifiedBy: string[] },
  stored: readonly OpenCheckpoint[],
  size: number,
  readTile: TileReader,
  failures: FailureList,
): Promise<SincePlan> {
  const m = since.checkpoint.size;
  const mRoot = since.checkpoint.root;
  const sinceRef = checkpointRef(since.checkpoint, since.verifiedBy);
  const fromRoot = sinceRef.root;
  if (m > size) {
    failures.add({
      kind: "consistency",
      from: m,
      to: size,
      fromRoot,
      message: `your saved checkpoint of size ${m} is beyond the log's tree of size ${size}: the log was truncated or rolled back`,
    });
    return { since: sinceRef, start: 0, edge: new RightEdge(), rebuild: false };
  }

  // The latest stored checkpoint that opened with a pinned key and fits the tree.
  const latest = stored.findLast((c) => c.root !== undefined);
  let latestRef: CheckpointRef | undefined;
  let consistency: ConsistencyResult | undefined;
  if (latest?.root === undefined) {
    failures.add({
      kind: "consistency",
      from: m,
      to: size,
      fromRoot,
      message: `no stored checkpoint opens with the pinned keys: the log cannot be proved consistent with your checkpoint of size ${m}`,
    });
  } else {
    const n = latest.result.size;
    latestRef = { size: n, root: latest.result.root, verifiedBy: latest.result.verifiedBy };
    consistency = await prove(m, mRoot, n, latest.root, readTile, failures, latestRef);
  }

  // The edge at the start of the bundle holding m, from the stored tiles.
  let start = Math.floor(m / TILE_WIDTH);
  let edge: RightEdge;
  const loaded = await RightEdge.load(start * TILE_WIDTH, readTile);
  if (loaded instanceof RightEdge) {
    edge = loaded;
  } else {
    failures.add({
      kind: "tile",
      level: loaded.level,
      index: loaded.index,
      hash: loaded.have,
      differing: loaded.need - loaded.have,
      reason: loaded.have === 0 ? "missing" : "truncated",
      expected: "(unknown)",
      actual: "(missing)",
      message: `tile ${loaded.level}/${loaded.index} holds ${loaded.have} hashes, the tree at size ${m} needs ${loaded.need}: verifying every entry from 0 instead`,
    });
    start = 0;
    edge = new RightEdge();
  }
  const expected: ExpectedRoot = {
    size: m,
    settle: (rebuilt) => {
      if (rebuilt !== undefined && bytesEqual(rebuilt, mRoot)) return;
      failures.add({
        kind: "consistency",
        from: m,
        to: latestRef?.size ?? size,
        fromRoot,
        ...(rebuilt !== undefined ? { rebuilt: toBase64(rebuilt) } : {}),
        message:
          rebuilt === undefined
            ? `the tree could not be rebuilt up to your saved checkpoint of size ${m}`
            : `at size ${m} the log gives root ${toBase64(rebuilt)}, your saved checkpoint says ${fromRoot}: the log was rewritten before your checkpoint`,
      });
    },
  };
  return {
    since: sinceRef,
    ...(latestRef !== undefined ? { latest: latestRef } : {}),
    ...(consistency !== undefined ? { consistency } : {}),
    start,
    edge,
    expected,
    rebuild: true,
  };
}

/** Proves and checks consistency between the saved checkpoint (m) and the latest one (n). */
async function prove(
  m: number,
  mRoot: Uint8Array,
  n: number,
  nRoot: Uint8Array,
  readTile: TileReader,
  failures: FailureList,
  latest: CheckpointRef,
): Promise<ConsistencyResult> {
  // Older first: the proof shows the older tree is a prefix of the newer one.
  const [a, aRoot, b, bRoot] = m <= n ? [m, mRoot, n, nRoot] : [n, nRoot, m, mRoot];
  let proof: Uint8Array[] = [];
  let ok: boolean;
  let problem = "";
  if (a === 0) {
    // C2SP tlog-witness: an empty old tree is consistent with any tree, if its root is SHA-256("").
    ok = bytesEqual(aRoot, EMPTY_ROOT);
  } else if (a === b) {
    ok = bytesEqual(aRoot, bRoot);
  } else {
    try {
      proof = await proveConsistencyFromTiles(a, b, readTile);
      ok = checkConsistency(a, aRoot, b, bRoot, proof);
    } catch (e) {
      if (!isLogsealError(e)) throw e;
      ok = false;
      problem = `: the proof cannot be built from the stored tiles (${e.message})`;
    }
  }
  const result: ConsistencyResult = { from: a, to: b, proof: proof.map(toBase64), ok };
  if (!ok) {
    const signer = latest.verifiedBy.join(", ");
    failures.add({
      kind: "consistency",
      from: m,
      to: n,
      fromRoot: toBase64(mRoot),
      toRoot: toBase64(nRoot),
      proof: result.proof,
      message:
        m <= n
          ? `the latest checkpoint (size ${n}, signed by ${signer}) does not extend your saved checkpoint of size ${m}${problem || ": the log was rewritten before your checkpoint"}`
          : `your saved checkpoint of size ${m} does not extend the latest stored checkpoint (size ${n}, signed by ${signer})${problem}`,
    });
  }
  return result;
}
