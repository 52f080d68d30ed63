/**
 * The privacy side of a log: setting up the vault at `init`, registering masking on every
 * opened log, and the two operations on the vault that are themselves logged: erasing a data
 * subject (`data.erase`) and revealing a masked value (`pii.reveal`).
 */
import { writeFile } from "node:fs/promises";
import { toBase64, utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import type { Appended, Log } from "../log.js";
import {
  deriveVaultKey,
  type Kdf,
  newKdf,
  newKeyFile,
  readKeyFile,
  seal,
  type VaultKeySource,
} from "../store/keys.js";
import { META_ENCRYPTION, VAULT_KEY_FILE } from "../store/layout.js";
import { BUNDLE_KEY_AAD, type Put } from "../store/level-store.js";
import { verifyCommitment } from "./commit.js";
import { attachPuts, markErase, PrivacyHook } from "./hook.js";
import { MASKED_FIELD, type MaskRecord } from "./mask.js";
import { type Policy, parsePolicy } from "./policy.js";
import { newVaultRecords, Vault } from "./vault.js";

const hooks = new WeakMap<Log, PrivacyHook>();

/** Registers masking (and the vault, if the store has one) on `log`. */
export async function attachPrivacy(log: Log): Promise<void> {
  const hook = new PrivacyHook(await Vault.load(log.store));
  log.addTransform(hook);
  hooks.set(log, hook);
}

function hookOf(log: Log): PrivacyHook & { vault: Vault } {
  const hook = hooks.get(log);
  if (hook?.vault === undefined) {
    throw new LogsealError(
      "E_VAULT_MISSING",
      `the store ${log.dir} has no vault (it was created before logseal kept one): masked values there cannot be revealed or erased`,
    );
  }
  return hook as PrivacyHook & { vault: Vault };
}

/** Privacy options of `init`. */
export interface PrivacyInit {
  /** Where the vault key comes from; default: a new key file `<store>/vault.key`. */
  vaultKey?: VaultKeySource;
  /** The masking policy (the text of a policy file); default: DEFAULT_POLICY. */
  policy?: { text: string; file?: string };
  /** Encrypt entry bundles at rest. Needs a vault key kept outside the store. */
  encrypt?: boolean;
}

/**
 * What `init` writes for the vault: records, files, keys; with `encrypt`, a new entry-bundle
 * key, sealed under the vault key into `meta/encryption`.
 */
export async function prepareVault(options: PrivacyInit): Promise<{
  puts: Put[];
  files: Array<{ name: string; text: string }>;
  vaultKey: Uint8Array;
  vaultKeySource?: VaultKeySource;
  bundleKey?: Uint8Array;
}> {
  let policy: Policy | undefined;
  if (options.policy !== undefined) policy = parsePolicy(options.policy.text, options.policy.file);
  const files: Array<{ name: string; text: string }> = [];
  let vaultKey: Uint8Array;
  let kdf: Kdf;
  const source = options.vaultKey;
  if (source === undefined) {
    if (options.encrypt === true) {
      throw new LogsealError(
        "E_VAULT_KEY_MISSING",
        "--encrypt needs a vault key kept outside the store: set LOGSEAL_VAULT_PASSPHRASE, or pass --vault-key FILE",
      );
    }
    const k = newKeyFile();
    vaultKey = k.key;
    files.push({ name: VAULT_KEY_FILE, text: k.text });
    kdf = newKdf({ keyFile: VAULT_KEY_FILE });
  } else if ("passphrase" in source) {
    if (source.passphrase === "") {
      throw new LogsealError("E_VAULT_KEY_INVALID", "the vault passphrase is empty");
    }
    kdf = newKdf(source);
    vaultKey = await deriveVaultKey(source, kdf);
  } else {
    kdf = newKdf(source);
    vaultKey = await readOrCreateKeyFile(source.keyFile);
  }
  const puts = newVaultRecords(vaultKey, kdf, policy);
  let bundleKey: Uint8Array | undefined;
  if (options.encrypt === true) {
    bundleKey = newKeyFile().key;
    const sealed = seal(vaultKey, bundleKey, utf8(BUNDLE_KEY_AAD));
    const value = JSON.stringify({ v: 1, alg: "aes-256-gcm", key: toBase64(sealed) });
    puts.push({ key: META_ENCRYPTION, value: utf8(value) });
  }
  return {
    puts,
    files,
    vaultKey,
    ...(source === undefined ? {} : { vaultKeySource: source }),
    ...(bundleKey === undefined ? {} : { bundleKey }),
  };
}

/** Reads a key file, or creates it (mode 0600) with a new key when it does not exist. */
export async function readOrCreateKeyFile(file: string): Promise<Uint8Array> {
  const k = newKeyFile();
  try {
    await writeFile(file, k.text, { mode: 0o600, flag: "wx" });
    return k.key;
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") {
      throw new LogsealError(
        "E_IO",
        `cannot create the vault key file ${file}: ${(e as Error).message}`,
        {
          location: { file },
          cause: e,
        },
      );
    }
  }
  return readKeyFile(file);
}

/** What `eraseSubject` did. */
export interface ErasureReport {
  /** The subject id (the subject itself is never written). */
  subject: string;
  /** The index of the data.erase entry. */
  entry: number;
  /** The data keys destroyed. */
  keys: number;
  /** The entries that held the subject's values, ascending. */
  entries: number[];
  /** The values erased: entry, path and kind of each. */
  fields: Array<{ index: number; path: string; kind: string }>;
}

/** Who asks, for the event that logs an erasure or a reveal. */
export interface AccessOptions {
  /** `actor.id` of the logged event. */
  actor: string;
  /** A reason, kept in the logged event's details. */
  reason?: string;
  /**
   * How a process that shares the log with other requests reads and appends (the server: reads
   * of the last entry bundle never overlap a batch being written, and the logged event joins
   * its group commit and live tail). Default: `log.get` and `log.append` directly.
   */
  through?: LogAccess;
}

/** Reads and appends as the owner of the log arranges them. */
export interface LogAccess {
  /** Runs a read of entries. */
  read<T>(fn: () => Promise<T>): Promise<T>;
  /** Appends events (the input objects themselves: the erasure's puts travel with them). */
  append(events: object[]): Promise<Appended[]>;
}

const direct = (log: Log): LogAccess => ({
  read: (fn) => fn(),
  append: (events) => log.append(events),
});

/**
 * Erases a data subject: destroys every data key of the subject and appends a `data.erase`
 * event (control A.8.10), in one atomic batch; then compacts the vault's key range so the
 * destroyed keys are gone from the database files too. Afterwards the subject's values cannot
 * be decrypted by anyone; every leaf, checkpoint and proof is unchanged.
 * @throws LogsealError E_SUBJECT_UNKNOWN (nothing stored for it), E_ERASED (already erased),
 *   E_VAULT_MISSING
 */
export async function eraseSubject(
  log: Log,
  subject: string,
  options: AccessOptions,
): Promise<ErasureReport> {
  const vault = hookOf(log).vault;
  if (subject === "") throw new LogsealError("E_USAGE", "the subject is empty");
  const sid = vault.sid(subject);
  const { kids, records: keyRecords } = await vault.liveKeys(sid);
  if (kids.length === 0) {
    const at = await vault.erasedAt(sid);
    if (at !== undefined) {
      throw new LogsealError(
        "E_ERASED",
        `the subject was already erased${at === null ? "" : ` (data.erase at entry ${at})`}`,
        { details: { subject: sid, ...(at === null ? {} : { erasedAt: at }) } },
      );
    }
    throw new LogsealError("E_SUBJECT_UNKNOWN", "the vault holds no value of this subject", {
      details: { subject: sid },
    });
  }
  const through = options.through ?? direct(log);
  const places = await vault.places(sid);
  const fields: ErasureReport["fields"] = [];
  for (const p of places) {
    const { event } = await through.read(() => log.get(p.index));
    const rec = (event.details?.[MASKED_FIELD] as MaskRecord[] | undefined)?.[p.n];
    fields.push({ index: p.index, path: rec?.path ?? "?", kind: rec?.kind ?? "?" });
  }
  const entries = [...new Set(places.map((p) => p.index))];
  const event = {
    actor: { id: options.actor, kind: "user" },
    action: "data.erase",
    outcome: "success",
    asset: `subject:${sid}`,
    controls: ["A.8.10"],
    details: {
      subject: sid,
      keys: kids.length,
      entries: entries.length,
      fields: fields.length,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    },
  };
  attachPuts(event, vault.destroyPuts(keyRecords));
  markErase(event, sid);
  const [r] = await through.append([event]);
  const index = (r as { index: number }).index;
  // Overwritten values linger in LevelDB's files until compaction rewrites them.
  await log.store.compact("v/", "v0");
  return { subject: sid, entry: index, keys: kids.length, entries, fields };
}

/** One revealed value (or one that was erased, when others of the entry were not). */
export interface RevealedValue {
  path: string;
  kind: string;
  /** [start, end) of the mask in the string at `path` (UTF-8 bytes). */
  at: [number, number];
  key?: true;
  commit: string;
  /** The clear value; absent when erased. */
  value?: string;
  /** The value and its salt reproduce the commitment in the leaf. */
  verified?: true;
  /** The subject id. */
  subject: string;
  /** The entry index of the data.erase event, when this value was erased. */
  erased?: number | null;
}

/** What `revealEntry` returns. */
export interface RevealReport {
  index: number;
  values: RevealedValue[];
  /** The index of the pii.reveal entry that logs this reveal. */
  logged: number;
}

/**
 * Reveals the masked values of entry `index` (those at `field`, if given): opens each with the
 * vault key, checks it against the commitment in the leaf, and appends a `pii.reveal` event
 * naming the actor, the entry and the fields.
 * @throws LogsealError E_INDEX_RANGE, E_NOT_MASKED (nothing masked there), E_ERASED,
 *   E_COMMITMENT_MISMATCH, E_VAULT_KEY_MISSING / _WRONG / _INSECURE / _INVALID, E_VAULT_MISSING
 */
export async function revealEntry(
  log: Log,
  index: number,
  options: AccessOptions & { field?: string },
): Promise<RevealReport> {
  const vault = hookOf(log).vault;
  const through = options.through ?? direct(log);
  const { event } = await through.read(() => log.get(index));
  const all = (event.details?.[MASKED_FIELD] as MaskRecord[] | undefined) ?? [];
  const records = options.field === undefined ? all : all.filter((r) => r.path === options.field);
  if (records.length === 0) {
    throw new LogsealError(
      "E_NOT_MASKED",
      options.field === undefined
        ? `entry ${index} has no masked values`
        : `entry ${index} has no masked value at ${options.field}${all.length === 0 ? "" : `: its masked fields are ${[...new Set(all.map((r) => r.path))].join(", ")}`}`,
      { details: { index, ...(options.field === undefined ? {} : { field: options.field }) } },
    );
  }
  await log.store.vaultKey(); // fails first, before anything is read, without the right key
  const values: RevealedValue[] = [];
  let firstErased: LogsealError | undefined;
  for (const r of records) {
    let opened: Awaited<ReturnType<Vault["openValue"]>>;
    try {
      opened = await vault.openValue(r.commit, { index, n: all.indexOf(r) });
    } catch (e) {
      if (!(e instanceof LogsealError) || e.code !== "E_ERASED") throw e;
      firstErased ??= e;
      values.push({
        path: r.path,
        kind: r.kind,
        at: r.at,
        ...(r.key ? { key: true as const } : {}),
        commit: r.commit,
        subject: e.details?.subject as string,
        erased: (e.details?.erasedAt as number | undefined) ?? null,
      });
      continue;
    }
    if (!verifyCommitment(opened.value, opened.salt, r.commit)) {
      throw new LogsealError(
        "E_COMMITMENT_MISMATCH",
        `the vault's value for ${r.path} of entry ${index} does not match the commitment in the leaf`,
        { details: { index, path: r.path, commit: r.commit } },
      );
    }
    values.push({
      path: r.path,
      kind: r.kind,
      at: r.at,
      ...(r.key ? { key: true as const } : {}),
      value: opened.value,
      commit: r.commit,
      verified: true,
      subject: opened.sid,
    });
  }
  if (firstErased !== undefined && values.every((v) => v.value === undefined)) throw firstErased;
  const [logged] = await through.append([
    {
      actor: { id: options.actor, kind: "user" },
      action: "pii.reveal",
      outcome: "success",
      controls: ["A.8.11"],
      details: {
        entry: index,
        fields: [...new Set(values.filter((v) => v.value !== undefined).map((v) => v.path))],
        values: values.filter((v) => v.value !== undefined).length,
        ...(options.reason === undefined ? {} : { reason: options.reason }),
      },
    },
  ]);
  return { index, values, logged: (logged as { index: number }).index };
}
