/**
 * Checkpoints (c2sp.org/tlog-checkpoint): the signed tree heads of a log, as the text of a
 * signed note.
 *
 * Wire text:
 *
 *   <origin>\n                       non-empty; logseal origins are also key names
 *   <tree size>\n                    ASCII decimal, no leading zeros, "0" for the empty tree
 *   <base64(root hash[32])>\n        standard padded base64, canonical
 *   [<extension line>\n ...]         optional, each non-empty
 *
 * For example (size 8 of the RFC 6962 reference tree):
 *
 *   example.com/tlog-test
 *   8
 *   XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=
 *
 *   — example.com/tlog-test ZGnVq...
 *
 * The log signs with an Ed25519 key (type 0x01) whose name equals the origin; witnesses add
 * cosignature/v1 lines (type 0x04). Sizes are uint64 in the spec; logseal supports sizes up to
 * 2^53-1 and rejects larger ones instead of rounding them. Parsing is strict: every accepted
 * text is exactly what {@link formatCheckpoint} emits for the result.
 */

import { fromBase64, toBase64 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import { controlIndex, keyNameProblem, type Signer, type Verifier } from "./keys.js";
import { type OpenedNote, openNote, signNote } from "./note.js";

/** A checkpoint body. */
export interface Checkpoint {
  /** The log's identity, e.g. "example.com/logseal/ml-audit". */
  origin: string;
  /** The number of leaves, 0..2^53-1. */
  size: number;
  /** The 32-byte RFC 6962 root hash of the first `size` leaves. */
  root: Uint8Array;
  /** Extension lines (without "\n"), usually none. Signed, but not understood by witnesses. */
  extensions: string[];
}

/** A checkpoint opened by {@link openCheckpoint}, with the note it came in. */
export interface OpenedCheckpoint {
  checkpoint: Checkpoint;
  note: OpenedNote;
}

/** The largest tree size logseal handles: 2^53-1, JavaScript's largest exact integer. */
export const MAX_TREE_SIZE = Number.MAX_SAFE_INTEGER;

/** The root hash length: SHA-256. */
export const ROOT_SIZE = 32;

const LONE_SURROGATE = /\p{Surrogate}/u;
const EDGE_SPACE = /^\p{White_Space}|\p{White_Space}$/u;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const C1_OR_DEL = /[\u007f-\u009f]/;

type Field = "origin" | "size" | "root" | "extension" | "text";

function invalid(reason: string, line?: number, field?: Field): LogsealError {
  const at = line === undefined ? "" : `line ${line}${field === undefined ? "" : ` (${field})`}: `;
  return new LogsealError("E_CHECKPOINT_INVALID", `invalid checkpoint: ${at}${reason}`, {
    location: line === undefined ? undefined : { line, ...(field === undefined ? {} : { field }) },
    details: { reason, ...(line === undefined ? {} : { line }) },
  });
}

function lineProblem(line: string): string | null {
  if (LONE_SURROGATE.test(line)) return "not valid unicode";
  if (controlIndex(line, false) >= 0) return "contains a control character";
  return null;
}

function originProblemForBody(origin: string): string | null {
  if (origin.length === 0) return "origin is empty";
  if (EDGE_SPACE.test(origin)) return "origin starts or ends with whitespace";
  return null;
}

/**
 * Why `origin` cannot be a logseal log's origin, or null when it can. A logseal origin is also
 * the name of the log's key: non-empty, printable (no control characters), no whitespace, no
 * "+", at most 255 UTF-8 bytes. The recommended form is a schema-less URL such as
 * "example.com/logseal/ml-audit".
 */
export function originProblem(origin: string): string | null {
  const p = keyNameProblem(origin);
  if (p !== null) return p.replace("key name", "origin");
  if (C1_OR_DEL.test(origin)) return "origin contains a control character";
  return null;
}

/**
 * Formats the canonical checkpoint text: origin, size, base64(root), extension lines, each
 * ending in "\n".
 * @throws LogsealError E_CHECKPOINT_INVALID when a field cannot be written canonically (an
 *   empty or space-edged origin, a control character, a size outside 0..2^53-1, a root that is
 *   not 32 bytes, an empty extension line).
 */
export function formatCheckpoint(cp: Checkpoint): string {
  const { origin, size, root, extensions } = cp;
  if (typeof origin !== "string") throw invalid("origin must be a string");
  const op = originProblemForBody(origin) ?? lineProblem(origin);
  if (op !== null) throw invalid(op.startsWith("origin") ? op : `origin ${op}`);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw invalid("size must be an integer from 0 to 2^53-1");
  }
  if (!(root instanceof Uint8Array) || root.length !== ROOT_SIZE) {
    throw invalid("root hash must be 32 bytes");
  }
  if (!Array.isArray(extensions)) throw invalid("extensions must be an array of strings");
  let out = `${origin}\n${size}\n${toBase64(root)}\n`;
  for (const ext of extensions) {
    if (typeof ext !== "string" || ext.length === 0)
      throw invalid("extension lines must be non-empty strings");
    const p = lineProblem(ext);
    if (p !== null) throw invalid(`extension line ${p}`);
    out += `${ext}\n`;
  }
  return out;
}

/**
 * Parses checkpoint text strictly: at least 3 lines, each ending in "\n"; a non-empty origin
 * without leading or trailing whitespace; a decimal size without leading zeros, at most
 * 2^53-1; the canonical standard base64 of a 32-byte root; non-empty extension lines; no
 * control characters. The text is attacker-controlled.
 * @throws LogsealError E_CHECKPOINT_INVALID naming the line (`location.line`, `location.field`).
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== "string") throw new TypeError("checkpoint text must be a string");
  if (!text.endsWith("\n")) throw invalid("text must end in a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw invalid("needs at least 3 lines: origin, tree size, root hash");
  for (let i = 0; i < lines.length; i++) {
    const p = lineProblem(lines[i] as string);
    if (p !== null) throw invalid(p, i + 1, "text");
  }
  const [origin, sizeText, rootText] = lines as [string, string, string];
  const op = originProblemForBody(origin);
  if (op !== null) throw invalid(op, 1, "origin");
  if (!DECIMAL.test(sizeText)) {
    throw invalid("tree size must be a decimal integer without leading zeros", 2, "size");
  }
  // Parse as BigInt: a size above 2^53-1 must be rejected, never rounded.
  if (sizeText.length > 16 || BigInt(sizeText) > BigInt(MAX_TREE_SIZE)) {
    throw invalid(
      `tree size ${sizeText.length > 40 ? `${sizeText.slice(0, 40)}...` : sizeText} is too large: logseal supports sizes up to 2^53-1`,
      2,
      "size",
    );
  }
  const root = fromBase64(rootText);
  if (root === null || root.length !== ROOT_SIZE || toBase64(root) !== rootText) {
    throw invalid("root hash must be the standard padded base64 of 32 bytes", 3, "root");
  }
  const extensions = lines.slice(3);
  for (let i = 0; i < extensions.length; i++) {
    if (extensions[i] === "") throw invalid("extension line is empty", i + 4, "extension");
  }
  return { origin, size: Number(sizeText), root, extensions };
}

/**
 * Signs a checkpoint as a log: the signed note of {@link formatCheckpoint}(cp) with one
 * Ed25519 signature line. The signer's key name must equal the origin, and the origin must be
 * a valid logseal origin (see {@link originProblem}).
 * @throws LogsealError E_CHECKPOINT_INVALID for a bad checkpoint or origin; E_KEY_INVALID when
 *   the key name is not the origin.
 */
export function signCheckpoint(cp: Checkpoint, signer: Signer): string {
  const text = formatCheckpoint(cp);
  const op = originProblem(cp.origin);
  if (op !== null) throw invalid(op, 1, "origin");
  if (signer.name !== cp.origin) {
    throw new LogsealError(
      "E_KEY_INVALID",
      `key name "${signer.name}" is not the checkpoint origin "${cp.origin}": sign with the log's own key`,
      { details: { name: signer.name, origin: cp.origin } },
    );
  }
  return signNote(text, [signer]);
}

/**
 * Opens a signed checkpoint: {@link openNote} with `verifiers`, then {@link parseCheckpoint}
 * of its text. With `expectedOrigin`, the origin must equal it and one of the verified
 * signatures must be by a key named after it (the log's own key); witness cosignatures alone
 * do not suffice. Without it, any verified signature does.
 * @throws LogsealError as openNote (E_NOTE_MALFORMED, E_NOTE_BAD_SIGNATURE, E_NOTE_UNVERIFIED,
 *   E_KEY_INVALID) and parseCheckpoint (E_CHECKPOINT_INVALID); E_CHECKPOINT_INVALID when the
 *   origin is not `expectedOrigin`; E_NOTE_UNVERIFIED when the log's key did not sign.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  verifiers: readonly Verifier[],
  expectedOrigin?: string,
): OpenedCheckpoint {
  const opened = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(opened.text);
  if (expectedOrigin !== undefined) {
    if (checkpoint.origin !== expectedOrigin) {
      throw new LogsealError(
        "E_CHECKPOINT_INVALID",
        `checkpoint origin "${checkpoint.origin}" is not the expected "${expectedOrigin}": this checkpoint is from another log`,
        {
          location: { line: 1, field: "origin" },
          details: { origin: checkpoint.origin, expected: expectedOrigin },
        },
      );
    }
    if (!opened.verified.some((s) => s.name === expectedOrigin)) {
      throw new LogsealError(
        "E_NOTE_UNVERIFIED",
        `checkpoint has no verified signature from the log key "${expectedOrigin}": pass the log's verifier key`,
        { details: { origin: expectedOrigin, verified: opened.verified.map((s) => s.name) } },
      );
    }
  }
  return { checkpoint, note: opened };
}
