/**
 * Witness cosignatures: Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature), signature type
 * 0x04. A cosignature is one more signature line on a checkpoint note.
 *
 * Wire text:
 *
 *   key id    = uint32_be(SHA-256(name || 0x0A || 0x04 || public key[32])[0:4])
 *   vkey      = name "+" hex8(key id) "+" base64(0x04 || public key)
 *   payload   = uint64_be(timestamp) || ed25519 signature[64]        (exactly 72 bytes)
 *   line      = "— " name " " base64(uint32_be(key id) || payload)    (76 bytes decoded)
 *   signed    = "cosignature/v1\n" "time " decimal(timestamp) "\n" || checkpoint text
 *
 * For example (the C2SP example witness line, timestamp 1679315147):
 *
 *   — witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==
 *
 * The timestamp is POSIX seconds, at most 2^63-1 (the spec's limit). The signed checkpoint
 * text includes its extension lines and its final "\n". The message does not commit to the
 * cosigner's name, so each cosigner must use its own key. As transparency-dev/formats
 * NewVerifierForCosignatureV1, a type 0x01 vkey is accepted and its key re-derived as type
 * 0x04 (a different key id); unlike it, the id written in the vkey must match its own type.
 */

import { concatBytes, utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import { ed25519Key, ed25519Verifier, PUBLIC_KEY_SIZE, SIGNATURE_SIZE } from "./ed25519.js";
import {
  formatTypedVkey,
  hex2,
  invalidKey,
  keyId,
  SIG_TYPE_ED25519,
  type Signer,
  splitSkey,
  splitVkey,
  typeAndKey,
  type Verifier,
} from "./keys.js";
import type { NoteSignature } from "./note.js";

/** Signature type of an Ed25519 cosignature/v1 (c2sp.org/signed-note, tlog-cosignature). */
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;

/** Length of a cosignature/v1 payload after the key id: 8-byte timestamp || 64-byte sig. */
export const COSIGNATURE_V1_SIZE = 8 + SIGNATURE_SIZE;

const MAX_TIMESTAMP = (1n << 63n) - 1n;

/**
 * The bytes a cosignature/v1 signs: "cosignature/v1\ntime <timestamp>\n" || text.
 * @throws RangeError when `timestamp` is not an integer in 0..2^63-1.
 */
export function cosignatureMessage(timestamp: number | bigint, text: Uint8Array): Uint8Array {
  const t = BigInt(timestamp);
  if (t < 0n || t > MAX_TIMESTAMP) throw new RangeError("cosignature timestamp out of range");
  return concatBytes(utf8(`cosignature/v1\ntime ${t}\n`), text);
}

/** As transparency-dev/formats: the cosigned text must have at least 3 lines (2 newlines). */
function hasThreeLines(text: Uint8Array): boolean {
  let n = 0;
  for (const b of text) if (b === 0x0a && ++n === 2) return true;
  return false;
}

function typedKey(name: string, type: number, pub: Uint8Array): number {
  return keyId(name, typeAndKey(type, pub));
}

/**
 * A verifier of Ed25519 cosignature/v1 signatures, to pass to openNote or openCheckpoint next
 * to the log's verifier. Accepts a type 0x04 vkey, or a type 0x01 vkey whose key is then used
 * as type 0x04 (its key id is re-derived, as transparency-dev/formats does). Its `verify`
 * returns false, never throws, unless the payload is exactly 72 bytes, the timestamp at most
 * 2^63-1, the text at least 3 lines, and the signature valid.
 * @throws LogsealError E_KEY_INVALID with `details.reason`.
 */
export function cosignatureVerifier(vkey: string): Verifier {
  const parts = splitVkey(vkey);
  if ("reason" in parts) throw invalidKey("vkey", parts.reason);
  const { name, statedId, typeAndKey: tk } = parts;
  const type = tk[0] ?? 0;
  if (type !== SIG_TYPE_ED25519 && type !== SIG_TYPE_COSIGNATURE_V1) {
    throw invalidKey("vkey", `unsupported key type 0x${hex2(type)}, expected 0x04 or 0x01`);
  }
  const publicKey = tk.slice(1);
  if (publicKey.length !== PUBLIC_KEY_SIZE) throw invalidKey("vkey", "ed25519 key is not 32 bytes");
  if (statedId !== keyId(name, tk))
    throw invalidKey("vkey", "key id does not match the name and key");
  const ed = ed25519Verifier(publicKey);
  return {
    name,
    keyId: typedKey(name, SIG_TYPE_COSIGNATURE_V1, publicKey),
    vkey: formatTypedVkey(name, SIG_TYPE_COSIGNATURE_V1, publicKey),
    publicKey,
    verify(msg: Uint8Array, sig: Uint8Array): boolean {
      if (!(sig instanceof Uint8Array) || sig.length !== COSIGNATURE_V1_SIZE) return false;
      if (!(msg instanceof Uint8Array) || !hasThreeLines(msg)) return false;
      const t = new DataView(sig.buffer, sig.byteOffset, 8).getBigUint64(0);
      if (t > MAX_TIMESTAMP) return false;
      return ed(cosignatureMessage(t, msg), sig.subarray(8));
    },
  };
}

/**
 * A cosigner: a {@link Signer} that makes Ed25519 cosignature/v1 signatures, for witnesses
 * and tests. Add its line to a checkpoint note with
 * `signNote(opened.text, [cosigner], [...opened.verified, ...opened.unverified])`.
 *
 * @param skey an Ed25519 skey (type 0x01, as note.NewSigner; type 0x04 is accepted too, as
 *   transparency-dev/formats does). The key id and vkey of the cosigner are the type 0x04 ones.
 * @param now POSIX seconds to stamp, or a clock returning them; defaults to the system clock.
 * @throws LogsealError E_KEY_INVALID for a bad skey (the message never contains the key).
 *   Its `sign` throws E_CHECKPOINT_INVALID when the text has fewer than 3 lines, and
 *   RangeError when the clock gives something that is not an integer in 0..2^53-1.
 */
export function cosigner(skey: string, now?: number | (() => number)): Signer {
  const { name, statedId, type, seed } = splitSkey(skey);
  if (type !== SIG_TYPE_ED25519 && type !== SIG_TYPE_COSIGNATURE_V1) {
    seed.fill(0);
    throw invalidKey("skey", `unsupported key type 0x${hex2(type)}, expected 0x01 or 0x04`);
  }
  const key = ed25519Key(seed);
  seed.fill(0);
  if (statedId !== typedKey(name, type, key.publicKey)) {
    throw invalidKey("skey", "key id does not match the name and key");
  }
  const clock =
    typeof now === "function"
      ? now
      : typeof now === "number"
        ? () => now
        : () => Math.floor(Date.now() / 1000);
  return {
    name,
    keyId: typedKey(name, SIG_TYPE_COSIGNATURE_V1, key.publicKey),
    vkey: formatTypedVkey(name, SIG_TYPE_COSIGNATURE_V1, key.publicKey),
    publicKey: key.publicKey,
    sign(msg: Uint8Array): Uint8Array {
      const t = clock();
      if (!Number.isSafeInteger(t) || t < 0) {
        throw new RangeError("cosignature time must be an integer number of seconds >= 0");
      }
      if (!hasThreeLines(msg)) {
        throw new LogsealError(
          "E_CHECKPOINT_INVALID",
          "cosignature/v1 signs checkpoints: the text needs at least 3 lines",
        );
      }
      const out = new Uint8Array(COSIGNATURE_V1_SIZE);
      new DataView(out.buffer).setBigUint64(0, BigInt(t));
      out.set(key.sign(cosignatureMessage(t, msg)), 8);
      return out;
    },
  };
}

/**
 * The timestamp (POSIX seconds) of a cosignature/v1 signature, without verifying it.
 * @param sig a note signature line, or its decoded signature after the 4-byte key id.
 * @returns the timestamp, or null when the payload is not 72 bytes or the timestamp is above
 *   2^53-1 (JavaScript's exact integers).
 */
export function cosignatureTimestamp(sig: NoteSignature | Uint8Array): number | null {
  const b = sig instanceof Uint8Array ? sig : sig.signature;
  if (!(b instanceof Uint8Array) || b.length !== COSIGNATURE_V1_SIZE) return null;
  const t = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  return t > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(t);
}
