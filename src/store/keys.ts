/**
 * The vault key of a store and the authenticated encryption built on it (formats/storage.md,
 * "Vault and encryption at rest").
 *
 * The vault key is 32 bytes, from a passphrase (scrypt, with the salt and cost kept in the
 * store) or from a key file (the base64 of 32 random bytes, one line, mode 0600). It never
 * enters the store: the store keeps only what is sealed under it (the vault's X25519 private
 * key, and the entry-bundle key of an encrypted store) and a check value that tells a wrong key
 * from a damaged store.
 *
 * Sealing is AES-256-GCM with a fresh 12-byte random nonce: `nonce || ciphertext || tag`, the
 * associated data naming what the bytes are and where they belong, so that sealed values cannot
 * be moved to another key or purpose.
 */
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
} from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { fromBase64, toBase64, utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";

/** Where the vault key comes from. */
export type VaultKeySource = { passphrase: string } | { keyFile: string };

/** How the store's vault key is derived (kept in `v/meta`). */
export type Kdf =
  | { alg: "scrypt"; N: number; r: number; p: number; salt: string }
  | { alg: "key-file" };

export const KEY_LENGTH = 32;
const NONCE = 12;
const TAG = 16;
/** The bytes sealing adds: nonce and tag. */
export const SEAL_OVERHEAD = NONCE + TAG;

/**
 * scrypt cost: N = 2^15, r = 8 (32 MiB, the RFC 7914 interactive setting). (measured) About
 * 90 ms on the 2-core development machine, paid once per command that needs the key.
 */
const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;

/** A new KDF description for a source: a fresh salt for a passphrase. */
export function newKdf(source: VaultKeySource): Kdf {
  return "passphrase" in source
    ? { alg: "scrypt", ...SCRYPT, salt: toBase64(randomBytes(16)) }
    : { alg: "key-file" };
}

/**
 * The vault key from `source` under the store's `kdf`.
 * @throws LogsealError E_VAULT_KEY_WRONG (a passphrase for a key-file vault or the reverse),
 *   E_VAULT_KEY_INSECURE, E_VAULT_KEY_INVALID, E_IO (key file unreadable)
 */
export async function deriveVaultKey(source: VaultKeySource, kdf: Kdf): Promise<Uint8Array> {
  if ("passphrase" in source) {
    if (kdf.alg !== "scrypt") {
      throw new LogsealError(
        "E_VAULT_KEY_WRONG",
        "this store's vault is locked by a key file, not a passphrase: pass --vault-key FILE (or LOGSEAL_VAULT_KEY)",
      );
    }
    if (source.passphrase === "") {
      throw new LogsealError("E_VAULT_KEY_INVALID", "the vault passphrase is empty");
    }
    const salt = fromBase64(kdf.salt);
    if (salt === null)
      throw new LogsealError("E_STORE_CORRUPT", "the vault's scrypt salt is damaged");
    return scrypt(source.passphrase, salt, kdf);
  }
  if (kdf.alg !== "key-file") {
    throw new LogsealError(
      "E_VAULT_KEY_WRONG",
      "this store's vault is locked by a passphrase, not a key file: set LOGSEAL_VAULT_PASSPHRASE",
    );
  }
  return readKeyFile(source.keyFile);
}

function scrypt(
  passphrase: string,
  salt: Uint8Array,
  p: { N: number; r: number; p: number },
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scryptCb(
      passphrase.normalize("NFC"),
      salt,
      KEY_LENGTH,
      { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r },
      (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))),
    );
  });
}

/**
 * Reads a vault key file: mode 0600 (no access for group or others), one line holding the
 * base64 of 32 bytes.
 * @throws LogsealError E_VAULT_KEY_INSECURE, E_VAULT_KEY_INVALID, E_IO
 */
export async function readKeyFile(file: string): Promise<Uint8Array> {
  let text: string;
  try {
    const st = await stat(file);
    if ((st.mode & 0o077) !== 0) {
      throw new LogsealError(
        "E_VAULT_KEY_INSECURE",
        `the vault key file ${file} has mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}: others may read it; run 'chmod 600 ${file}'`,
        { location: { file } },
      );
    }
    text = await readFile(file, "utf8");
  } catch (e) {
    if (e instanceof LogsealError) throw e;
    throw new LogsealError(
      "E_IO",
      `cannot read the vault key file ${file}: ${(e as Error).message}`,
      { location: { file }, cause: e },
    );
  }
  const key = fromBase64(text.trim());
  if (key === null || key.length !== KEY_LENGTH) {
    throw new LogsealError(
      "E_VAULT_KEY_INVALID",
      `${file} is not a vault key file: it must hold the base64 of ${KEY_LENGTH} random bytes on one line`,
      { location: { file, line: 1 } },
    );
  }
  return key;
}

/** A new random vault key and the text of its key file. */
export function newKeyFile(): { key: Uint8Array; text: string } {
  const key = new Uint8Array(randomBytes(KEY_LENGTH));
  return { key, text: `${toBase64(key)}\n` };
}

// Random bytes drawn from a pool refilled 8 KiB at a time. (measured) One randomBytes call per
// nonce and data key was the largest single cost of masking at append: a quarter of the CPU
// profile of appending the planted corpus.
const POOL = 8192;
let pool = new Uint8Array(0);
let poolAt = 0;

/** `n` (at most 256) fresh random bytes, a copy that shares no memory. */
export function random(n: number): Uint8Array {
  if (poolAt + n > pool.length) {
    pool = new Uint8Array(randomBytes(POOL));
    poolAt = 0;
  }
  poolAt += n;
  return pool.slice(poolAt - n, poolAt);
}

/** AES-256-GCM: `nonce || ciphertext || tag` of `plain` under `key`, bound to `aad`. */
export function seal(key: Uint8Array, plain: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = random(NONCE);
  const c = createCipheriv("aes-256-gcm", key, nonce);
  c.setAAD(aad);
  const body = c.update(plain);
  const last = c.final();
  const out = new Uint8Array(NONCE + body.length + last.length + TAG);
  out.set(nonce, 0);
  out.set(body, NONCE);
  out.set(last, NONCE + body.length);
  out.set(c.getAuthTag(), NONCE + body.length + last.length);
  return out;
}

/** Opens what `seal` wrote; `null` if the key, the associated data or the bytes are wrong. */
export function unseal(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < SEAL_OVERHEAD) return null;
  try {
    const d = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, NONCE));
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    const body = d.update(sealed.subarray(NONCE, sealed.length - TAG));
    const last = d.final();
    if (last.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
    return new Uint8Array(Buffer.concat([body, last]));
  } catch {
    return null;
  }
}

const CHECK_AAD = utf8("logseal-vault/v1 key-check");

/** A value that tells the right vault key from a wrong one (a seal of 32 zero bytes). */
export function keyCheck(key: Uint8Array): string {
  return toBase64(seal(key, new Uint8Array(32), CHECK_AAD));
}

/** True if `key` opens the check value. Constant-time in the comparison. */
export function checkKey(key: Uint8Array, check: string): boolean {
  const sealed = fromBase64(check);
  if (sealed === null) return false;
  const plain = unseal(key, sealed, CHECK_AAD);
  return plain !== null && plain.length === 32 && timingSafeEqual(plain, new Uint8Array(32));
}

/** The error for a key that does not open the vault. */
export function wrongKey(dir: string, source: VaultKeySource): LogsealError {
  return new LogsealError(
    "E_VAULT_KEY_WRONG",
    "passphrase" in source
      ? `the vault passphrase is wrong for the store ${dir}`
      : `the vault key file ${source.keyFile} is not the key of the store ${dir}`,
    { location: { file: "passphrase" in source ? dir : source.keyFile } },
  );
}
