/**
 * The façade over a store: create or open a log, append events, sign checkpoints, read entries
 * and prove inclusion and consistency. Everything a pipeline, the CLI or the server needs to
 * write or read a log goes through {@link Log}.
 *
 * Append path: each event is checked (schema v1) and written, completed with `at`, as its
 * canonical leaf in one pass, into one buffer laid out as entry-bundle records (`encodeInput`;
 * `validateEvent` names what is wrong) → the ids are looked up while all the leaves are hashed
 * in one batch call → events whose id is known are dropped → new entry bundles (views of that
 * buffer) and hash tiles → one atomic LevelDB batch with the id index and the new size. A batch
 * is all or nothing: one invalid event rejects it and nothing is written.
 *
 * Pipelined: everything before the LevelDB batch (the prepare) runs for one append while the
 * append before it is being written, on top of it: from its tree size and right edge, with its
 * ids and its puts visible to the id lookups and to the contributors (`pendingView`), as the
 * store will be once it is written. Writes run one at a time in call order, and an append
 * resolves only when its own write is durable. When a write fails, the appends prepared on it
 * are refused unwritten (`notWritten`) and the next prepare starts from the store. A caller
 * that awaits each append (the CLI, most library users) sees no difference; the server's group
 * committer starts its next append when `onPrepared` says the previous one is queued.
 *
 * The half of the prepare that needs no writer state (the transforms' pure parts, validation,
 * encoding, leaf hashes: src/prepare.ts) may run on another thread: {@link Log.appendPrepared}
 * takes its result and does the rest in the same queue (the server's ingest workers).
 *
 * Two kinds of hook extend it, each registered on the {@link Log}: {@link AppendTransform}s
 * rewrite the raw inputs before they are validated (PII masking, control mapping: what they
 * write is inside the signed leaf), and {@link AppendContributor}s add puts derived from the new
 * entries (lineage and query indexes) to the same atomic batch. With neither registered the
 * append path builds no Event objects at all.
 */
import { join } from "node:path";
import { fromUtf8, utf8 } from "./bytes.js";
import type { ControlsPolicy } from "./controls/policy.js";
import { withControls } from "./controls/transform.js";
import { type Location, LogsealError, withLocation } from "./errors.js";
import {
  decodeLeaf,
  decodeStoredLeaf,
  type Event,
  leafTooLarge,
  MAX_LEAF_SIZE,
  MAX_TIMESTAMP,
} from "./event/index.js";
import { lineageIndexer } from "./lineage/indexer.js";
import { appendRecordsToBundles } from "./merkle/bundle.js";
import {
  appendToTiles,
  bundleLeafHashes,
  HASH_SIZE,
  parseEntryBundle,
  TILE_WIDTH,
  type TileReader,
  treeHashFromTiles,
} from "./merkle/index.js";
import { generateSigner, parseSkey, type Signer, signCheckpoint } from "./note/index.js";
import {
  concatPrepared,
  type EncodedRecords,
  encodeEvents,
  type PortableStep,
  type PreparedEvents,
  type PrepareSpec,
} from "./prepare.js";
import { attachPrivacy, type PrivacyInit, prepareVault } from "./privacy/access.js";
import {
  type ConsistencyProof,
  type InclusionProof,
  proveConsistencyIn,
  proveInclusionIn,
} from "./proofs.js";
import type { VaultKeySource } from "./store/keys.js";
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

/**
 * A step of the append path that rewrites the raw inputs of a batch before they are validated
 * and encoded: PII masking, control mapping. Its output is what gets signed.
 */
export interface AppendTransform {
  /** A short name for error messages and metrics (`privacy`, `controls`). */
  readonly name: string;
  /**
   * Rewrites a batch of raw inputs (attacker-controlled, not validated yet) in input order.
   * A value it does not understand must come back unchanged, so that validation names what is
   * wrong with it. Throwing (a LogsealError) rejects the whole batch; nothing is written.
   */
  apply(values: readonly unknown[], context: TransformContext): Promise<TransformResult>;
  /**
   * The pure part of `apply` as data (src/prepare.ts), for a thread that prepares appends
   * for {@link Log.appendPrepared}. A log whose transforms do not all have one has no
   * `prepareSpec`.
   */
  portable?(): PortableStep;
  /**
   * The writer part of `apply` for inputs whose pure part ran elsewhere: `carried` is what that
   * part carried for this transform (by its name), one item per input. None: the transform is
   * all pure. It adds puts only through `placed`, once the entries have their indexes (the
   * vault's records name them).
   */
  resume?(carried: ReadonlyArray<unknown> | undefined): Pick<TransformResult, "placed">;
}

export interface TransformContext {
  /** Where input i came from (file, line), for error messages. */
  locate: (i: number) => Location | undefined;
  /** The integration time the batch is stamped with. */
  at: number;
}

export interface TransformResult {
  /** The inputs to validate and encode instead, one for each input. */
  values: readonly unknown[];
  /**
   * Extra puts for input i, written in the same atomic batch when (and only when) input i is
   * appended: not when it duplicates an event already in the log or earlier in the batch.
   */
  puts?: ReadonlyArray<readonly Put[] | undefined>;
  /**
   * Called once the append path has given each input its entry index (`undefined` for an
   * input that is not appended: it duplicates an event in the log or earlier in the batch),
   * before anything is written; the puts it returns go into the same atomic batch. For records
   * that name the entry (the vault's places), so that no transform has to guess its index.
   */
  placed?: (indexes: ReadonlyArray<number | undefined>) => Promise<readonly Put[]>;
}

/**
 * Adds puts derived from new entries to the atomic batch that appends them (indexes). Called
 * once per append with every new entry, in index order, after they got their indexes and before
 * anything is written; appends are serialised, so what it reads of the store is the state just
 * before this batch.
 */
export interface AppendContributor {
  readonly name: string;
  /**
   * @param records the same entries' leaves as the append path laid them out, for a
   *   contributor that reads them in place (the indexes) instead of through `entries`
   */
  puts(entries: ReadonlyArray<NewEntry>, store: LevelStore, records?: NewRecords): Promise<Put[]>;
}

/**
 * The new entries' leaves as entry-bundle records (`uint16_be(len) ‖ leaf`), back to back:
 * entry j's record ends at `ends[j]` and starts where entry j − 1's ends (0 for the first).
 */
export interface NewRecords {
  readonly bytes: Uint8Array;
  readonly ends: Float64Array;
}

/**
 * A new entry as contributors see it: `leaf` is its leaf as just encoded (when the append path
 * gives it), and `event` is decoded from it on first use, so that a contributor that reads only
 * a few fields of the leaf does not pay for a full decode.
 */
export interface NewEntry {
  readonly index: number;
  readonly event: Event;
  readonly leaf?: Uint8Array;
}

export interface AppendOptions {
  /** Where event `i` came from (file, line), for error messages. */
  locate?: (i: number) => Location;
  /** The integration time to stamp (`at`); defaults to now. For tests and replays. */
  now?: number;
  /**
   * Called once the batch is prepared (validated, masked, encoded, hashed, its tiles and index
   * records built) and its write queued, with its new entries in index order (none when every
   * event is a duplicate). An append started from here on is prepared while this one is
   * written (group commit pipelining); it is acknowledged only after this one, and fails
   * without being written if this one's write fails.
   */
  onPrepared?: (entries: ReadonlyArray<NewEntry>) => void;
  /**
   * Runs the batch's LevelDB write (and the tree size's move) inside the caller's exclusive
   * section: the server's readers-writer gate, so that no read overlaps a commit. Not called
   * for a batch that writes nothing.
   */
  exclusive?: <T>(write: () => Promise<T>) => Promise<T>;
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
 * `options.privacy` sets up the vault (formats/storage.md): its key, the masking policy, and
 * encryption at rest. `controlsPolicy` becomes the store's controls policy
 * (src/controls/policy.ts; without one, events keep the controls they name).
 * @throws LogsealError E_USAGE (bad origin), E_KEY_INVALID, E_STORE_EXISTS, E_IO,
 *   E_POLICY_INVALID, E_VAULT_KEY_MISSING (--encrypt without a key), E_VAULT_KEY_INSECURE,
 *   E_VAULT_KEY_INVALID
 */
export async function init(
  dir: string,
  options: {
    origin: string;
    skey?: string;
    privacy?: PrivacyInit;
    controlsPolicy?: ControlsPolicy;
  },
): Promise<Log> {
  checkOrigin(options.origin);
  const { skey, vkey } =
    options.skey === undefined
      ? generateSigner(options.origin)
      : importSigner(options.skey, options.origin);
  const store = await LevelStore.create(dir, {
    origin: options.origin,
    skey,
    vkey,
    ...(await prepareVault(options.privacy ?? {})),
  });
  return configure(new Log(store), options.controlsPolicy);
}

/** Options of {@link open}. */
export interface OpenOptions {
  /** The vault key: to open an encrypted store, and to reveal masked values. */
  vaultKey?: VaultKeySource;
  /**
   * LevelDB's limit of open table files (default 1000). Every open table is mapped into memory
   * and what is read of it counts in the RSS, so a process that may walk the whole log (the TUI,
   * whose verify screen reads every bundle) passes `VERIFY_MAX_OPEN_FILES` to stay bounded.
   */
  maxOpenFiles?: number;
  /**
   * `fsync` every write before it resolves: an append then survives a crash of the machine,
   * not only of the process (`logseal serve --sync`; one flush per group commit).
   */
  sync?: boolean;
  /** LevelDB's memtable size in bytes (see `OpenStoreOptions.writeBufferSize`; `logseal serve`). */
  writeBufferSize?: number;
}

/**
 * Opens the log in `dir`.
 * Every log is opened with masking registered (the store's privacy policy and vault).
 * @throws LogsealError E_STORE_MISSING, E_STORE_LOCKED, E_STORE_VERSION, E_STORE_CORRUPT, E_IO;
 *   E_STORE_ENCRYPTED, E_VAULT_KEY_WRONG… for an encrypted store without its key
 */
export async function open(dir: string, options: OpenOptions = {}): Promise<Log> {
  return configure(new Log(await LevelStore.open(dir, options)));
}

/**
 * Registers the hooks that every log opened by {@link init} or {@link open} runs on its appends,
 * so that the CLI, the server and library users write the same records: PII masking with the
 * store's policy and vault (src/privacy/hook.ts, inside the signed leaf), the controls check and
 * mapping (src/controls/transform.ts, inside the leaf too) and the lineage and
 * query indexes (src/lineage/indexer.ts; not for a store encrypted at rest). A `Log`
 * constructed directly on a store runs none. The store is closed when a hook cannot be set up.
 */
async function configure(log: Log, controlsPolicy?: ControlsPolicy): Promise<Log> {
  try {
    await attachPrivacy(log);
  } catch (e) {
    await log.store.close();
    throw e;
  }
  // Control ids checked and mapped by the store's controls policy (src/controls/transform.ts).
  await withControls(log, controlsPolicy);
  // An encrypted store keeps no indexes: they would hold in clear what its bundles hide.
  if (!log.store.encrypted) log.addContributor(lineageIndexer);
  return log;
}

export class Log {
  readonly store: LevelStore;
  #signer: Signer | undefined;
  /**
   * Appends are prepared one at a time, in call order, and written one at a time, in the same
   * order (single writer); the prepare of an append may run while the append before it is being
   * written. A checkpoint takes its turn in both queues, so it signs exactly the appends called
   * before it.
   */
  #prepareQueue: Promise<unknown> = Promise.resolve();
  #writeQueue: Promise<unknown> = Promise.resolve();
  /**
   * The partial entry bundle and partial hash tiles at the right edge after the last prepared
   * append (written or not yet), so that the next append neither reads nor re-parses them. Set
   * only when a prepare succeeds; dropped when a write fails. (measured) Batches of 100 demo
   * events: 54–66k appends/s with it, 50–53k without (Node 20.20, 2-core AMD EPYC, shared).
   */
  #edge: RightEdge | undefined;
  /**
   * The puts of the prepared appends whose write has not completed, oldest first: what the
   * next prepare must read instead of the store (ids, the indexer's status records).
   */
  #pending: PendingPuts[] = [];
  /**
   * Moves when a write fails: an append prepared on the state before (on top of the failed
   * one) is then refused without being written, and the next prepare starts from the store.
   */
  #epoch = 0;
  /** The error of the last write that failed (the cause given to the appends refused after it). */
  #failure: unknown;
  /**
   * Id lookups started before their append is prepared ({@link prefetchIds}), by batch: the
   * store's answer, and how many writes had completed when it was asked.
   */
  readonly #prefetched = new WeakMap<PreparedEvents, IdPrefetch>();
  /** Writes completed so far (a prefetch sees every one up to its `writes`). */
  #writes = 0;
  /**
   * The ids of the last completed writes that added ids ({@link WRITTEN_KEPT}, at most
   * {@link WRITTEN_IDS_KEPT} ids), oldest first, each with its number in {@link #writes}: what a
   * prefetch started before one of them may have missed. Kept only once a prefetch was asked
   * (a log that never prefetches, as the CLI's, holds none).
   */
  #written: WrittenIds[] = [];
  /** The ids in {@link #written}. */
  #writtenIds = 0;
  /**
   * A prefetch asked before the write numbered this may have missed ids that are not in
   * {@link #written} (dropped from it, or of a write that failed after it may have reached the
   * store): it is looked up again.
   */
  #forgotten = 0;
  /** Some prefetch was asked: completed writes keep their ids in {@link #written}. */
  #prefetching = false;
  /** The store as the append being prepared sees it (see {@link #view}). */
  readonly #storeView: LevelStore;
  readonly #transforms: AppendTransform[] = [];
  readonly #contributors: AppendContributor[] = [];

  constructor(store: LevelStore) {
    this.store = store;
    this.#storeView = pendingView(store, this);
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
   * nothing is written. An event whose `id` is already in the log (or earlier in the same batch,
   * or in an append called before this one) is not appended again: its existing index is
   * returned with `duplicate: true`. Appends are written in call order; one called while
   * another is being written is prepared meanwhile, and resolves after it. It is refused, not
   * written, with the failed write's code (E_IO, …) and a message starting "not written: the
   * append before it failed" when the append before it fails at its write.
   */
  append(events: readonly unknown[], options: AppendOptions = {}): Promise<Appended[]> {
    return this.#pipelined(
      () => this.#prepare(events, options),
      (p) => this.#write(p, options),
      options.onPrepared === undefined ? undefined : (p) => options.onPrepared?.(p.entries ?? []),
    );
  }

  /**
   * Appends events whose writer-independent half was prepared elsewhere (`Preparer.prepare`
   * with this log's {@link prepareSpec}, usually on another thread), in order, as one batch: as
   * {@link append} on the same values, sharing its queue and every guarantee (all or nothing,
   * ids looked up across the appends not yet written, durable before it resolves, refused
   * unwritten on top of a failed write), but without the transforms' pure parts, the
   * validation, the encoding and the leaf hashing, which were done.
   * The batches are trusted as they come: they must come from this library's `Preparer`.
   * @throws LogsealError E_EVENT_TOO_LARGE (a leaf over the limit that is appended, at its
   *   location), and the write's errors (E_IO, …) as {@link append}
   */
  appendPrepared(
    batches: readonly PreparedEvents[],
    options: Omit<AppendOptions, "now"> = {},
  ): Promise<Appended[]> {
    const prefetched: IdPrefetch[] = [];
    for (const b of batches) {
      const f = this.#prefetched.get(b);
      if (f === undefined) break;
      prefetched.push(f);
      this.#prefetched.delete(b);
    }
    return this.#pipelined(
      () =>
        this.#prepare(
          concatPrepared(batches),
          options,
          prefetched.length === batches.length ? prefetched : undefined,
        ),
      (p) => this.#write(p, options),
      options.onPrepared === undefined ? undefined : (p) => options.onPrepared?.(p.entries ?? []),
    );
  }

  /**
   * Starts looking up the ids of a prepared batch in the store now, for the
   * {@link appendPrepared} that will take it: a group commit queues requests, and their
   * lookups then run on LevelDB's threads while they wait, instead of inside the prepare, where
   * the next append waits for them. What the store gains meanwhile is not lost: the prepare
   * also checks the ids of every write completed since the lookup was asked (and, as always,
   * of the appends not yet written); it looks up afresh when those are no longer kept.
   */
  prefetchIds(batch: PreparedEvents): void {
    const ids: string[] = [];
    for (const id of batch.ids) if (id !== undefined) ids.push(id);
    const found = this.store.lookupIds(ids);
    found.catch(() => {}); // a failed prefetch is looked up again by the prepare
    this.#prefetched.set(batch, { writes: this.#writes, ids, found });
    this.#prefetching = true;
  }

  /**
   * What a thread needs to prepare appends for {@link appendPrepared}: the pure parts of the
   * registered transforms, in order; undefined when some transform has none.
   */
  prepareSpec(): PrepareSpec | undefined {
    const out: PortableStep[] = [];
    for (const t of this.#transforms) {
      if (t.portable === undefined) return undefined;
      out.push(t.portable());
    }
    return out;
  }

  /** Registers a transform; transforms run in the order they were added. */
  addTransform(transform: AppendTransform): void {
    this.#transforms.push(transform);
  }

  /** Registers a contributor of puts to every append's batch. */
  addContributor(contributor: AppendContributor): void {
    this.#contributors.push(contributor);
  }

  /** The names of the registered hooks, transforms first (for status output and tests). */
  get hooks(): { transforms: string[]; contributors: string[] } {
    return {
      transforms: this.#transforms.map((t) => t.name),
      contributors: this.#contributors.map((c) => c.name),
    };
  }

  /**
   * Everything of an append but its write: the state it builds on is the last prepared
   * append's (tree size, right edge, ids and index status of the appends not yet written).
   * Changes nothing but the hooks' own caches when it throws.
   */
  async #prepare(
    input: readonly unknown[] | PreparedEvents,
    options: AppendOptions,
    prefetched?: readonly IdPrefetch[],
  ): Promise<Prepared> {
    const epoch = this.#epoch;
    if (this.#pending.length === 0 && this.#edge !== undefined && this.#edge.size !== this.size) {
      this.#edge = undefined; // the store moved under the cache: nothing is trusted
    }
    const edge = this.#edge;
    const at = options.now ?? Date.now();
    /** Extra puts per input, from the transforms. */
    let sidePuts: Array<Put[] | undefined> | undefined;
    const placers: Array<NonNullable<TransformResult["placed"]>> = [];
    let count: number;
    let ids: ReadonlyArray<string | undefined>;
    let encoded: EncodedRecords | undefined;
    /** The leaf hashes of every record, when known before duplicates are dropped. */
    let prehashed: Uint8Array | null | undefined;
    let locate: ((i: number) => Location | undefined) | undefined = options.locate;
    if (isPrepared(input)) {
      count = input.count;
      for (const t of this.#transforms) {
        const placed = t.resume?.(input.carried[t.name]).placed;
        if (placed !== undefined) placers.push(placed);
      }
      ids = input.ids;
      encoded = { records: input.records, ends: input.ends, oversize: input.oversize };
      prehashed = input.hashes;
      const where = input.locations;
      if (locate === undefined && where !== undefined) locate = (i) => where[i];
    } else {
      let values = input;
      for (const t of this.#transforms) {
        const r = await t.apply(values, { locate: (i) => options.locate?.(i), at });
        if (r.values.length !== values.length) {
          throw new Error(
            `append transform ${t.name} returned ${r.values.length} values for ${values.length}`,
          );
        }
        values = r.values;
        if (r.placed !== undefined) placers.push(r.placed);
        if (r.puts === undefined) continue;
        sidePuts ??= new Array(values.length);
        for (let i = 0; i < values.length; i++) {
          const p = r.puts[i];
          if (p === undefined || p.length === 0) continue;
          const list = sidePuts[i];
          if (list === undefined) sidePuts[i] = [...p];
          else list.push(...p);
        }
      }
      count = values.length;
      const e = encodeEvents(values, at, options.locate);
      ids = e.ids;
      encoded = e.encoded;
    }
    /** The batch's ids, each once, in order. */
    const unique: string[] = [];
    const seen = new Set<string>();
    /** 1 for an event whose id an earlier event of the batch has. */
    const repeat = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const id = ids[i];
      if (id !== undefined) {
        // (measured) One hash operation per id, adding it and telling a repeat by the unchanged
        // size: 245 ns an id against 331 for has-then-set (10,000 new ids, Node 20.20).
        const before = seen.size;
        seen.add(id);
        if (seen.size === before) repeat[i] = 1;
        else unique.push(id);
      }
    }
    // The ids are looked up on LevelDB's threads while this one hashes the leaves.
    const lookup =
      prefetched === undefined
        ? this.#lookupIds(unique)
        : this.#lookupPrefetched(unique, prefetched);
    lookup.catch(() => {}); // awaited below; this only keeps a throw in between from orphaning it
    let hashes =
      prehashed !== undefined
        ? prehashed
        : encoded !== undefined && !encoded.oversize
          ? bundleLeafHashes(encoded.records, count)
          : null;
    const known = new Map<string, number>();
    const found = await lookup;
    for (let j = 0; j < unique.length; j++) {
      const index = found[j];
      if (index !== undefined) known.set(unique[j] as string, index);
    }

    // In input order: duplicates, then the first event that cannot be written.
    const results: Appended[] = [];
    /** The entry index of each event: its new one, or the one it duplicates. */
    const indexes = new Float64Array(count);
    const duplicate = new Uint8Array(count);
    let added = 0;
    const start = edge?.size ?? this.size;
    let first: Map<string, number> | undefined; // each id's first event, when there are repeats
    for (let i = 0; i < count; i++) {
      const id = ids[i];
      if (id !== undefined) {
        let existing = known.size === 0 ? undefined : known.get(id);
        if (existing === undefined && repeat[i] === 1) {
          first ??= firstEvents(ids);
          existing = indexes[first.get(id) as number];
        }
        if (existing !== undefined) {
          indexes[i] = existing;
          duplicate[i] = 1;
          results.push({ index: existing, duplicate: true, id });
          continue;
        }
      }
      if (encoded === undefined) {
        // As completeEvent: a clock outside the timestamp range is a caller bug.
        throw new RangeError(`at must be an integer in 0..${MAX_TIMESTAMP}, got ${String(at)}`);
      }
      const size = recordSize(encoded, i) - 2;
      if (size > MAX_LEAF_SIZE) throw withLocation(leafTooLarge(size), locate?.(i));
      const index = start + added++;
      indexes[i] = index;
      results.push(
        id === undefined ? { index, duplicate: false } : { index, duplicate: false, id },
      );
    }
    if (added === 0 || encoded === undefined) return { epoch, results };

    let { records, ends: recordEnds } = encoded;
    if (added < count) {
      const kept: number[] = [];
      for (let i = 0; i < count; i++) if (duplicate[i] === 0) kept.push(i);
      ({ records, ends: recordEnds } = keepRecords(encoded, kept));
      hashes = hashes === null ? null : keepHashes(hashes, kept);
    }
    hashes ??= bundleLeafHashes(records, added);
    if (hashes === null) throw new Error("append: a record is malformed"); // a bug

    const puts: Put[] = [];
    const partial =
      start % TILE_WIDTH === 0
        ? new Uint8Array(0)
        : (edge?.bundle ??
          (await this.#requireBundle(Math.floor(start / TILE_WIDTH), start % TILE_WIDTH)));
    const bundles = appendRecordsToBundles(start, records, recordEnds, partial);
    for (const b of bundles) puts.push({ key: bundleKey(b.index), value: b.bytes });
    const read: TileReader = (l, n) => {
      const cached = edge?.tiles.get(`${l}/${n}`);
      return cached === undefined ? this.store.readTile(l, n) : Promise.resolve(cached);
    };
    const tiles = await appendToTiles(start, hashes, read);
    for (const t of tiles.values()) puts.push({ key: tileKey(t.level, t.index), value: t.bytes });
    const digits = new Uint8Array(seen.size * 16);
    let off = 0;
    /** The new ids and their entries, for the prepares that run before this append is written. */
    const newIds = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const id = ids[i];
      if (id === undefined || duplicate[i] === 1) continue;
      newIds.set(id, indexes[i] as number);
      const end = writeDecimal(digits, off, indexes[i] as number);
      puts.push({ key: idKey(id), value: digits.subarray(off, end) });
      off = end;
    }
    if (sidePuts !== undefined) {
      for (let i = 0; i < count; i++) {
        const p = sidePuts[i];
        if (p !== undefined && duplicate[i] === 0) puts.push(...p);
      }
    }
    if (placers.length > 0) {
      const assigned = Array.from(indexes, (index, i) => (duplicate[i] === 0 ? index : undefined));
      for (const placed of placers) puts.push(...(await placed(assigned)));
    }
    let entries: NewEntry[] | undefined;
    if (this.#contributors.length > 0) {
      entries = decodeRecords(records, recordEnds, start);
      const laid: NewRecords = { bytes: records, ends: recordEnds };
      for (const c of this.#contributors) {
        puts.push(...(await c.puts(entries, this.#storeView, laid)));
      }
    }
    const size = start + added;
    if (epoch !== this.#epoch) throw notWritten(this.#failure);
    const last = bundles[bundles.length - 1] as { bytes: Uint8Array };
    this.#edge = {
      size,
      // A copy: the last bundle may be a view into the whole batch's records.
      bundle: size % TILE_WIDTH === 0 ? new Uint8Array(0) : last.bytes.slice(),
      tiles: rightEdgeTiles(size, tiles, edge?.tiles),
    };
    const layer = new PendingPuts(puts, newIds);
    this.#pending.push(layer);
    if (options.onPrepared !== undefined) {
      entries ??= decodeRecords(records, recordEnds, start);
    }
    return { epoch, results, write: { puts, size, layer }, entries };
  }

  /**
   * The write of a prepared append, in prepare order: refused, unwritten, when a write before it
   * failed after it was prepared. A failed write leaves the in-memory state as the store is.
   */
  async #write(p: Prepared, options: AppendOptions): Promise<Appended[]> {
    if (p.epoch !== this.#epoch) throw notWritten(this.#failure);
    const w = p.write;
    if (w !== undefined) {
      const write = () => this.store.write(w.puts, w.size);
      try {
        await (options.exclusive === undefined ? write() : options.exclusive(write));
      } catch (e) {
        // Every append prepared after this one built on it: none may be written, and the
        // next prepare starts again from the store.
        this.#epoch++;
        this.#failure = e;
        this.#edge = undefined;
        this.#pending = [];
        // The batch may have reached the store all the same (an `exclusive` that fails after
        // its write): every prefetch asked before now is looked up again.
        this.#writes++;
        this.#forgotten = this.#writes;
        throw e;
      }
      const i = this.#pending.indexOf(w.layer);
      if (i >= 0) this.#pending.splice(i, 1);
      this.#writes++;
      if (this.#prefetching && w.layer.ids.size > 0) {
        this.#written.push({ seq: this.#writes, ids: w.layer.ids });
        this.#writtenIds += w.layer.ids.size;
        while (
          this.#written.length > WRITTEN_KEPT ||
          (this.#written.length > 1 && this.#writtenIds > WRITTEN_IDS_KEPT)
        ) {
          const dropped = this.#written.shift() as WrittenIds;
          this.#writtenIds -= dropped.ids.size;
          this.#forgotten = Math.max(this.#forgotten, dropped.seq);
        }
      }
    }
    return p.results;
  }

  /**
   * Runs `prepare` after the prepares of every earlier call, then `write` after the writes of
   * every earlier call; `onPrepared` is told between the two.
   */
  #pipelined<P, T>(
    prepare: () => Promise<P>,
    write: (p: P) => Promise<T>,
    onPrepared?: (p: P) => void,
  ): Promise<T> {
    let written!: Promise<T>;
    const queued = this.#prepareQueue.then(prepare).then((p) => {
      written = this.#writeQueue.then(() => write(p));
      this.#writeQueue = written.catch(() => {});
      try {
        onPrepared?.(p);
      } catch {
        // The caller's notice: its failure must not detach this append from its write.
      }
    });
    this.#prepareQueue = queued.catch(() => {});
    return queued.then(() => written);
  }

  /** The entry indexes of these ids: in the appends not yet written, else in the store. */
  async #lookupIds(ids: readonly string[]): Promise<Array<number | undefined>> {
    if (this.#pending.length === 0) return this.store.lookupIds(ids);
    const out: Array<number | undefined> = new Array(ids.length);
    const rest: string[] = [];
    const where: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      let index: number | undefined;
      for (let l = this.#pending.length - 1; l >= 0 && index === undefined; l--) {
        index = (this.#pending[l] as PendingPuts).ids.get(id);
      }
      if (index === undefined) {
        rest.push(id);
        where.push(i);
      } else out[i] = index;
    }
    const found = await this.store.lookupIds(rest);
    for (let j = 0; j < rest.length; j++) out[where[j] as number] = found[j];
    return out;
  }

  /**
   * As {@link #lookupIds}, from the prefetches of the batches: an id is in an append not yet
   * written, else in a write completed after the oldest prefetch was asked (which that
   * prefetch may not have seen), else where its prefetch found it, or nowhere.
   */
  async #lookupPrefetched(
    ids: readonly string[],
    prefetched: readonly IdPrefetch[],
  ): Promise<Array<number | undefined>> {
    let since = this.#writes;
    for (const f of prefetched) since = Math.min(since, f.writes);
    // The writes after `since` must all be kept; else look up afresh.
    if (since < this.#forgotten) return this.#lookupIds(ids);
    const stored = new Map<string, number>();
    try {
      for (const f of prefetched) {
        const found = await f.found;
        for (let j = 0; j < f.ids.length; j++) {
          const index = found[j];
          if (index !== undefined) stored.set(f.ids[j] as string, index);
        }
      }
    } catch {
      return this.#lookupIds(ids);
    }
    // Taken now, after the awaits: the writes completed while they waited count too.
    if (since < this.#forgotten) return this.#lookupIds(ids);
    const after = this.#written.filter((w) => w.seq > since);
    const out: Array<number | undefined> = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      let index: number | undefined;
      for (let l = this.#pending.length - 1; l >= 0 && index === undefined; l--) {
        index = (this.#pending[l] as PendingPuts).ids.get(id);
      }
      for (let l = after.length - 1; l >= 0 && index === undefined; l--) {
        index = (after[l] as WrittenIds).ids.get(id);
      }
      out[i] = index ?? stored.get(id);
    }
    return out;
  }

  /**
   * The value of `key` in the newest append prepared and not yet written that puts it, if any
   * (for {@link pendingView}; not part of the public API).
   * @internal
   */
  pendingValue(key: string): Uint8Array | undefined {
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const v = (this.#pending[i] as PendingPuts).get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /**
   * The tree size the append being prepared starts from (the last prepared append's).
   * @internal
   */
  get preparedSize(): number {
    return this.#edge?.size ?? this.size;
  }

  /**
   * Signs the current tree head and stores the checkpoint. Signing the same size again gives
   * the same note (Ed25519 is deterministic).
   * @returns the signed note text
   */
  checkpoint(): Promise<StoredCheckpoint> {
    return this.#pipelined(
      () => Promise.resolve(),
      async () => {
        const size = this.size;
        const root = await treeHashFromTiles(size, (l, n) => this.store.readTile(l, n));
        const signer = await this.#loadSigner();
        const note = signCheckpoint({ origin: this.origin, size, root, extensions: [] }, signer);
        await this.store.write([{ key: checkpointKey(size), value: utf8(note) }]);
        return { size, note };
      },
    );
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
    const leaf = await this.#leaf(index);
    const event = decodeStoredLeaf(index, leaf);
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
    // The entry need not be decoded: the proof hashes its stored bytes.
    return proveInclusionIn(this.store, index, await this.#leaf(index), cp);
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
    return proveConsistencyIn(this.store, from, cp);
  }

  async close(): Promise<void> {
    await this.#prepareQueue;
    await this.#writeQueue;
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

  /** The stored leaf bytes of entry `index` (< size). */
  async #leaf(index: number): Promise<Uint8Array> {
    const n = Math.floor(index / TILE_WIDTH);
    const count = Math.min(TILE_WIDTH, this.size - n * TILE_WIDTH);
    // An append may commit between reading the size and reading the bundle: the bundle then
    // holds more than `count` entries. Bundles only grow, so its first `count` are still ours.
    const bytes = await this.store.readBundle(n);
    const entries = bytes === undefined ? null : parseEntryBundle(bytes);
    const leaf =
      entries !== null && entries.length >= count ? entries[index % TILE_WIDTH] : undefined;
    if (leaf === undefined) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        `entry bundle ${n} is damaged: run 'logseal verify'`,
        { details: { bundle: n, index } },
      );
    }
    return leaf;
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

/** An append prepared and waiting for its write. */
interface Prepared {
  /** The log's epoch when it was prepared: a failed write since then refuses it. */
  epoch: number;
  results: Appended[];
  /** What to write; absent when every event is a duplicate. */
  write?: { puts: Put[]; size: number; layer: PendingPuts };
  /** The new entries, when a contributor or the caller wants them. */
  entries?: NewEntry[] | undefined;
}

/** The new ids of a completed write, and its number among the writes. */
interface WrittenIds {
  seq: number;
  ids: ReadonlyMap<string, number>;
}

/** An id lookup started before its append was prepared ({@link Log.prefetchIds}). */
interface IdPrefetch {
  /** Writes completed when it was asked: it sees those, maybe not the later ones. */
  writes: number;
  ids: readonly string[];
  found: Promise<Array<number | undefined>>;
}

/**
 * The ids of completed writes kept for the prefetches asked before them: at most 256 writes and
 * 65,536 ids (a second or more at the server's rates); a prefetch older than what is kept is
 * looked up again.
 */
const WRITTEN_KEPT = 256;
const WRITTEN_IDS_KEPT = 65_536;

/**
 * The puts of an append prepared and not yet written, as the next prepares read them: its new
 * ids, and its puts by key. The indexer reads two status keys a batch, and the rare record of an
 * asset or edge it does not know: those are looked for from the end of the puts (where its own
 * are), and a map of every put (about two an event) is built only for a prepare that reads more.
 */
class PendingPuts {
  readonly puts: readonly Put[];
  readonly ids: ReadonlyMap<string, number>;
  #reads = 0;
  #byKey: Map<string, Uint8Array> | undefined;
  constructor(puts: readonly Put[], ids: ReadonlyMap<string, number>) {
    this.puts = puts;
    this.ids = ids;
  }
  get(key: string): Uint8Array | undefined {
    if (this.#byKey === undefined && ++this.#reads <= 8) {
      for (let i = this.puts.length - 1; i >= 0; i--) {
        const p = this.puts[i] as Put;
        if (p.key === key) return p.value;
      }
      return undefined;
    }
    if (this.#byKey === undefined) {
      this.#byKey = new Map();
      for (const p of this.puts) this.#byKey.set(p.key, p.value);
    }
    return this.#byKey.get(key);
  }
}

/**
 * Refusing an append that was prepared on top of one whose write failed: the failed write's
 * code, with `details.notWritten` set (the append itself may be fine: {@link wasNotWritten}).
 */
function notWritten(cause: unknown): LogsealError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new LogsealError(
    cause instanceof LogsealError ? cause.code : "E_IO",
    `not written: the append before it failed (${reason}); retry it`,
    { cause, details: { notWritten: true } },
  );
}

/**
 * True for the error of an append refused, unwritten, because the append before it failed at
 * its write: retrying it alone may succeed.
 */
export function wasNotWritten(e: unknown): boolean {
  return e instanceof LogsealError && e.details?.notWritten === true;
}

/**
 * The store as the append being prepared sees it, for its contributors: point reads (`getMany`,
 * `lookupIds`, `lookupId`) and `treeSize` answer with the appends prepared before it that are not
 * written yet (their puts), as the store will be when it is written; everything else is the
 * store's. One object per log, so that a contributor may key what it caches by it.
 */
function pendingView(store: LevelStore, log: Log): LevelStore {
  const getMany = async (keys: readonly string[]): Promise<Array<Uint8Array | undefined>> => {
    const out: Array<Uint8Array | undefined> = keys.map((k) => log.pendingValue(k));
    const rest: number[] = [];
    for (let i = 0; i < keys.length; i++) if (out[i] === undefined) rest.push(i);
    if (rest.length === 0) return out;
    const found = await store.getMany(rest.map((i) => keys[i] as string));
    for (let j = 0; j < rest.length; j++) out[rest[j] as number] = found[j];
    return out;
  };
  const lookupIds = async (ids: readonly string[]): Promise<Array<number | undefined>> => {
    const values = await getMany(ids.map(idKey));
    return values.map((v) => (v === undefined ? undefined : Number(fromUtf8(v))));
  };
  return new Proxy(store, {
    get(target, prop) {
      switch (prop) {
        case "treeSize":
          return log.preparedSize;
        case "size":
          return () => Promise.resolve(log.preparedSize);
        case "getMany":
          return getMany;
        case "lookupIds":
          return lookupIds;
        case "lookupId":
          return async (id: string) => (await lookupIds([id]))[0];
      }
      const v: unknown = Reflect.get(target, prop, target);
      // Methods run on the store itself (they use its private fields).
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** The right edge of the tree of `size` entries, as the last append left it. */
interface RightEdge {
  size: number;
  /** Bundle floor(size / 256) with its size mod 256 entries; empty at a multiple of 256. */
  bundle: Uint8Array;
  /** The partial tile of each level that has one, keyed `${level}/${index}`. */
  tiles: Map<string, Uint8Array>;
}

function isPrepared(input: readonly unknown[] | PreparedEvents): input is PreparedEvents {
  return !Array.isArray(input);
}

/** The records just encoded by the append path, with their indexes from `start`. */
function decodeRecords(records: Uint8Array, ends: Float64Array, start: number): NewEntry[] {
  const out: NewEntry[] = [];
  let begin = 0;
  for (let j = 0; j < ends.length; j++) {
    const end = ends[j] as number;
    out.push(new LazyEntry(start + j, records, begin + 2, end));
    begin = end;
  }
  return out;
}

/**
 * An entry whose leaf view and event are made on first use: (measured) a contributor that reads
 * the leaves in place (the indexer: `NewRecords`) then pays for neither; a view of each leaf made
 * up front was about a tenth of a µs an event, a tenth of the indexer's budget.
 */
class LazyEntry implements NewEntry {
  readonly index: number;
  readonly #records: Uint8Array;
  readonly #begin: number;
  readonly #end: number;
  #leaf: Uint8Array | undefined;
  #event: Event | undefined;
  constructor(index: number, records: Uint8Array, begin: number, end: number) {
    this.index = index;
    this.#records = records;
    this.#begin = begin;
    this.#end = end;
  }
  get leaf(): Uint8Array {
    this.#leaf ??= this.#records.subarray(this.#begin, this.#end);
    return this.#leaf;
  }
  get event(): Event {
    this.#event ??= decodeLeaf(this.leaf);
    return this.#event;
  }
}

function recordSize(r: EncodedRecords, i: number): number {
  return (r.ends[i] as number) - (i === 0 ? 0 : (r.ends[i - 1] as number));
}

/** The records of the inputs at positions `kept` (ascending), without the others. */
function keepRecords(r: EncodedRecords, kept: readonly number[]): EncodedRecords {
  let total = 0;
  for (const i of kept) total += recordSize(r, i);
  const records = new Uint8Array(total);
  const ends = new Float64Array(kept.length);
  let off = 0;
  for (let j = 0; j < kept.length; j++) {
    const i = kept[j] as number;
    const end = r.ends[i] as number;
    records.set(r.records.subarray(end - recordSize(r, i), end), off);
    off += recordSize(r, i);
    ends[j] = off;
  }
  return { records, ends, oversize: false };
}

function keepHashes(hashes: Uint8Array, kept: readonly number[]): Uint8Array {
  const out = new Uint8Array(kept.length * HASH_SIZE);
  for (let j = 0; j < kept.length; j++) {
    const i = kept[j] as number;
    out.set(hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE), j * HASH_SIZE);
  }
  return out;
}

/** The position of each id's first event. */
function firstEvents(ids: ReadonlyArray<string | undefined>): Map<string, number> {
  const first = new Map<string, number>();
  for (let i = ids.length - 1; i >= 0; i--) {
    const id = ids[i];
    if (id !== undefined) first.set(id, i);
  }
  return first;
}

/** Writes the decimal digits of a safe non-negative integer at `off`; returns where they end. */
function writeDecimal(b: Uint8Array, off: number, n: number): number {
  let len = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) len++;
  let x = n;
  for (let p = off + len - 1; p >= off; p--) {
    b[p] = 0x30 + (x % 10);
    x = Math.floor(x / 10);
  }
  return off + len;
}

/**
 * The partial tile of each level at tree size `size`, from the tiles an append just wrote and,
 * for levels it did not touch, the ones cached before it.
 */
function rightEdgeTiles(
  size: number,
  written: ReadonlyMap<string, { bytes: Uint8Array }>,
  before: ReadonlyMap<string, Uint8Array> | undefined,
): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (let level = 0, nodes = size; nodes > 0; level++, nodes = Math.floor(nodes / TILE_WIDTH)) {
    const width = nodes % TILE_WIDTH;
    if (width === 0) continue;
    const key = `${level}/${Math.floor(nodes / TILE_WIDTH)}`;
    const bytes = written.get(key)?.bytes ?? before?.get(key);
    if (bytes?.length === width * HASH_SIZE) out.set(key, bytes);
  }
  return out;
}
