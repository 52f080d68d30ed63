/**
 * Step "checkpoints": open each stored checkpoint note with the pinned keys only.
 *
 * C2SP signed-note rules: a signature line of a key that is not pinned is ignored (and listed in
 * `unknownSigners`); a bad signature from a pinned key rejects the note; a note with no
 * signature from a pinned key named after the log's origin does not count. Every note here is
 * attacker-controlled (it comes from the store or a file being verified): nothing throws on it.
 */
import { toBase64 } from "../bytes.js";
import { type ErrorCode, isLogsealError } from "../errors.js";
import { type Checkpoint, openCheckpoint, parseNote, type Verifier } from "../note/index.js";
import type { StoredCheckpoint } from "../store/reader.js";
import type { CheckpointRef, CheckpointResult, FailureList } from "./report.js";

/** A checked checkpoint, with its root bytes while it still awaits the rebuilt root. */
export interface OpenCheckpoint {
  result: CheckpointResult;
  /** The signed root, when the note opened and its size is plausible; else undefined. */
  root?: Uint8Array;
}

/** The result of opening one note with pinned keys: the checkpoint, or why it did not open. */
export type Opened =
  | { ok: true; checkpoint: Checkpoint; verifiedBy: string[]; unknownSigners: string[] }
  | { ok: false; message: string; signer?: string; code: ErrorCode; unknownSigners: string[] };

/**
 * Opens `note` with the pinned `keys`, requiring a verified signature from the key named
 * `origin` (the log's own key) and the origin as the checkpoint's first line.
 * @returns the checkpoint, or the reason it does not open. Never throws on the note.
 */
export function openPinned(note: string, keys: readonly Verifier[], origin: string): Opened {
  let unknownSigners: string[] = [];
  try {
    unknownSigners = parseNote(note)
      .signatures.filter((s) => !keys.some((k) => k.name === s.name && k.keyId === s.keyId))
      .map((s) => s.name);
  } catch {
    // openCheckpoint below reports the malformed note.
  }
  try {
    const cp = openCheckpoint(note, keys, origin);
    return {
      ok: true,
      checkpoint: cp.checkpoint,
      verifiedBy: cp.note.verified.map((s) => s.name),
      unknownSigners,
    };
  } catch (e) {
    if (!isLogsealError(e)) throw e; // a bug, not bad input
    const signer = typeof e.details?.name === "string" ? e.details.name : undefined;
    return {
      ok: false,
      message: e.message,
      code: e.code,
      unknownSigners,
      ...(signer !== undefined ? { signer } : {}),
    };
  }
}

/** A checkpoint reference for reports. */
export function checkpointRef(checkpoint: Checkpoint, verifiedBy: string[]): CheckpointRef {
  return { size: checkpoint.size, root: toBase64(checkpoint.root), verifiedBy };
}

/**
 * Opens the stored checkpoints with pinned keys. A note that does not open, a note whose size
 * differs from the size it is stored under, and a checkpoint beyond the stored tree are
 * failures; the others keep their root to be compared with the rebuilt tree.
 * @param stored the reader's checkpoints, ascending by size
 * @param size the reader's tree size
 */
export function openStoredCheckpoints(
  stored: readonly StoredCheckpoint[],
  keys: readonly Verifier[],
  origin: string,
  size: number,
  failures: FailureList,
): OpenCheckpoint[] {
  const out: OpenCheckpoint[] = [];
  for (const s of stored) {
    const result: CheckpointResult = {
      size: s.size,
      root: "",
      verifiedBy: [],
      unknownSigners: [],
      ok: false,
    };
    const opened = openPinned(s.note, keys, origin);
    result.unknownSigners = opened.unknownSigners;
    out.push({ result });
    if (!opened.ok) {
      failures.add({
        kind: "checkpoint",
        size: s.size,
        message: `checkpoint of size ${s.size}: ${opened.message}`,
        ...(opened.signer !== undefined ? { signer: opened.signer } : {}),
      });
      continue;
    }
    const cp = opened.checkpoint;
    result.verifiedBy = opened.verifiedBy;
    result.root = toBase64(cp.root);
    const signer = opened.verifiedBy[0] as string;
    if (cp.size !== s.size) {
      failures.add({
        kind: "checkpoint",
        size: s.size,
        signer,
        message: `the checkpoint stored under size ${s.size} says size ${cp.size}`,
      });
    } else if (s.size > size) {
      failures.add({
        kind: "checkpoint",
        size: s.size,
        signer,
        message: `checkpoint of size ${s.size} signed by ${signer} is beyond the stored tree of size ${size}: entries are missing (or the stored tree size was lowered)`,
      });
    } else {
      (out.at(-1) as OpenCheckpoint).root = cp.root;
    }
  }
  return out;
}
