/**
 * The LevelDB store: the layout of formats/storage.md over `level` (classic-level).
 *
 * A store directory holds the LevelDB database (`db/`) and the log's signing key
 * (`signer.key`, mode 0600). LevelDB admits one process at a time; a second process gets
 * `E_STORE_LOCKED`. Writes go through {@link LevelStore.write}, one atomic batch each.
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Level } from "level";
import { fromBase64, fromUtf8, utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import {
  checkKey,
  deriveVaultKey,
  type Kdf,
  SEAL_OVERHEAD,
  seal,
  unseal,
  type VaultKeySource,
  wrongKey,
} from "./keys.js";
import {
  bundleKey,
  CHECKPOINT_RANGE,
  checkpointKey,
  DB_DIR,
  idKey,
  META_CREATED,
  META_ENCRYPTION,
  META_FORMAT,
  META_ORIGIN,
  META_SIZE,
  META_VKEY,
  parseBundleKey,
  parseCheckpointKey,
  parseTileKey,
  SIGNER_FILE,
  STORE_FORMAT,
  tileKey,
  VAULT_KEY_FILE,
  VAULT_META,
} from "./layout.js";
import type { LogReader, StoredCheckpoint } from "./reader.js";

type DB = Level<string, Uint8Array>;

/** One put in an atomic write. */
export interface Put {
  key: string;
  value: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Bytes of a full hash tile. */
const FULL_TILE = 256 * 32;

/**
 * Full hash tiles this store keeps in memory once read: at most 16 MiB. A full tile never
 * changes, so a cached one is always what LevelDB holds. Every proof reads one tile per level;
 * the tiles above level 0 (one per 65,536 entries) all stay cached, and level 0 reads hit
 * LevelDB only once per tile.
 */
const TILE_CACHE = 2048;
/** Options of {@link LevelStore.open}. */
export interface OpenStoreOptions {
  /**
   * LevelDB's limit of open files (default 1000). LevelDB maps every open table file into
   * memory; a long sequential read (verification) passes a small limit so that what is mapped
   * stays bounded whatever the store size.
   */
  maxOpenFiles?: number;
  /**
   * The vault key: needed to open an encrypted store, and kept (derived) for the vault.
   * Without it, `<store>/vault.key` is used when it exists.
   */
  vaultKey?: VaultKeySource;
  /**
   * Flush every write to disk (`fsync`) before it resolves, so that what was written survives
   * a crash of the machine, not only of the process (default false: LevelDB's write-ahead log
   * in the page cache, which survives `kill -9`). `logseal serve --sync`.
   */
  sync?: boolean;
  /**
   * The size of LevelDB's memtable in bytes (LevelDB's default: 4 MiB). A writer that appends
   * for long (`logseal serve`) gives it more: fewer, larger level-0 tables, and the partial
   * entry bundle and tiles that every append rewrites are overwritten in memory instead of
   * being compacted again and again. Up to twice this is held in memory while one is flushed.
   */
  writeBufferSize?: number;
}

export class LevelStore implements LogReader {
  readonly dir: string;
  readonly origin: string;
  readonly vkey: string;
  readonly #db: DB;
  #size: number;
  /** Full tiles by `level/index`, least recently used first. */
  readonly #tiles = new Map<string, Uint8Array>();
  /** The latest checkpoint as last read or written; `null` when not known yet. */
  #latest: StoredCheckpoint | undefined | null = null;
  /** Counts checkpoint writes, so that a read that overlapped one does not cache its answer. */
  #checkpointWrites = 0;
  /** The entry-bundle key of an encrypted store (formats/storage.md). */
  readonly #bundleKey: Uint8Array | undefined;
  #vaultKey: Uint8Array | undefined;
  readonly #vaultKeySource: VaultKeySource | undefined;
  #sync = false;

  private constructor(
    dir: string,
    db: DB,
    meta: { origin: string; vkey: string; size: number },
    keys: { bundle?: Uint8Array; vault?: Uint8Array; source?: VaultKeySource },
  ) {
    this.dir = dir;
    this.#db = db;
    this.origin = meta.origin;
    this.vkey = meta.vkey;
    this.#size = meta.size;
    this.#bundleKey = keys.bundle;
    this.#vaultKey = keys.vault;
    this.#vaultKeySource = keys.source;
  }

  /** True if the entry bundles are encrypted at rest. */
  get encrypted(): boolean {
    return this.#bundleKey !== undefined;
  }

  /**
   * The vault key, checked against the store: from the source given when the store was opened
   * or created, else from `<store>/vault.key`; derived once.
   * @throws LogsealError E_VAULT_MISSING (the store has no vault), E_VAULT_KEY_MISSING,
   *   E_VAULT_KEY_WRONG, E_VAULT_KEY_INSECURE, E_VAULT_KEY_INVALID
   */
  async vaultKey(): Promise<Uint8Array> {
    if (this.#vaultKey !== undefined) return this.#vaultKey;
    const meta = await this.#get(VAULT_META);
    if (meta === undefined) {
      throw new LogsealError(
        "E_VAULT_MISSING",
        `the store ${this.dir} has no vault (it was created before logseal kept one)`,
      );
    }
    this.#vaultKey = await unlockVault(this.dir, meta, this.#vaultKeySource);
    return this.#vaultKey;
  }

  /**
   * Creates a new store in `dir` (which must not hold one already) and writes its signing key.
   * @throws LogsealError E_STORE_EXISTS, E_IO
   */
  static async create(
    dir: string,
    init: {
      origin: string;
      vkey: string;
      skey: string;
      /** More records to write with the metadata (the vault's, the policy). */
      puts?: Put[];
      /** Files to write beside the database, mode 0600 (the generated vault key). */
      files?: Array<{ name: string; text: string }>;
      /** Encrypt entry bundles with this key (its sealed form goes in `puts`). */
      bundleKey?: Uint8Array;
      vaultKey?: Uint8Array;
      vaultKeySource?: VaultKeySource;
    },
  ): Promise<LevelStore> {
    if (await exists(join(dir, DB_DIR))) {
      throw new LogsealError("E_STORE_EXISTS", `a store already exists in ${dir}`, {
        location: { file: dir },
      });
    }
    try {
      await mkdir(dir, { recursive: true });
      // The private key never enters LevelDB or an export; 0600 from the first byte written.
      await writeFile(join(dir, SIGNER_FILE), `${init.skey}\n`, { mode: 0o600, flag: "wx" });
      for (const f of init.files ?? []) {
        await writeFile(join(dir, f.name), f.text, { mode: 0o600, flag: "wx" });
      }
    } catch (e) {
      throw ioError(`cannot create the store in ${dir}`, dir, e);
    }
    const db = await openDb(join(dir, DB_DIR), true);
    await db.batch([
      { type: "put", key: META_FORMAT, value: utf8(STORE_FORMAT) },
      { type: "put", key: META_ORIGIN, value: utf8(init.origin) },
      { type: "put", key: META_VKEY, value: utf8(init.vkey) },
      { type: "put", key: META_SIZE, value: utf8("0") },
      { type: "put", key: META_CREATED, value: utf8(new Date().toISOString()) },
      ...(init.puts ?? []).map((p) => ({ type: "put" as const, key: p.key, value: p.value })),
    ]);
    const keys: { bundle?: Uint8Array; vault?: Uint8Array; source?: VaultKeySource } = {};
    if (init.bundleKey !== undefined) keys.bundle = init.bundleKey;
    if (init.vaultKey !== undefined) keys.vault = init.vaultKey;
    if (init.vaultKeySource !== undefined) keys.source = init.vaultKeySource;
    return new LevelStore(dir, db, { origin: init.origin, vkey: init.vkey, size: 0 }, keys);
  }

  /**
   * Opens an existing store. An encrypted store needs the vault key (options.vaultKey, or
   * `<store>/vault.key`); it is checked before anything is read.
   * @throws LogsealError E_STORE_MISSING, E_STORE_LOCKED, E_STORE_VERSION, E_STORE_CORRUPT, E_IO;
   *   for an encrypted store E_STORE_ENCRYPTED (no key), E_VAULT_KEY_WRONG, E_VAULT_KEY_INSECURE,
   *   E_VAULT_KEY_INVALID
   */
  static async open(dir: string, options: OpenStoreOptions = {}): Promise<LevelStore> {
    if (!(await exists(join(dir, DB_DIR, "CURRENT")))) {
      throw new LogsealError(
        "E_STORE_MISSING",
        `no logseal store in ${dir}: create one with 'logseal init --store ${dir} --origin ORIGIN'`,
        { location: { file: dir } },
      );
    }
    const db = await openDb(
      join(dir, DB_DIR),
      false,
      options.maxOpenFiles,
      options.writeBufferSize,
    );
    try {
      const format = await getText(db, META_FORMAT);
      if (format !== STORE_FORMAT) {
        throw new LogsealError(
          "E_STORE_VERSION",
          `${dir} holds store format ${JSON.stringify(format ?? null)}; this logseal reads ${STORE_FORMAT}`,
          { location: { file: dir } },
        );
      }
      const origin = await getText(db, META_ORIGIN);
      const vkey = await getText(db, META_VKEY);
      const sizeText = await getText(db, META_SIZE);
      const size =
        sizeText !== undefined && /^(0|[1-9]\d{0,15})$/.test(sizeText) ? Number(sizeText) : NaN;
      if (origin === undefined || vkey === undefined || !Number.isSafeInteger(size)) {
        throw new LogsealError("E_STORE_CORRUPT", `the metadata of ${dir} is missing or damaged`, {
          location: { file: dir },
        });
      }
      const keys: { bundle?: Uint8Array; vault?: Uint8Array; source?: VaultKeySource } = {};
      if (options.vaultKey !== undefined) keys.source = options.vaultKey;
      const encryption = await db.get(META_ENCRYPTION);
      if (encryption !== undefined) {
        const meta = await db.get(VAULT_META);
        if (meta === undefined) {
          throw new LogsealError("E_STORE_CORRUPT", `the vault metadata of ${dir} is missing`, {
            location: { file: dir },
          });
        }
        if (options.vaultKey === undefined && !(await exists(join(dir, VAULT_KEY_FILE)))) {
          throw new LogsealError(
            "E_STORE_ENCRYPTED",
            `the store ${dir} is encrypted: give its vault key (LOGSEAL_VAULT_PASSPHRASE, or --vault-key FILE / LOGSEAL_VAULT_KEY)`,
            { location: { file: dir } },
          );
        }
        keys.vault = await unlockVault(dir, meta, options.vaultKey);
        keys.bundle = openBundleKey(dir, encryption, keys.vault);
      }
      const store = new LevelStore(dir, db, { origin, vkey, size }, keys);
      store.#sync = options.sync === true;
      return store;
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  /** Whether every write is flushed to disk before it resolves (see OpenStoreOptions.sync). */
  get sync(): boolean {
    return this.#sync;
  }

  /** The signer key string from `signer.key`. */
  async readSkey(): Promise<string> {
    const file = join(this.dir, SIGNER_FILE);
    try {
      return (await readFile(file, "utf8")).trim();
    } catch (e) {
      throw ioError(`cannot read the signing key ${file}`, file, e);
    }
  }

  async size(): Promise<number> {
    return this.#size;
  }

  /** The committed size, without a promise. */
  get treeSize(): number {
    return this.#size;
  }

  async readBundle(index: number): Promise<Uint8Array | undefined> {
    const key = bundleKey(index);
    const v = await this.#get(key);
    return v === undefined || this.#bundleKey === undefined ? v : this.#decrypt(key, v);
  }

  async readTile(level: number, index: number): Promise<Uint8Array> {
    const key = tileKey(level, index);
    const cached = this.#tiles.get(key);
    if (cached !== undefined) {
      this.#tiles.delete(key);
      this.#tiles.set(key, cached);
      return cached;
    }
    const bytes = (await this.#get(key)) ?? EMPTY;
    if (bytes.length === FULL_TILE) {
      this.#tiles.set(key, bytes);
      if (this.#tiles.size > TILE_CACHE) {
        this.#tiles.delete(this.#tiles.keys().next().value as string);
      }
    }
    return bytes;
  }

  /**
   * Entry bundles with index in [from, to), ascending, as stored: one LevelDB iterator instead
   * of a get per bundle. A bundle that is not stored is skipped (the caller sees the gap).
   * (measured) Up to 16 values (at most 2 MiB) per native call: the next read runs while the
   * caller hashes the previous ones, and few values wait in memory.
   */
  async *bundles(from: number, to: number): AsyncGenerator<{ index: number; bytes: Uint8Array }> {
    if (to <= from) return;
    yield* this.#range(bundleKey(from), bundleKey(to), (key) => parseBundleKey(key));
  }

  /** Hash tiles of `level` with index in [from, to), ascending, as stored (see `bundles`). */
  async *tiles(
    level: number,
    from: number,
    to: number,
  ): AsyncGenerator<{ index: number; bytes: Uint8Array }> {
    if (to <= from) return;
    yield* this.#range(tileKey(level, from), tileKey(level, to), (key) => {
      const t = parseTileKey(key);
      return t?.level === level ? t.index : null;
    });
  }

  async *checkpoints(): AsyncIterable<StoredCheckpoint> {
    for await (const [key, value] of this.#db.iterator(CHECKPOINT_RANGE)) {
      yield this.#checkpoint(key, value);
    }
  }

  /**
   * The stored checkpoint of the largest size. Read from LevelDB once, then kept: this process
   * is the store's only writer (LevelDB's lock), and {@link write} keeps it current.
   */
  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    if (this.#latest !== null) return this.#latest;
    const writes = this.#checkpointWrites;
    let latest: StoredCheckpoint | undefined;
    for await (const [key, value] of this.#db.iterator({
      ...CHECKPOINT_RANGE,
      reverse: true,
      limit: 1,
    })) {
      latest = this.#checkpoint(key, value);
    }
    if (writes === this.#checkpointWrites) this.#latest = latest;
    return latest;
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    const key = checkpointKey(size);
    const value = await this.#get(key);
    return value === undefined ? undefined : this.#checkpoint(key, value);
  }

  /** The entry index of the event with producer id `id`, if it is in the log. */
  async lookupId(id: string): Promise<number | undefined> {
    return (await this.lookupIds([id]))[0];
  }

  /** The entry indexes of events with these producer ids (a LevelDB `hasMany`, then `getMany` for those found). */
  async lookupIds(ids: readonly string[]): Promise<Array<number | undefined>> {
    if (ids.length === 0) return [];
    const out: Array<number | undefined> = new Array(ids.length);
    try {
      // Presence first, values only for the ids found: most ids of an append are new, and
      // (measured, 400 absent keys a call, classic-level 3, Node 20.20) hasMany costs 1.3–1.4
      // µs of CPU a key against 2.0–2.4 for getMany.
      const keys = ids.map(idKey);
      const present = await this.#db.hasMany(keys);
      const found: string[] = [];
      const where: number[] = [];
      for (let i = 0; i < keys.length; i++) {
        if (present[i] !== true) continue;
        found.push(keys[i] as string);
        where.push(i);
      }
      if (found.length === 0) return out;
      const values = await this.#db.getMany(found);
      for (let j = 0; j < found.length; j++) {
        const v = values[j];
        const i = where[j] as number;
        if (v === undefined) continue; // gone between the two reads: no writer removes ids
        const n = Number(fromUtf8(v));
        if (!Number.isSafeInteger(n) || n < 0) {
          throw new LogsealError(
            "E_STORE_CORRUPT",
            `the id index entry for ${JSON.stringify(ids[i])} is damaged`,
          );
        }
        out[i] = n;
      }
    } catch (e) {
      if (e instanceof LogsealError) throw e;
      throw ioError(`cannot read the id index of the store in ${this.dir}`, this.dir, e);
    }
    return out;
  }

  /**
   * Writes `puts` and the new tree size in one atomic LevelDB batch. Nothing is written if the
   * batch fails.
   */
  async write(puts: Put[], newSize?: number): Promise<void> {
    const ops = puts.map((p) => ({
      type: "put" as const,
      key: p.key,
      value:
        this.#bundleKey !== undefined && p.key.startsWith("b/")
          ? this.#encrypt(p.key, p.value)
          : p.value,
    }));
    if (newSize !== undefined)
      ops.push({ type: "put", key: META_SIZE, value: utf8(String(newSize)) });
    // A checkpoint written here may be the new latest: forget the cached one before and after
    // the batch, so that no read overlapping it caches what it saw (see latestCheckpoint).
    const checkpoint = puts.some((p) => p.key.startsWith("c/"));
    if (checkpoint) this.#forgetLatest();
    try {
      // No options object unless syncing: abstract-level spreads the options into every
      // operation, and `db.batch(ops, { sync: false })` appended at 47k events/s against 80–87k
      // without it (measured, bench:large, 200,000 events in batches of 10,000, load 1).
      await (this.#sync ? this.#db.batch(ops, { sync: true }) : this.#db.batch(ops));
    } catch (e) {
      throw ioError(`cannot write to the store in ${this.dir}`, this.dir, e);
    } finally {
      if (checkpoint) this.#forgetLatest();
    }
    if (newSize !== undefined) this.#size = newSize;
  }

  #forgetLatest(): void {
    this.#checkpointWrites++;
    this.#latest = null;
  }

  /**
   * Iterates stored records in key order within a range (for secondary indexes and other
   * keyspaces layered on the store; see formats/storage.md for the prefixes in use).
   */
  async *iterate(range: {
    gte?: string;
    gt?: string;
    lt?: string;
    lte?: string;
    reverse?: boolean;
    limit?: number;
  }): AsyncIterable<[string, Uint8Array]> {
    try {
      for await (const kv of this.#db.iterator(range)) {
        if (this.#bundleKey !== undefined && kv[0].startsWith("b/")) {
          yield [kv[0], this.#decrypt(kv[0], kv[1])];
        } else yield kv;
      }
    } catch (e) {
      throw ioError(`cannot read the store in ${this.dir}`, this.dir, e);
    }
  }

  /** Values of several keys in one read, `undefined` where missing. */
  async getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    if (keys.length === 0) return [];
    let values: Array<Uint8Array | undefined>;
    try {
      values = await this.#db.getMany([...keys]);
    } catch (e) {
      throw ioError(`cannot read the store in ${this.dir}`, this.dir, e);
    }
    if (this.#bundleKey === undefined) return values;
    return values.map((v, i) =>
      v !== undefined && keys[i]?.startsWith("b/") ? this.#decrypt(keys[i] as string, v) : v,
    );
  }

  /**
   * Deletes every record in [gte, lt), which must lie under `x/` (the derived indexes that a
   * rebuild writes again: nothing the Merkle tree covers). Not atomic with other writes.
   */
  async clear(range: { gte: string; lt: string }): Promise<void> {
    if (!range.gte.startsWith("x/") || range.lt > "x0" || range.lt <= range.gte) {
      throw new RangeError("clear: only index records (x/) can be cleared");
    }
    try {
      await this.#db.clear(range);
    } catch (e) {
      throw ioError(`cannot write to the store in ${this.dir}`, this.dir, e);
    }
  }

  /**
   * Rewrites the LevelDB tables holding keys in [from, to) so that overwritten values are
   * gone from the files, not only shadowed (erasure; formats/storage.md). The memtable and its
   * write-ahead log are flushed first.
   */
  async compact(from: string, to: string): Promise<void> {
    try {
      // `level` is classic-level in Node, which has compactRange; its browser typing does not.
      await (
        this.#db as unknown as { compactRange(a: string, b: string): Promise<void> }
      ).compactRange(from, to);
    } catch (e) {
      throw ioError(`cannot compact the store in ${this.dir}`, this.dir, e);
    }
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  /**
   * An entry bundle sealed for storage: `0x01 || uint16_be(count) || nonce || ciphertext ||
   * tag`, AES-256-GCM with the associated data `logseal-bundle/v1\n<key>\n<count>`: a bundle
   * cannot be moved to another index, nor replaced by an earlier (shorter) version of itself
   * without the count showing it.
   */
  #encrypt(key: string, plain: Uint8Array): Uint8Array {
    const count = bundleCount(plain);
    const sealed = seal(this.#bundleKey as Uint8Array, plain, bundleAad(key, count));
    const out = new Uint8Array(3 + sealed.length);
    out[0] = 1;
    out[1] = count >>> 8;
    out[2] = count & 0xff;
    out.set(sealed, 3);
    return out;
  }

  /**
   * The clear bundle; an empty one when it does not decrypt (damaged, moved or rolled back),
   * which every reader reports as a damaged bundle.
   */
  #decrypt(key: string, stored: Uint8Array): Uint8Array {
    if (stored.length < 3 + SEAL_OVERHEAD || stored[0] !== 1) return EMPTY;
    const count = ((stored[1] as number) << 8) | (stored[2] as number);
    return (
      unseal(this.#bundleKey as Uint8Array, stored.subarray(3), bundleAad(key, count)) ?? EMPTY
    );
  }

  async #get(key: string): Promise<Uint8Array | undefined> {
    try {
      return await this.#db.get(key);
    } catch (e) {
      throw ioError(`cannot read ${key} from the store in ${this.dir}`, this.dir, e);
    }
  }

  async *#range(
    gte: string,
    lt: string,
    indexOf: (key: string) => number | null,
  ): AsyncGenerator<{ index: number; bytes: Uint8Array }> {
    // One pass in key order: keep these blocks out of LevelDB's cache (fillCache: false).
    const it = this.#db.iterator({
      gte,
      lt,
      highWaterMarkBytes: 2 * 1024 * 1024,
      fillCache: false,
    });
    try {
      for (;;) {
        let batch: Array<[string, Uint8Array]>;
        try {
          batch = await it.nextv(16);
        } catch (e) {
          throw ioError(`cannot read ${gte}.. from the store in ${this.dir}`, this.dir, e);
        }
        if (batch.length === 0) return;
        for (const [key, bytes] of batch) {
          const index = indexOf(key);
          if (index === null) continue;
          const clear =
            this.#bundleKey !== undefined && key.startsWith("b/")
              ? this.#decrypt(key, bytes)
              : bytes;
          yield { index, bytes: clear };
        }
      }
    } finally {
      await it.close();
    }
  }

  #checkpoint(key: string, value: Uint8Array): StoredCheckpoint {
    const size = parseCheckpointKey(key);
    const note = fromUtf8(value);
    if (size === null || note === null) {
      throw new LogsealError("E_STORE_CORRUPT", `stored checkpoint ${key} is damaged`, {
        details: { key },
      });
    }
    return { size, note };
  }
}

/** The number of records in a clear entry bundle (as far as its length prefixes go). */
function bundleCount(b: Uint8Array): number {
  let n = 0;
  for (let p = 0; p + 2 <= b.length; n++) p += 2 + (((b[p] as number) << 8) | (b[p + 1] as number));
  return n;
}

function bundleAad(key: string, count: number): Uint8Array {
  return utf8(`logseal-bundle/v1\n${key}\n${count}`);
}

/** The AAD of the sealed entry-bundle key in `meta/encryption`. */
export const BUNDLE_KEY_AAD = "logseal-store/1 bundle-key";

/**
 * Derives the vault key from `source` (else `<dir>/vault.key`) under the kdf in `v/meta`, and
 * checks it.
 */
async function unlockVault(
  dir: string,
  metaBytes: Uint8Array,
  source: VaultKeySource | undefined,
): Promise<Uint8Array> {
  let meta: { kdf?: Kdf; check?: string };
  try {
    meta = JSON.parse(fromUtf8(metaBytes) ?? "");
  } catch {
    throw new LogsealError("E_STORE_CORRUPT", `the vault metadata of ${dir} is damaged`);
  }
  if (meta.kdf === undefined || typeof meta.check !== "string") {
    throw new LogsealError("E_STORE_CORRUPT", `the vault metadata of ${dir} is damaged`);
  }
  let src = source;
  if (src === undefined) {
    const file = join(dir, VAULT_KEY_FILE);
    if (!(await exists(file))) {
      throw new LogsealError(
        "E_VAULT_KEY_MISSING",
        `this needs the vault key of ${dir}: set LOGSEAL_VAULT_PASSPHRASE, or pass --vault-key FILE (or LOGSEAL_VAULT_KEY)`,
      );
    }
    src = { keyFile: file };
  }
  const key = await deriveVaultKey(src, meta.kdf);
  if (!checkKey(key, meta.check)) throw wrongKey(dir, src);
  return key;
}

function openBundleKey(dir: string, encryption: Uint8Array, vaultKey: Uint8Array): Uint8Array {
  let sealed: Uint8Array | null = null;
  try {
    const e = JSON.parse(fromUtf8(encryption) ?? "") as { alg?: string; key?: string };
    if (e.alg === "aes-256-gcm" && typeof e.key === "string") sealed = fromBase64(e.key);
  } catch {
    // reported below
  }
  const key = sealed === null ? null : unseal(vaultKey, sealed, utf8(BUNDLE_KEY_AAD));
  if (key === null || key.length !== 32) {
    throw new LogsealError("E_STORE_CORRUPT", `the encryption metadata of ${dir} is damaged`, {
      location: { file: dir },
    });
  }
  return key;
}

async function openDb(
  location: string,
  create: boolean,
  maxOpenFiles?: number,
  writeBufferSize?: number,
): Promise<DB> {
  const db: DB = new Level<string, Uint8Array>(location, {
    keyEncoding: "utf8",
    valueEncoding: "view",
    createIfMissing: create,
    errorIfExists: create,
    ...(maxOpenFiles !== undefined ? { maxOpenFiles } : {}),
    ...(writeBufferSize !== undefined ? { writeBufferSize } : {}),
  });
  try {
    await db.open();
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    if (cause?.code === "LEVEL_LOCKED") {
      throw new LogsealError(
        "E_STORE_LOCKED",
        `the store ${location} is held by another process (a running 'logseal serve' or another command); stop it or go through its server`,
        { location: { file: location }, cause: e },
      );
    }
    throw ioError(`cannot open the store database ${location}`, location, e);
  }
  return db;
}

async function getText(db: DB, key: string): Promise<string | undefined> {
  const v = await db.get(key);
  return v === undefined ? undefined : (fromUtf8(v) ?? undefined);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function ioError(message: string, file: string, cause: unknown): LogsealError {
  const reason =
    (cause as { cause?: Error; message?: string }).cause?.message ?? (cause as Error)?.message;
  return new LogsealError("E_IO", reason ? `${message}: ${reason}` : message, {
    location: { file },
    cause,
  });
}
