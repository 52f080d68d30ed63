/**
 * Signed-note keys: key names, key ids, and the verifier (vkey) and signer (skey) strings of
 * c2sp.org/signed-note and Go's `golang.org/x/mod/sumdb/note`, for Ed25519 (signature type
 * 0x01).
 *
 * Wire text:
 *
 *   key id = uint32_be(SHA-256(name || 0x0A || type || public key)[0:4])
 *   vkey   = name "+" hex8(key id) "+" base64(0x01 || public key[32])
 *   skey   = "PRIVATE+KEY+" name "+" hex8(key id) "+" base64(0x01 || seed[32])
 *
 * For example (the Go test key):
 *
 *   PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW
 *   PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz
 *
 * The base64 part may itself contain "+", so a key string is split at its first two (vkey) or
 * four (skey) "+" only. The seed is the 32-byte RFC 8032 private seed, never the 64-byte
 * expanded key. Key strings are attacker-controlled (a vkey may come from a file an auditor
 * was handed): parsing is strict and rejects everything Go's NewVerifier and NewSigner reject,
 * plus names over 255 bytes (as transparency-dev/formats) and names with control characters
 * (which could never appear in a note). Error messages never echo an skey.
 */

import { createHash, randomBytes } from "node:crypto";
import { fromBase64, toBase64, utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import { ed25519Key, ed25519Verifier, PUBLIC_KEY_SIZE, SEED_SIZE } from "./ed25519.js";

/** Signature type of an Ed25519 note signature (c2sp.org/signed-note). */
export const SIG_TYPE_ED25519 = 0x01;

/** Longest key name logseal accepts, in UTF-8 bytes (as transparency-dev/formats). */
export const MAX_KEY_NAME_BYTES = 255;

const WHITE_SPACE = /\p{White_Space}/u; // exactly Go's unicode.IsSpace
const LONE_SURROGATE = /\p{Surrogate}/u;
const HEX8 = /^[0-9a-fA-F]{8}$/; // Go's ParseUint(h, 16, 32) with len(h) == 8: either case

/**
 * The index of the first code unit below U+0020 in `s` ("\n" allowed when `allowNewline`), or
 * -1. A loop, not a regex: the linter bans control characters in regexes.
 */
export function controlIndex(s: string, allowNewline: boolean): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && !(allowNewline && c === 0x0a)) return i;
  }
  return -1;
}

/** Something that signs note text under a key name and key id (Go's note.Signer). */
export interface Signer {
  /** The key name, written in front of each signature line. */
  readonly name: string;
  /** The key id, the first 4 bytes of each decoded signature (uint32). */
  readonly keyId: number;
  /** The matching verifier key string, safe to publish. */
  readonly vkey: string;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** Signs `msg` (the note text, including its final newline); returns the bytes after the id. */
  sign(msg: Uint8Array): Uint8Array;
}

/** Something that checks note signatures of one (name, key id) (Go's note.Verifier). */
export interface Verifier {
  readonly name: string;
  readonly keyId: number;
  /** The canonical verifier key string (lowercase hex id). */
  readonly vkey: string;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /**
   * Checks `sig` (the decoded signature after the 4-byte id) over `msg` (the note text).
   * Returns false, never throws, on garbage.
   */
  verify(msg: Uint8Array, sig: Uint8Array): boolean;
}

/**
 * The key id of a key: the first 4 bytes, big-endian, of
 * SHA-256(name || 0x0A || type || key). `typeAndKey` is the type byte followed by the public
 * key, exactly the bytes inside a vkey's base64.
 */
export function keyId(name: string, typeAndKey: Uint8Array): number {
  const h = createHash("sha256").update(utf8(name)).update("\n").update(typeAndKey).digest();
  return h.readUInt32BE(0);
}

/**
 * Why `name` is not a valid logseal key name, or null when it is. Valid: non-empty,
 * well-formed, no Unicode whitespace (Go's unicode.IsSpace, so U+00A0 and U+2028 too), no
 * "+", no control characters, at most 255 UTF-8 bytes.
 */
export function keyNameProblem(name: string): string | null {
  if (typeof name !== "string" || name.length === 0) return "key name is empty";
  if (LONE_SURROGATE.test(name)) return "key name is not valid unicode";
  if (WHITE_SPACE.test(name)) return "key name contains whitespace";
  if (name.includes("+")) return "key name contains '+'";
  if (controlIndex(name, false) >= 0) return "key name contains a control character";
  if (utf8(name).length > MAX_KEY_NAME_BYTES) return "key name is longer than 255 bytes";
  return null;
}

/** True when `name` can name a logseal key (see {@link keyNameProblem}). */
export function isValidKeyName(name: string): boolean {
  return keyNameProblem(name) === null;
}

/** Eight lowercase hex digits of a key id. */
export function hex8(id: number): string {
  return (id >>> 0).toString(16).padStart(8, "0");
}

function keyError(what: "vkey" | "skey", reason: string): LogsealError {
  const hint =
    what === "vkey"
      ? "a vkey looks like name+1a2b3c4d+base64"
      : "an skey looks like PRIVATE+KEY+name+1a2b3c4d+base64";
  return new LogsealError("E_KEY_INVALID", `invalid ${what}: ${reason} (${hint})`, {
    details: { reason },
  });
}

/** Cuts at the first `sep`, as Go's strings.Cut: no separator gives (s, ""). Internal. */
export function cut(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + sep.length)];
}

function requireName(name: string): void {
  const problem = keyNameProblem(name);
  if (problem !== null)
    throw new LogsealError("E_KEY_INVALID", problem, { details: { reason: problem } });
}

/** The bytes type || key, as inside a vkey's base64 and hashed into its key id. Internal. */
export function typeAndKey(type: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + key.length);
  out[0] = type;
  out.set(key, 1);
  return out;
}

/**
 * Formats any signed-note vkey: name "+" hex8(id) "+" base64(type || key), with the id
 * computed from the name, type and key. The name is not checked.
 */
export function formatTypedVkey(name: string, type: number, key: Uint8Array): string {
  const tk = typeAndKey(type, key);
  return `${name}+${hex8(keyId(name, tk))}+${toBase64(tk)}`;
}

/**
 * Formats the Ed25519 (type 0x01) vkey of `name` and the raw 32-byte public key `pub`.
 * @throws LogsealError E_KEY_INVALID when the name is not valid.
 * @throws RangeError when `pub` is not 32 bytes.
 */
export function formatVkey(name: string, pub: Uint8Array): string {
  requireName(name);
  if (!(pub instanceof Uint8Array) || pub.length !== PUBLIC_KEY_SIZE) {
    throw new RangeError("ed25519 public key must be 32 bytes");
  }
  return formatTypedVkey(name, SIG_TYPE_ED25519, pub);
}

/**
 * Formats the skey of `name` and the 32-byte RFC 8032 seed `seed`. The id is computed from
 * the public key derived from the seed, so the result always parses.
 * @throws LogsealError E_KEY_INVALID when the name is not valid.
 * @throws RangeError when `seed` is not 32 bytes.
 */
export function formatSkey(name: string, seed: Uint8Array): string {
  requireName(name);
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_SIZE) {
    throw new RangeError("ed25519 seed must be 32 bytes");
  }
  const { publicKey } = ed25519Key(seed);
  const id = keyId(name, typeAndKey(SIG_TYPE_ED25519, publicKey));
  return `PRIVATE+KEY+${name}+${hex8(id)}+${toBase64(typeAndKey(SIG_TYPE_ED25519, seed))}`;
}

/**
 * Generates a new Ed25519 key named `name` from 32 random bytes (node:crypto randomBytes).
 * Keep `skey` secret (a file with mode 0600); publish `vkey`.
 * @throws LogsealError E_KEY_INVALID when the name is not valid.
 */
export function generateSigner(name: string): { skey: string; vkey: string } {
  requireName(name);
  const seed = new Uint8Array(randomBytes(SEED_SIZE));
  const skey = formatSkey(name, seed);
  const vkey = formatVkey(name, ed25519Key(seed).publicKey);
  seed.fill(0);
  return { skey, vkey };
}

/**
 * Splits a vkey-shaped string (name+hex8+base64) as Go does, checking what every key type
 * shares. Returns the name, the stated id and the decoded type||key, or a reason.
 */
export function splitVkey(
  vkey: string,
): { name: string; statedId: number; typeAndKey: Uint8Array } | { reason: string } {
  if (typeof vkey !== "string") return { reason: "not a string" };
  const [name, rest] = cut(vkey, "+");
  const [hash, key64] = cut(rest, "+");
  const problem = keyNameProblem(name);
  if (problem !== null) return { reason: problem };
  if (!HEX8.test(hash)) return { reason: "key id must be 8 hex digits" };
  const tk = fromBase64(key64);
  if (tk === null) return { reason: "key is not standard padded base64" };
  if (tk.length === 0) return { reason: "key is empty" };
  return { name, statedId: Number.parseInt(hash, 16), typeAndKey: tk };
}

/**
 * Parses an Ed25519 (type 0x01) vkey into a {@link Verifier}. Strict: rejects everything Go's
 * note.NewVerifier rejects (a wrong or non-hex id, lenient base64, an invalid name, another
 * type, a key that is not 32 bytes) and names over 255 bytes. Uppercase hex in the id is
 * accepted, as Go does; the returned `vkey` is canonical (lowercase).
 * @throws LogsealError E_KEY_INVALID with `details.reason`.
 */
export function parseVkey(vkey: string): Verifier {
  const parts = splitVkey(vkey);
  if ("reason" in parts) throw keyError("vkey", parts.reason);
  const { name, statedId, typeAndKey: tk } = parts;
  // Go checks the id before it looks at the type.
  if (statedId !== keyId(name, tk))
    throw keyError("vkey", "key id does not match the name and key");
  if (tk[0] !== SIG_TYPE_ED25519) {
    throw keyError("vkey", `unsupported key type 0x${hex2(tk[0] ?? 0)}, expected 0x01 (ed25519)`);
  }
  const publicKey = tk.slice(1);
  if (publicKey.length !== PUBLIC_KEY_SIZE) throw keyError("vkey", "ed25519 key is not 32 bytes");
  const verify = ed25519Verifier(publicKey);
  return {
    name,
    keyId: statedId,
    vkey: formatTypedVkey(name, SIG_TYPE_ED25519, publicKey),
    publicKey,
    verify,
  };
}

/** Two lowercase hex digits of a byte, for messages. Internal. */
export function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}

/**
 * Splits an skey as Go does and returns its name, stated id, type byte and 32-byte seed,
 * after the checks every Ed25519 skey shares. The caller checks the type and the id, which
 * depends on the type.
 * @throws LogsealError E_KEY_INVALID; the message never contains the key.
 */
export function splitSkey(skey: string): {
  name: string;
  statedId: number;
  type: number;
  seed: Uint8Array;
} {
  if (typeof skey !== "string") throw keyError("skey", "not a string");
  const [priv1, r1] = cut(skey, "+");
  const [priv2, r2] = cut(r1, "+");
  const [name, r3] = cut(r2, "+");
  const [hash, key64] = cut(r3, "+");
  if (priv1 !== "PRIVATE" || priv2 !== "KEY") throw keyError("skey", "missing PRIVATE+KEY+ prefix");
  const problem = keyNameProblem(name);
  if (problem !== null) throw keyError("skey", problem);
  if (!HEX8.test(hash)) throw keyError("skey", "key id must be 8 hex digits");
  const tk = fromBase64(key64);
  if (tk === null) throw keyError("skey", "key is not standard padded base64");
  if (tk.length === 0) throw keyError("skey", "key is empty");
  const type = tk[0] ?? 0;
  if (tk.length !== 1 + SEED_SIZE) {
    tk.fill(0);
    throw keyError("skey", "ed25519 seed is not 32 bytes");
  }
  const seed = tk.slice(1);
  tk.fill(0);
  return { name, statedId: Number.parseInt(hash, 16), type, seed };
}

/** The E_KEY_INVALID error for a vkey or skey problem (never quoting the key). Internal. */
export function invalidKey(what: "vkey" | "skey", reason: string): LogsealError {
  return keyError(what, reason);
}

/**
 * Parses an Ed25519 skey into a {@link Signer}. Strict, as Go's note.NewSigner: the
 * PRIVATE+KEY prefix, a valid name, 8 hex digits, strict base64 of 0x01 || 32-byte seed, and
 * the stated id equal to the id of the derived public key.
 * @throws LogsealError E_KEY_INVALID with `details.reason`; the message never contains the key.
 */
export function parseSkey(skey: string): Signer {
  const { name, statedId, type, seed } = splitSkey(skey);
  if (type !== SIG_TYPE_ED25519) {
    seed.fill(0);
    throw keyError("skey", `unsupported key type 0x${hex2(type)}, expected 0x01 (ed25519)`);
  }
  const key = ed25519Key(seed);
  seed.fill(0);
  const id = keyId(name, typeAndKey(SIG_TYPE_ED25519, key.publicKey));
  if (id !== statedId) throw keyError("skey", "key id does not match the name and key");
  return {
    name,
    keyId: id,
    vkey: formatTypedVkey(name, SIG_TYPE_ED25519, key.publicKey),
    publicKey: key.publicKey,
    sign: (msg: Uint8Array) => key.sign(msg),
  };
}

/**
 * The vkey that matches an skey.
 * @throws LogsealError E_KEY_INVALID as {@link parseSkey}.
 */
export function vkeyFromSkey(skey: string): string {
  return parseSkey(skey).vkey;
}
