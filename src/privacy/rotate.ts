/**
 * Vault key rotation: `logseal vault rotate`. The vault key seals two things in the store
 * (formats/storage.md, "Vault and encryption at rest"): the vault's X25519 private key in
 * `v/meta` (with the check value and the KDF description), and the entry-bundle key of an
 * encrypted store in `meta/encryption`; through the private key, it protects every data key
 * (`v/k/…`, wrapped for the vault's public key).
 *
 * Rotation opens all of them with the old key and, in one atomic LevelDB batch, writes a new
 * X25519 key pair (the private key sealed under the new vault key), every live data key wrapped
 * again for the new public key, and the bundle key sealed under the new vault key. A new key
 * pair, not only a new seal on the old one: whoever learnt the old vault key and kept a copy of
 * `v/meta` holds the old private key, which must not open the data keys of later appends. The
 * data keys themselves stay (so the sealed values, `v/e/…` and layout 1's `v/c/…`, stay), as do the erased ones (empty)
 * and the bundle key (so the entry bundles stay); no leaf, tile, checkpoint or index is touched,
 * and no event is appended (the log's contents are unchanged).
 *
 * Interrupted (killed, power lost) before the batch, the store is as it was and the old key
 * opens it; after, the new key does. A new key file is created (mode 0600) before the batch, so
 * a run that was cut short can be repeated with the same file.
 */
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fromBase64, fromUtf8, toBase64, utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import {
  deriveVaultKey,
  keyCheck,
  newKdf,
  seal,
  unseal,
  type VaultKeySource,
} from "../store/keys.js";
import { META_ENCRYPTION, VAULT_KEY_FILE, VAULT_META } from "../store/layout.js";
import { BUNDLE_KEY_AAD, LevelStore, type Put } from "../store/level-store.js";
import { readOrCreateKeyFile } from "./access.js";
import {
  dataKeyWrapper,
  newVaultKeyPair,
  PRIV_AAD,
  unwrapDataKey,
  type VaultMeta,
  vaultPrivateKey,
  WRAPPED_LENGTH,
} from "./vault.js";

/** What `rotateVaultKey` did. */
export interface RotationReport {
  /** How the vault key is derived now: `scrypt` (a passphrase) or `key-file`. */
  kdf: "scrypt" | "key-file";
  /** The new key file, when the new key is one. */
  keyFile?: string;
  /** The store is encrypted at rest: its entry-bundle key was sealed again too. */
  encrypted: boolean;
  /** The records rewritten besides the data keys (in the same batch). */
  records: string[];
  /** The live data keys wrapped again for the new key pair. */
  dataKeys: number;
  /** `<store>/vault.key` held the old key and was removed after the rotation. */
  removedOldKeyFile?: string;
}

/**
 * Re-seals what the vault key protects under a new key, in one atomic batch.
 * @param dir the store (opened here, so no other process may hold it).
 * @param from the old key (default: `<store>/vault.key`, as `open` finds it).
 * @param to the new key: a passphrase, or a key file (created with a new key, mode 0600, when it
 *   does not exist).
 * @throws LogsealError E_VAULT_MISSING, E_VAULT_KEY_MISSING / _WRONG / _INSECURE / _INVALID (old
 *   or new key), E_USAGE (the new key is the old one, or the new key file is the store's own
 *   `vault.key`), E_STORE_LOCKED, E_STORE_CORRUPT, E_IO
 */
export async function rotateVaultKey(
  dir: string,
  from: VaultKeySource | undefined,
  to: VaultKeySource,
): Promise<RotationReport> {
  const inStore = resolve(join(dir, VAULT_KEY_FILE));
  if ("keyFile" in to && resolve(to.keyFile) === inStore) {
    throw new LogsealError(
      "E_USAGE",
      `the new key file cannot be the store's own ${VAULT_KEY_FILE}, which holds the old key: give another path (move the file in afterwards if you want it there)`,
      { location: { field: "--new-vault-key" } },
    );
  }
  if ("passphrase" in to && to.passphrase === "") {
    throw new LogsealError("E_VAULT_KEY_INVALID", "the new vault passphrase is empty");
  }
  if (
    from !== undefined &&
    "passphrase" in from &&
    "passphrase" in to &&
    from.passphrase === to.passphrase
  ) {
    throw new LogsealError(
      "E_USAGE",
      "the new vault passphrase is the old one: give a new passphrase or a new key file",
      { location: { field: "LOGSEAL_NEW_VAULT_PASSPHRASE" } },
    );
  }
  const store = await LevelStore.open(dir, from === undefined ? {} : { vaultKey: from });
  try {
    const [metaBytes, encryption] = await store.getMany([VAULT_META, META_ENCRYPTION]);
    if (metaBytes === undefined) {
      throw new LogsealError(
        "E_VAULT_MISSING",
        `the store ${dir} has no vault (it was created before logseal kept one): there is no vault key to rotate`,
      );
    }
    const oldKey = await store.vaultKey(); // checks the old key against the store
    const meta = parseMeta(dir, metaBytes);
    const sealedPriv = fromBase64(meta.priv);
    const priv = sealedPriv === null ? null : unseal(oldKey, sealedPriv, PRIV_AAD);
    if (priv === null)
      throw new LogsealError("E_STORE_CORRUPT", "the vault's private key is damaged");

    const kdf = newKdf(to);
    const newKey =
      "passphrase" in to ? await deriveVaultKey(to, kdf) : await readOrCreateKeyFile(to.keyFile);
    if (Buffer.compare(Buffer.from(newKey), Buffer.from(oldKey)) === 0) {
      throw new LogsealError(
        "E_USAGE",
        "the new vault key is the old one: give a new passphrase or a new key file",
        { location: { field: "--new-vault-key" } },
      );
    }
    const pair = newVaultKeyPair();
    const next: VaultMeta = {
      ...meta,
      kdf,
      check: keyCheck(newKey),
      pub: pair.pub,
      priv: toBase64(seal(newKey, pair.priv, PRIV_AAD)),
    };
    const puts: Put[] = [{ key: VAULT_META, value: utf8(JSON.stringify(next)) }];
    // Every live data key, for the new key pair; erased ones (empty values) stay erased.
    const oldPriv = vaultPrivateKey(meta.pub, priv);
    const wrap = dataKeyWrapper(pair.publicKey);
    const rewrapped: Put[] = [];
    const rewraps = new Map<string, Uint8Array>();
    for await (const [key, value] of store.iterate({ gte: "v/k/", lt: "v/k/\xff" })) {
      if (value.length === 0) continue;
      // `v/k/<sid>/<kid>` (layout 1) or `v/k/<sid>/<kid>/<index>` (layout 2: the wrapped key,
      // then the places, which stay as they are).
      const [sid, kid] = key.slice("v/k/".length).split("/");
      const id = `${sid}/${kid}`;
      let rewrap = rewraps.get(id);
      const wrapped = value.subarray(0, WRAPPED_LENGTH);
      // A key's records (one per append batch in layout 2) hold the same wrapped key: unwrapped
      // and wrapped once; each record is still checked to open.
      const dataKey =
        sid === undefined || kid === undefined ? null : unwrapDataKey(oldPriv, wrapped, sid, kid);
      if (dataKey === null) {
        throw new LogsealError(
          "E_STORE_CORRUPT",
          `the vault's data key ${key} is damaged: nothing was changed`,
          { details: { key } },
        );
      }
      if (rewrap === undefined) {
        rewrap = wrap(dataKey, sid as string, kid as string);
        rewraps.set(id, rewrap);
      }
      const next = new Uint8Array(value.length);
      next.set(rewrap, 0);
      next.set(value.subarray(WRAPPED_LENGTH), WRAPPED_LENGTH);
      rewrapped.push({ key, value: next });
    }
    if (encryption !== undefined) {
      puts.push({ key: META_ENCRYPTION, value: resealBundleKey(dir, encryption, oldKey, newKey) });
    }
    await store.write([...puts, ...rewrapped]);

    const report: RotationReport = {
      kdf: kdf.alg,
      ...("keyFile" in to ? { keyFile: to.keyFile } : {}),
      encrypted: encryption !== undefined,
      records: puts.map((p) => p.key),
      dataKeys: rewraps.size,
    };
    // The store's own key file holds the old key now: a store that keeps it would refuse the
    // new key's users with a wrong-key error, and the old key is what rotation retires.
    if (from === undefined || ("keyFile" in from && resolve(from.keyFile) === inStore)) {
      await rm(inStore, { force: true });
      report.removedOldKeyFile = join(dir, VAULT_KEY_FILE);
    }
    return report;
  } finally {
    await store.close();
  }
}

function parseMeta(dir: string, bytes: Uint8Array): VaultMeta {
  try {
    const meta = JSON.parse(fromUtf8(bytes) ?? "") as VaultMeta;
    if (
      typeof meta.priv === "string" &&
      typeof meta.check === "string" &&
      typeof meta.pub === "string"
    ) {
      return meta;
    }
  } catch {
    // reported below
  }
  throw new LogsealError("E_STORE_CORRUPT", `the vault metadata of ${dir} is damaged`);
}

/** `meta/encryption` with the same bundle key, sealed under the new vault key. */
function resealBundleKey(
  dir: string,
  encryption: Uint8Array,
  oldKey: Uint8Array,
  newKey: Uint8Array,
): Uint8Array {
  let record: { v?: unknown; alg?: unknown; key?: unknown } = {};
  try {
    record = JSON.parse(fromUtf8(encryption) ?? "") as typeof record;
  } catch {
    // reported below
  }
  const sealed = typeof record.key === "string" ? fromBase64(record.key) : null;
  const key = sealed === null ? null : unseal(oldKey, sealed, utf8(BUNDLE_KEY_AAD));
  if (key === null || key.length !== 32 || record.alg !== "aes-256-gcm") {
    throw new LogsealError("E_STORE_CORRUPT", `the encryption metadata of ${dir} is damaged`);
  }
  const value = { ...record, key: toBase64(seal(newKey, key, utf8(BUNDLE_KEY_AAD))) };
  return utf8(JSON.stringify(value));
}
