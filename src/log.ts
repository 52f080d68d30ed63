/**
 * The façade over a store: create or open a log, append events, sign checkpoints, read entries
 * and prove inclusion and consistency. Everything a pipeline, the CLI or the server needs to
 * write or read a log goes through {@link Log}.
 *
 * Append path: validate (schema v1) → complete (`at`) → canonical leaf → leaf hash → new entry
 * bundles and hash tiles → one atomic LevelDB batch with the id index and the new size. A batch
 * is all or nothing: one invalid event rejects it and nothing is written.
 */
import { join } from "node:path";
import { utf8 } from "./bytes.js";
import { type Location, LogsealError } from "./errors.js";
import {
  completeEvent,
  decodeLeaf,
  type Event,
  type EventInput,
  encodeLeaf,
  validateEvent,
} from "./event/index.js";
import {
  appendToEntryBundle,
  appendToTiles,
  leafHash,
  parseEntryBundle,
  proveConsistencyFromTiles,
  proveInclusionFromTiles,
  TILE_WIDTH,
  treeHashFromTiles,
} from "./merkle/index.js";
import { generateSigner, parseSkey, type Signer, signCheckpoint } from "./note/index.js";
import type { ConsistencyProof, InclusionProof } from "./proofs.js";
import { bundleKey, checkpointKey, idKey, tileKey } from "./store/layout.js";
import { LevelStore, type Put } from "./store/level-store.js";
import type { StoredCheckpoint } from "./store/reader.js";

/** What {@link Log.append} reports for each event, in input order. */
export interface Appended {
  index: number;
  /** True when an event with the same `id` was already in the log (nothing was appended). */
  duplicate: boolean;
  id?: string;
}

/** An entry read back from the log. */
export interface Entry {
  index: number;
  event: Event;
  /** The exact leaf bytes. */
  leaf: Uint8Array;
}

export interface AppendOptions {
  /** Where event `i` came from (file, line), for error messages. */
  locate?: (i: number) => Location;
  /** The integration time to stamp (`at`); defaults to now. For tests and replays. */
  now?: number;
}

/**
 * Origin rules: non-empty, at most 255 bytes, printable ASCII without spaces or `+` (it is
 * also the key name of the signed note). A schema-less URL such as
 * `example.com/logseal/ml-audit` is recommended.
 */
export function checkOrigin(origin: string): void {
  if (!/^[\x21-\x2a\x2c-\x7e]{1,255}$/.test(origin)) {
    throw new LogsealError(
      "E_USAGE",
      `invalid origin ${JSON.stringify(origin)}: use 1-255 printable ASCII characters without spaces or '+', such as example.com/logseal/ml-audit`,
      { location: { field: "origin" } },
    );
  }
}

/**
 * Creates a new log in `dir` with a fresh Ed25519 signer named `origin`, or with the signer
 * `skey` when given (its key name must be the origin).
 * @throws LogsealError E_USAGE (bad origin), E_KEY_INVALID, E_STORE_EXISTS, E_IO
 */
export async function init(dir: string, options: { origin: string; skey?: string }): Promise<Log> {
  checkOrigin(options.origin);
  const { skey, vkey } =
    options.skey === undefined
      ? generateSigner(options.origin)
      : importSigner(options.skey, options.origin);
  const store = await LevelStore.create(dir, { origin: options.origin, skey, vkey });
  return new Log(store);
}

/**
 * Opens the log in `dir`.
 * @throws LogsealError E_STORE_MISSING, E_STORE_LOCKED, E_STORE_VERSION, E_STORE_CORRUPT, E_IO
 */
export async function open(dir: string): Promise<Log> {
  return new Log(await LevelStore.open(dir));
}

export class Log {
  readonly store: LevelStore;
  #signer: Signer | undefined;
  /** Appends and checkpoints run one at a time (single writer). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: LevelStore) {
    this.store = store;
  }

  get origin(): string {
    return this.store.origin;
  }

  /** The log's verifier key (vkey string). */
  get vkey(): string {
    return this.store.vkey;
  }

  get dir(): string {
    return this.store.dir;
  }

  /** The number of entries committed. */
  get size(): number {
    return this.store.treeSize;
  }

  /** The path of the signing key file (mode 0600). */
  get signerFile(): string {
    return join(this.store.dir, "signer.key");
  }

  /**
   * Appends events, all or nothing. Each value is validated as an event of schema v1; the first
   * invalid one throws (E_EVENT_INVALID, E_EVENT_TOO_LARGE) naming its location and field, and
   * nothing is written. An event whose `id` is already in the log (or earlier in the same batch)
   * is not appended again: its existing index is returned with `duplicate: true`.
   */
  append(events: readonly unknown[], options: AppendOptions = {}): Promise<Appended[]> {
    return this.#serialised(() => this.#append(events, options));
  }

  async #append(values: readonly unknown[], options: AppendOptions): Promise<Appended[]> {
    const at = options.now ?? Date.now();
    const inputs: EventInput[] = values.map((v, i) => validateEvent(v, options.locate?.(i)));
    const results: Appended[] = [];
    const leaves: Uint8Array[] = [];
    const newIds = new Map<string, number>();
    const start = this.size;
    const ids = [...new Set(inputs.flatMap((e) => (e.id === undefined ? [] : [e.id])))];
    const known = new Map<string, number>();
    for (const [i, index] of (await this.store.lookupIds(ids)).entries()) {
      if (index !== undefined) known.set(ids[i] as string, index);
    }
    for (const [i, input] of inputs.entries()) {
      const id = input.id;
      if (id !== undefined) {
        const existing = newIds.get(id) ?? known.get(id);
        if (existing !== undefined) {
          results.push({ index: existing, duplicate: true, id });
          continue;
        }
      }
      let leaf: Uint8Array;
      try {
        leaf = encodeLeaf(completeEvent(input, at));
      } catch (e) {
        throw withLocation(e, options.locate?.(i));
      }
      const index = start + leaves.length;
      leaves.push(leaf);
      if (id !== undefined) newIds.set(id, index);
      results.push(
        id === undefined ? { index, duplicate: false } : { index, duplicate: false, id },
      );
    }
    if (leaves.length === 0) return results;

    const puts: Put[] = [];
    // Entry bundles: extend the partial last bundle, then start new ones.
    let offset = 0;
    let bundle = Math.floor(start / TILE_WIDTH);
    while (offset < leaves.length) {
      const have = (start + offset) % TILE_WIDTH;
      const take = Math.min(TILE_WIDTH - have, leaves.length - offset);
      const old = have === 0 ? new Uint8Array(0) : await this.#requireBundle(bundle, have);
      puts.push({
        key: bundleKey(bundle),
        value: appendToEntryBundle(old, leaves.slice(offset, offset + take)),
      });
      offset += take;
      bundle++;
    }
    const tiles = await appendToTiles(start, leaves.map(leafHash), (l, n) =>
      this.store.readTile(l, n),
    );
    for (const t of tiles.values()) puts.push({ key: tileKey(t.level, t.index), value: t.bytes });
    for (const [id, index] of newIds) puts.push({ key: idKey(id), value: utf8(String(index)) });
    await this.store.write(puts, start + leaves.length);
    return results;
  }

  /**
   * Signs the current tree head and stores the checkpoint. Signing the same size again gives
   * the same note (Ed25519 is deterministic).
   * @returns the signed note text
   */
  checkpoint(): Promise<StoredCheckpoint> {
    return this.#serialised(async () => {
      const size = this.size;
      const root = await treeHashFromTiles(size, (l, n) => this.store.readTile(l, n));
      const signer = await this.#loadSigner();
      const note = signCheckpoint({ origin: this.origin, size, root, extensions: [] }, signer);
      await this.store.write([{ key: checkpointKey(size), value: utf8(note) }]);
      return { size, note };
    });
  }

  /** The latest signed checkpoint, or `undefined` when none was signed yet. */
  latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.store.latestCheckpoint();
  }

  /** Every stored checkpoint, ascending by size. */
  async listCheckpoints(): Promise<StoredCheckpoint[]> {
    const out: StoredCheckpoint[] = [];
    for await (const c of this.store.checkpoints()) out.push(c);
    return out;
  }

  /**
   * Reads entry `index`.
   * @throws LogsealError E_INDEX_RANGE, E_STORE_CORRUPT (bundle or leaf unreadable)
   */
  async get(index: number): Promise<Entry> {
    this.#checkIndex(index, this.size, "index");
    const n = Math.floor(index / TILE_WIDTH);
    const count = Math.min(TILE_WIDTH, this.size - n * TILE_WIDTH);
    const entries = parseEntryBundle(await this.#requireBundle(n, count), count);
    const leaf = entries?.[index % TILE_WIDTH];
    if (leaf === undefined) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        `entry bundle ${n} is damaged: run 'logseal verify'`,
        {
          details: { bundle: n, index },
        },
      );
    }
    let event: Event;
    try {
      event = decodeLeaf(leaf);
    } catch (e) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        `entry ${index} does not decode: run 'logseal verify'`,
        {
          details: { index },
          cause: e,
        },
      );
    }
    return { index, event, leaf };
  }

  /**
   * Proves that entry `index` is in the tree of the stored checkpoint of `size` (default: the
   * latest checkpoint).
   * @throws LogsealError E_NO_CHECKPOINT, E_INDEX_RANGE
   */
  async proveInclusion(index: number, size?: number): Promise<InclusionProof> {
    const cp = await this.#checkpointFor(size);
    if (Number.isSafeInteger(index) && index >= cp.size && index < this.size) {
      throw new LogsealError(
        "E_INDEX_RANGE",
        `entry ${index} is newer than the checkpoint of size ${cp.size}: sign a new one with 'logseal checkpoint'`,
        { details: { index, size: cp.size } },
      );
    }
    this.#checkIndex(index, cp.size, "index");
    const entry = await this.get(index);
    const proof = await proveInclusionFromTiles(index, cp.size, (l, n) =>
      this.store.readTile(l, n),
    );
    return { index, size: cp.size, leafHash: leafHash(entry.leaf), proof, checkpoint: cp.note };
  }

  /**
   * Proves that the tree of size `from` is a prefix of the tree of the stored checkpoint of
   * size `to` (default: the latest checkpoint).
   * @throws LogsealError E_NO_CHECKPOINT, E_INDEX_RANGE
   */
  async proveConsistency(from: number, to?: number): Promise<ConsistencyProof> {
    const cp = await this.#checkpointFor(to);
    if (!Number.isSafeInteger(from) || from < 1 || from > cp.size) {
      throw new LogsealError(
        "E_INDEX_RANGE",
        `consistency proofs need 1 <= FROM <= TO; got FROM ${from}, TO ${cp.size}`,
        { details: { from, to: cp.size } },
      );
    }
    const read = (l: number, n: number) => this.store.readTile(l, n);
    const proof = from === cp.size ? [] : await proveConsistencyFromTiles(from, cp.size, read);
    const fromRoot = await treeHashFromTiles(from, read);
    const toRoot = await treeHashFromTiles(cp.size, read);
    return { from, to: cp.size, fromRoot, toRoot, proof, checkpoint: cp.note };
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => {});
    await this.store.close();
  }

  async #checkpointFor(size: number | undefined): Promise<StoredCheckpoint> {
    if (size === undefined) {
      const latest = await this.store.latestCheckpoint();
      if (latest === undefined) {
        throw new LogsealError(
          "E_NO_CHECKPOINT",
          `no checkpoint has been signed yet: run 'logseal checkpoint --store ${this.dir}'`,
        );
      }
      return latest;
    }
    const cp = Number.isSafeInteger(size) ? await this.store.checkpointAt(size) : undefined;
    if (cp === undefined) {
      throw new LogsealError(
        "E_NO_CHECKPOINT",
        `no checkpoint of size ${size} is stored: list them with 'logseal checkpoint --list'`,
        { details: { size } },
      );
    }
    return cp;
  }

  #checkIndex(index: number, size: number, field: string): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new LogsealError(
        "E_INDEX_RANGE",
        size === 0
          ? "the log is empty"
          : `${field} ${index} is out of range: the tree has entries 0..${size - 1}`,
        { details: { index, size } },
      );
    }
  }

  async #requireBundle(n: number, count: number): Promise<Uint8Array> {
    const b = await this.store.readBundle(n);
    if (b === undefined || parseEntryBundle(b, count) === null) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        `entry bundle ${n} is missing or damaged: run 'logseal verify'`,
        { details: { bundle: n } },
      );
    }
    return b;
  }

  async #loadSigner(): Promise<Signer> {
    if (this.#signer === undefined) {
      const signer = parseSkey(await this.store.readSkey());
      if (signer.vkey !== this.vkey) {
        throw new LogsealError(
          "E_STORE_CORRUPT",
          `${this.signerFile} does not hold the key of this log (${this.vkey})`,
        );
      }
      this.#signer = signer;
    }
    return this.#signer;
  }

  #serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}

function importSigner(skey: string, origin: string): { skey: string; vkey: string } {
  const signer = parseSkey(skey);
  if (signer.name !== origin) {
    throw new LogsealError(
      "E_KEY_INVALID",
      `the signing key is named ${JSON.stringify(signer.name)}, but the origin is ${JSON.stringify(origin)}: a log signs with a key named after its origin`,
    );
  }
  return { skey, vkey: signer.vkey };
}

function withLocation(e: unknown, location: Location | undefined): unknown {
  if (!(e instanceof LogsealError) || location === undefined) return e;
  return new LogsealError(e.code, e.message, {
    location: { ...location, ...e.location },
    ...(e.details ? { details: e.details } : {}),
    cause: e.cause,
  });
}
