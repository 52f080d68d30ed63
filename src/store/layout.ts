/**
 * The LevelDB key layout of a logseal store (formats/storage.md is the specification).
 *
 * Keys are ASCII strings so that a dump of the database reads as the layout; numbers are
 * zero-padded decimal of fixed width so that LevelDB's bytewise order is numeric order.
 * Sixteen digits hold every safe integer (2^53 - 1 has 16 digits).
 *
 *   meta/<name>                      store metadata (format, origin, size, vkey, created)
 *   b/<N:16>                         entry bundle N: up to 256 × (uint16_be(len) || leaf)
 *   t/<L:2>/<N:16>                   hash tile (L, N): up to 256 × 32-byte hashes
 *   c/<size:16>                      signed checkpoint note of that tree size (UTF-8)
 *   i/id/<event id>                  entry index (decimal) of the event with that producer id
 *   v/…                              the privacy vault (formats/storage.md, "Vault")
 */

/** The value of `meta/format`; a store with any other value is refused. */
export const STORE_FORMAT = "logseal-store/1";

const pad16 = (n: number): string => n.toString().padStart(16, "0");
const pad2 = (n: number): string => n.toString().padStart(2, "0");

export const META_FORMAT = "meta/format";
export const META_ORIGIN = "meta/origin";
export const META_SIZE = "meta/size";
export const META_VKEY = "meta/vkey";
export const META_CREATED = "meta/created";
/** Present in an encrypted store: `{"v":1,"alg":"aes-256-gcm","key":<sealed bundle key>}`. */
export const META_ENCRYPTION = "meta/encryption";
/** The vault's metadata (formats/storage.md, "Vault"). */
export const VAULT_META = "v/meta";

export const bundleKey = (index: number): string => `b/${pad16(index)}`;
export const tileKey = (level: number, index: number): string => `t/${pad2(level)}/${pad16(index)}`;
export const checkpointKey = (size: number): string => `c/${pad16(size)}`;
export const idKey = (id: string): string => `i/id/${id}`;

/** Key ranges for iteration: every key of a kind lies in [gte, lt). */
export const BUNDLE_RANGE = { gte: "b/", lt: "b0" } as const;
export const TILE_RANGE = { gte: "t/", lt: "t0" } as const;
export const CHECKPOINT_RANGE = { gte: "c/", lt: "c0" } as const;

/** Parses `c/<size>`; `null` for anything else. */
export function parseCheckpointKey(key: string): number | null {
  const m = /^c\/(\d{16})$/.exec(key);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** Parses `t/<L>/<N>`; `null` for anything else. */
export function parseTileKey(key: string): { level: number; index: number } | null {
  const m = /^t\/(\d{2})\/(\d{16})$/.exec(key);
  if (m?.[1] === undefined || m[2] === undefined) return null;
  return { level: Number(m[1]), index: Number(m[2]) };
}

/** Parses `b/<N>`; `null` for anything else. */
export function parseBundleKey(key: string): number | null {
  const m = /^b\/(\d{16})$/.exec(key);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** Files beside the LevelDB directory inside a store directory. */
export const DB_DIR = "db";
export const SIGNER_FILE = "signer.key";
/** The vault key file `init` writes when given no passphrase or key file (mode 0600). */
export const VAULT_KEY_FILE = "vault.key";
