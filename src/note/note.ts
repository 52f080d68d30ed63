/**
 * Signed notes (c2sp.org/signed-note), byte for byte as Go's `golang.org/x/mod/sumdb/note`
 * Sign and Open.
 *
 * Wire text:
 *
 *   <text: one or more lines, each ending in "\n"; blank lines allowed>
 *   "\n"
 *   "— " <key name> " " base64(uint32_be(key id) || signature) "\n"     (one or more)
 *
 * For example:
 *
 *   If you think cryptography is the answer to your problem,
 *   then you don't know what your problem is.
 *
 *   — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=
 *
 * The dash is U+2014 (UTF-8 e2 80 94). A signature signs the text exactly as it appears,
 * including its final "\n" and excluding the blank separator line. The text ends at the LAST
 * "\n\n" of the message, so it may itself contain blank lines. The whole message must be valid
 * UTF-8 with no code point below U+0020 other than "\n" (so CR, TAB, NUL and CRLF notes are
 * malformed). Each signature line decodes (strict padded base64; non-zero trailing bits are
 * accepted, as Go does) to at least 5 bytes; at most 100 signature lines are read.
 *
 * A note is attacker-controlled input. Opening it: a signature from an unknown (name, id) is
 * recorded as unverified and otherwise ignored (that is how witnesses and key rotation work);
 * a second line from the same known (name, id) is skipped without being verified; a bad
 * signature from a known key fails the whole note; a note with no verified signature fails.
 */

import { bytesEqual, concatBytes, fromBase64, toBase64, utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import { controlIndex, cut, hex8, type Signer, type Verifier } from "./keys.js";

/** One signature line of a note. */
export interface NoteSignature {
  /** The key name on the line. */
  name: string;
  /** The key id: the first 4 bytes of the decoded signature, big-endian. */
  keyId: number;
  /** The decoded signature after the 4-byte key id. */
  signature: Uint8Array;
  /** The whole line as it appeared, without its final "\n": "— name base64". */
  line: string;
}

/** A note whose signatures were checked by {@link openNote}. */
export interface OpenedNote {
  /** The signed text, ending in "\n". */
  text: string;
  /** Signatures verified by a known key, in note order, one per (name, key id). */
  verified: NoteSignature[];
  /** Signatures from unknown keys, in note order, identical lines once. Not checked. */
  unverified: NoteSignature[];
}

/** A note split by {@link parseNote}, with nothing verified. */
export interface ParsedNote {
  text: string;
  /** Every well-formed signature line in note order, identical lines once. None is verified. */
  signatures: NoteSignature[];
}

/** The most signature lines a note may carry (Go's limit; C2SP requires at least 16). */
export const MAX_NOTE_SIGNATURES = 100;

const SIG_PREFIX = "— ";
const LONE_SURROGATE = /\p{Surrogate}/u;
const WHITE_SPACE = /\p{White_Space}/u;
// ignoreBOM: a leading U+FEFF is part of the signed text, not something to strip.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function malformed(reason: string, details: Record<string, unknown> = {}): LogsealError {
  return new LogsealError("E_NOTE_MALFORMED", `malformed note: ${reason}`, {
    details: { reason, ...details },
  });
}

/** Go's isValidName for note lines: non-empty, no Unicode whitespace, no "+". */
function isValidNoteName(name: string): boolean {
  return name.length > 0 && !WHITE_SPACE.test(name) && !name.includes("+");
}

/** Decodes and checks the message; the text and signature block as Go splits them. */
function splitNote(msg: string | Uint8Array): { text: string; block: string; firstLine: number } {
  let s: string;
  if (typeof msg === "string") {
    if (LONE_SURROGATE.test(msg)) throw malformed("not valid UTF-8");
    s = msg;
  } else if (msg instanceof Uint8Array) {
    try {
      s = UTF8.decode(msg);
    } catch {
      throw malformed("not valid UTF-8");
    }
  } else {
    throw new TypeError("note must be a string or a Uint8Array");
  }
  const bad = controlIndex(s, true);
  if (bad >= 0) {
    const code = s.charCodeAt(bad);
    const what =
      code === 0x0d
        ? "a carriage return (CRLF line endings are not allowed)"
        : `control character U+${code.toString(16).padStart(4, "0")}`;
    throw malformed(`contains ${what}; only "\\n" may appear below U+0020`, {
      offset: bad,
    });
  }
  const split = s.lastIndexOf("\n\n");
  if (split < 0) throw malformed("no signature block (a blank line, then signature lines)");
  const text = s.slice(0, split + 1);
  const block = s.slice(split + 2);
  if (block.length === 0) throw malformed("no signature lines after the blank line");
  if (!block.endsWith("\n")) throw malformed("the last signature line does not end in a newline");
  let firstLine = 2; // 1-based line number of the first signature line
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) firstLine++;
  return { text, block, firstLine };
}

/** Parses one signature line (without "\n") as Go's Open does. */
function parseSignatureLine(line: string, lineNo: number): NoteSignature {
  const where = { line: lineNo };
  if (!line.startsWith(SIG_PREFIX)) {
    throw malformed(`line ${lineNo} does not start with "— " (em dash, space)`, where);
  }
  const [name, b64] = cut(line.slice(SIG_PREFIX.length), " ");
  const raw = b64 === "" ? null : fromBase64(b64);
  if (!isValidNoteName(name)) throw malformed(`line ${lineNo}: invalid key name`, where);
  if (raw === null)
    throw malformed(`line ${lineNo}: signature is not standard padded base64`, where);
  if (raw.length < 5) throw malformed(`line ${lineNo}: signature is shorter than 5 bytes`, where);
  const keyId =
    ((raw[0] ?? 0) * 0x1000000 + ((raw[1] ?? 0) << 16) + ((raw[2] ?? 0) << 8) + (raw[3] ?? 0)) >>>
    0;
  return { name, keyId, signature: raw.slice(4), line };
}

/** Calls `f` for each signature line in order, enforcing the 100-line cap as Go does. */
function forEachLine(
  block: string,
  firstLine: number,
  f: (sig: NoteSignature, lineNo: number) => void,
): void {
  let count = 0;
  // The block ends in "\n", so every line has one.
  for (let start = 0; start < block.length; ) {
    const end = block.indexOf("\n", start);
    const lineNo = firstLine + count;
    const sig = parseSignatureLine(block.slice(start, end), lineNo);
    if (++count > MAX_NOTE_SIGNATURES) {
      throw malformed(`more than ${MAX_NOTE_SIGNATURES} signature lines`, { line: lineNo });
    }
    f(sig, lineNo);
    start = end + 1;
  }
}

/**
 * Splits a note and parses its signature lines without verifying anything, for showing who
 * signed. Applies every well-formedness rule of {@link openNote}.
 * @throws LogsealError E_NOTE_MALFORMED with `details.reason`.
 */
export function parseNote(msg: string | Uint8Array): ParsedNote {
  const { text, block, firstLine } = splitNote(msg);
  const signatures: NoteSignature[] = [];
  const seen = new Set<string>();
  forEachLine(block, firstLine, (sig) => {
    if (seen.has(sig.line)) return;
    seen.add(sig.line);
    signatures.push(sig);
  });
  return { text, signatures };
}

/** (name, id) → verifiers with that pair; Go's VerifierList. */
function verifierIndex(verifiers: readonly Verifier[]): Map<string, Map<number, Verifier[]>> {
  if (!Array.isArray(verifiers)) throw new TypeError("verifiers must be an array");
  const byName = new Map<string, Map<number, Verifier[]>>();
  for (const v of verifiers) {
    let byId = byName.get(v.name);
    if (byId === undefined) {
      byId = new Map();
      byName.set(v.name, byId);
    }
    const list = byId.get(v.keyId);
    if (list === undefined) byId.set(v.keyId, [v]);
    else list.push(v);
  }
  return byName;
}

/**
 * Opens a signed note, exactly as Go's note.Open: checks the message is well-formed, then
 * reads the signature lines in order. A line whose (name, key id) matches no verifier is
 * recorded in `unverified` (identical lines once) and otherwise ignored; the first line of a
 * known (name, key id) is verified, later ones are skipped unverified.
 *
 * @param msg the note, as text or as its UTF-8 bytes (attacker-controlled).
 * @param verifiers the trusted keys. Two verifiers with the same (name, key id) are an error
 *   when a line of that pair is met (Go's "ambiguous key").
 * @returns the text and the verified and unverified signatures; `verified` is never empty.
 * @throws LogsealError E_NOTE_MALFORMED (`details.reason`, `details.line` when known);
 *   E_NOTE_BAD_SIGNATURE when a known key's signature does not verify (`details.name`,
 *   `details.keyId`): the whole note is rejected; E_NOTE_UNVERIFIED when no signature is from
 *   a known key (`details.unverified` lists who signed); E_KEY_INVALID for an ambiguous key.
 */
export function openNote(msg: string | Uint8Array, verifiers: readonly Verifier[]): OpenedNote {
  const { text, block, firstLine } = splitNote(msg);
  const known = verifierIndex(verifiers);
  const textBytes = utf8(text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seenKnown = new Set<string>();
  const seenUnknownLines = new Set<string>();
  forEachLine(block, firstLine, (sig, lineNo) => {
    const candidates = known.get(sig.name)?.get(sig.keyId);
    if (candidates === undefined) {
      if (seenUnknownLines.has(sig.line)) return;
      seenUnknownLines.add(sig.line);
      unverified.push(sig);
      return;
    }
    const id = `${sig.name}+${hex8(sig.keyId)}`;
    if (candidates.length > 1) {
      throw new LogsealError(
        "E_KEY_INVALID",
        `ambiguous key ${id}: two trusted keys have this name and key id; remove one`,
        { details: { name: sig.name, keyId: sig.keyId } },
      );
    }
    if (seenKnown.has(id)) return;
    seenKnown.add(id);
    const v = candidates[0] as Verifier;
    if (!v.verify(textBytes, sig.signature)) {
      throw new LogsealError(
        "E_NOTE_BAD_SIGNATURE",
        `invalid signature for key ${id}: the note was altered or signed by a different key`,
        { details: { name: sig.name, keyId: sig.keyId, line: lineNo } },
      );
    }
    verified.push(sig);
  });
  if (verified.length === 0) {
    const who = unverified.map((s) => `${s.name}+${hex8(s.keyId)}`);
    const by = who.length > 0 ? `signed only by unknown keys ${who.join(", ")}` : "no signatures";
    throw new LogsealError(
      "E_NOTE_UNVERIFIED",
      `note has no verifiable signatures (${by}): pass the signer's verifier key`,
      {
        details: {
          text,
          unverified: unverified.map((u) => ({ name: u.name, keyId: u.keyId, line: u.line })),
        },
      },
    );
  }
  return { text, verified, unverified };
}

function checkText(text: string): void {
  if (typeof text !== "string") throw new TypeError("note text must be a string");
  if (!text.endsWith("\n")) throw malformed("note text must end in a newline");
  if (LONE_SURROGATE.test(text)) throw malformed("note text is not valid unicode");
  if (controlIndex(text, true) >= 0)
    throw malformed('note text contains a control character other than "\\n"');
}

/**
 * Signs `text` with each signer, as Go's note.Sign: the result is
 * text || "\n" || existing signature lines || one new line per signer, in signer order.
 * Existing lines whose (name, key id) matches a new signer are dropped (replaced). To match Go
 * exactly, pass `[...opened.verified, ...opened.unverified]` as `existing`.
 *
 * @param text the note text: ends in "\n", valid Unicode, no control character but "\n".
 * @param signers the keys to sign with; Ed25519 signing is deterministic.
 * @param existing signature lines to keep, each re-checked against its `line`.
 * @returns the signed note.
 * @throws LogsealError E_NOTE_MALFORMED for a bad text, an inconsistent existing signature, no
 *   signature at all or more than 100; E_KEY_INVALID for a signer with an invalid name.
 */
export function signNote(
  text: string,
  signers: readonly Signer[],
  existing: readonly NoteSignature[] = [],
): string {
  checkText(text);
  const msg = utf8(text);
  const have = new Set<string>();
  const fresh: string[] = [];
  for (const s of signers) {
    if (
      !isValidNoteName(s.name) ||
      LONE_SURROGATE.test(s.name) ||
      controlIndex(s.name, false) >= 0
    ) {
      throw new LogsealError("E_KEY_INVALID", "signer has an invalid key name");
    }
    if (!Number.isInteger(s.keyId) || s.keyId < 0 || s.keyId > 0xffffffff) {
      throw new RangeError("signer key id must be a uint32");
    }
    have.add(`${s.name}+${hex8(s.keyId)}`);
    const id = new Uint8Array(4);
    new DataView(id.buffer).setUint32(0, s.keyId);
    fresh.push(`${SIG_PREFIX}${s.name} ${toBase64(concatBytes(id, s.sign(msg)))}\n`);
  }
  const kept: string[] = [];
  for (const e of existing) {
    if (have.has(`${e.name}+${hex8(e.keyId)}`)) continue;
    let parsed: NoteSignature;
    try {
      if (controlIndex(e.line, false) >= 0 || LONE_SURROGATE.test(e.line))
        throw new Error("bad character");
      parsed = parseSignatureLine(e.line, 0);
    } catch {
      throw malformed("an existing signature line is not well-formed");
    }
    if (
      parsed.name !== e.name ||
      parsed.keyId !== e.keyId ||
      !(e.signature instanceof Uint8Array) ||
      !bytesEqual(parsed.signature, e.signature)
    ) {
      throw malformed("an existing signature does not match its line");
    }
    kept.push(`${e.line}\n`);
  }
  const count = kept.length + fresh.length;
  if (count === 0) throw malformed("a note needs at least one signature");
  if (count > MAX_NOTE_SIGNATURES) throw malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  return `${text}\n${kept.join("")}${fresh.join("")}`;
}
