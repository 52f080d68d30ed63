/**
 * What the verifier reports: the failures with their evidence, the checkpoints it checked, the
 * incremental and proof results, and the progress events it emits on the way. The JSON form of
 * these types is specified in formats/verify-report.md; fields are only ever added.
 */

/** A pinned-key check of a checkpoint, and whether its root equals the rebuilt tree's. */
export interface CheckpointResult {
  size: number;
  /** The signed root (base64); empty when the note could not be opened. */
  root: string;
  /** Names of the pinned keys whose signatures verified. */
  verifiedBy: string[];
  /** Names on signature lines from keys that are not pinned (ignored, as C2SP requires). */
  unknownSigners: string[];
  ok: boolean;
}

/** One integrity failure, with the evidence an auditor needs to find it. */
export type Failure =
  | {
      kind: "bundle";
      bundle: number;
      /** The first entry the bundle holds. */
      entry: number;
      /** Why: not stored, not whole length-prefixed entries, or another number of entries. */
      reason: "missing" | "malformed" | "count";
      /** The entries the tree size implies, and (for `count`) the entries it holds. */
      expected: number;
      actual?: number;
      message: string;
    }
  | { kind: "entry"; index: number; message: string }
  | {
      kind: "tile";
      level: number;
      index: number;
      /** The first hash in the tile that differs (0..255). */
      hash: number;
      /** For level 0, the entry whose leaf hash differs. */
      entry?: number;
      /** Hash positions that differ, counting missing and extra ones. */
      differing: number;
      reason: "changed" | "missing" | "truncated" | "extra";
      /** The hash rebuilt from the entries, and the stored one ("(missing)" when absent). */
      expected: string;
      actual: string;
      message: string;
    }
  | {
      kind: "checkpoint";
      size: number;
      signer?: string;
      /** The rebuilt root (base64) and the signed one, for a root that differs. */
      expected?: string;
      actual?: string;
      message: string;
    }
  | { kind: "size"; size: number; bundle: number; message: string }
  | {
      kind: "consistency";
      from: number;
      to: number;
      /** The saved checkpoint's root, and (when known) the latest checkpoint's. */
      fromRoot: string;
      toRoot?: string;
      /** The consistency proof that failed (base64), when one could be built. */
      proof?: string[];
      /** The root the entries give at size `from`, when it was rebuilt. */
      rebuilt?: string;
      message: string;
    }
  | { kind: "proof"; message: string };

/** A checkpoint that an incremental run starts from or goes to. */
export interface CheckpointRef {
  size: number;
  root: string;
  verifiedBy: string[];
}

/** The consistency proof of an incremental run. */
export interface ConsistencyResult {
  from: number;
  to: number;
  /** The proof hashes, leaf level upward (base64); empty when from = to or none could be built. */
  proof: string[];
  ok: boolean;
}

/** Everything a log verification found. */
export interface VerifyReport {
  ok: boolean;
  /** "full": every entry from 0; "incremental": from a saved checkpoint (`since`). */
  mode: "full" | "incremental";
  origin: string;
  /** The tree size the reader holds. */
  size: number;
  /** The first entry hashed: 0 in full mode, the start of the bundle holding `since.size` else. */
  start: number;
  /** Entries hashed. */
  entries: number;
  /** Hash tiles rebuilt and compared. */
  tiles: number;
  /** The tree head rebuilt from the entries (of `size`), base64. */
  root: string;
  /** The stored checkpoints checked (in incremental mode, those of size ≥ `since.size`). */
  checkpoints: CheckpointResult[];
  /** Incremental mode: the saved checkpoint, the latest stored one, and the proof between. */
  since?: CheckpointRef;
  latest?: CheckpointRef;
  consistency?: ConsistencyResult;
  /** Whether leaves were decoded as events of schema v1 (`checkEvents`). */
  eventsChecked: boolean;
  failures: Failure[];
  /** Failures found beyond `maxFailures` (counted, not listed). */
  moreFailures: number;
}

/** Typed progress events, drawn by the CLI as a progress bar and by the TUI. */
export interface VerifyProgress {
  phase: "checkpoints" | "consistency" | "entries" | "done";
  /** Entries hashed so far, of `total` to hash. */
  done: number;
  total: number;
  /** Entries per second since the entries phase began. */
  rate: number;
}

/**
 * Failures in the order found, at most `max` listed, the rest counted. Every step adds to the
 * same list, so `maxFailures` bounds the report whatever fails.
 */
export class FailureList {
  readonly list: Failure[] = [];
  more = 0;
  readonly #max: number;
  readonly #onAdd: ((f: Failure) => void) | undefined;

  constructor(max: number, onAdd?: (f: Failure) => void) {
    this.#max = max;
    this.#onAdd = onAdd;
  }

  add(f: Failure): void {
    if (this.list.length < this.#max) {
      this.list.push(f);
      this.#onAdd?.(f);
    } else this.more++;
  }

  /** Adds failures found elsewhere (a worker), with the count it left out. */
  addAll(fs: readonly Failure[], more = 0): void {
    for (const f of fs) this.add(f);
    this.more += more;
  }

  get count(): number {
    return this.list.length + this.more;
  }
}
