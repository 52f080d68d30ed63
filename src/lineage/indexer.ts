/**
 * The indexer: turns entries into the index records of formats/lineage.md (lineage edges both
 * ways, field and time posting blocks, the asset inventory) as puts for the same atomic batch as
 * the entries, and rebuilds them all from the entries for stores written before indexes existed.
 *
 * The indexes are derived data. Only the entries are covered by the Merkle tree; an answer that
 * must be trusted carries each cited entry's inclusion proof (`lineageProofs`), and `reindex`
 * rebuilds every record from the entries alone.
 *
 * (measured) The cost of a LevelDB batch grows with its number of keys far more than with its
 * bytes: 80,000 puts of 13-byte values cost about five times 20,000 puts of 52-byte values. So
 * postings are grouped per 256-entry block and an edge is written once, when it first appears:
 * about 2.5 keys an event instead of 8 in the benchmark's workload (bench/lineage.ts).
 */
import { utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import type { Event } from "../event/index.js";
import type { AppendContributor } from "../log.js";
import type { LevelStore, Put } from "../store/level-store.js";
import {
  decodeBlock,
  decodeEdge,
  type EdgeRecord,
  encodeBlock,
  encodeEdge,
  mergeBlock,
  type Posting,
} from "./blocks.js";
import { forEachEdge, namedAssets } from "./edges.js";
import { scanEntries } from "./entries.js";
import { type IndexedFields, indexedFields } from "./fields.js";
import { type AssetRecord, decodeRecord, encodeRecord, touch } from "./inventory.js";
import {
  assetKey,
  BLOCK,
  blockOf,
  edgeKey,
  FIELDS,
  HOUR,
  INDEX_FORMAT,
  META_INDEX,
  META_INDEXED,
  pad16,
  postingPrefix,
  timeKey,
} from "./keys.js";
import { encryptedStore, indexStatus } from "./status.js";

/** What a builder knows of the stored indexes: inventory records, and edges that exist. */
interface Known {
  records: Map<string, AssetRecord | undefined>;
  /** to → froms */
  edges: Map<string, Set<string>>;
}

/**
 * Builds the index records of contiguous runs of entries. It keeps what it learnt between runs
 * (inventory records, edges that exist), so a rebuild reads each only once.
 *
 * Rules shared by the append path and the rebuild: a stored inventory record or edge record
 * counts only when its first entry is before `from` (the first entry this builder indexes);
 * one at or after it was left by an earlier build of the same entries and is rebuilt. A posting
 * block that already holds entries before the run (a block the previous append left partial)
 * is merged with the new postings.
 */
class Builder {
  readonly #store: LevelStore;
  readonly #from: number;
  /** Read stored records (not in a full rebuild: nothing before `from` = 0 counts). */
  readonly #read: boolean;
  readonly #records: Map<string, AssetRecord | undefined>;
  readonly #edges: Map<string, Set<string>>;

  constructor(store: LevelStore, from: number, known?: Known) {
    this.#store = store;
    this.#from = from;
    this.#read = from > 0;
    this.#records = known?.records ?? new Map();
    this.#edges = known?.edges ?? new Map();
  }

  #hasEdge(from: string, to: string): boolean {
    return this.#edges.get(to)?.has(from) === true;
  }

  #addEdge(from: string, to: string): void {
    const s = this.#edges.get(to);
    if (s === undefined) this.#edges.set(to, new Set([from]));
    else s.add(from);
  }

  async build(entries: ReadonlyArray<{ index: number; event: IndexedFields }>): Promise<Put[]> {
    const start = (entries[0] as { index: number }).index;
    const partial = start % BLOCK === 0 ? -1 : blockOf(start);
    const puts: Put[] = [];
    // The first block, when the previous append left it partial, is merged with what is stored.
    const merge = new Map<string, Posting[]>();

    // Postings are gathered one block at a time, per field and value, so that a key is built
    // once per (value, block), not once per entry.
    const fields = FIELDS.map(() => new Map<string, Posting[]>());
    const [actors, actions, assetsF, controls, outcomes] = fields as [
      Map<string, Posting[]>,
      Map<string, Posting[]>,
      Map<string, Posting[]>,
      Map<string, Posting[]>,
      Map<string, Posting[]>,
    ];
    // Keyed by hour number (ts / 3600000, a small integer), not ms: no number boxing per entry.
    const hours = new Map<number, Posting[]>();
    let block = -1;
    const flushBlock = () => {
      if (block < 0) return;
      const b16 = pad16(block);
      const emit = (key: string, postings: Posting[]) => {
        if (block === partial) merge.set(key, postings);
        else puts.push({ key, value: encodeBlock(block, postings) });
      };
      FIELDS.forEach((field, f) => {
        const m = fields[f] as Map<string, Posting[]>;
        for (const [value, postings] of m) emit(postingPrefix(field, value) + b16, postings);
        m.clear();
      });
      for (const [hour, postings] of hours) emit(timeKey(hour * HOUR, block), postings);
      hours.clear();
    };
    const add = (m: Map<string | number, Posting[]>, value: string | number, p: Posting) => {
      const list = m.get(value);
      if (list === undefined) m.set(value, [p]);
      else list.push(p);
    };

    const newEdges = new Map<string, { from: string; to: string; record: EdgeRecord }>();
    // The entry being indexed, for the callbacks below (allocated once per run, not per entry).
    let entry = (entries[0] as { event: IndexedFields }).event;
    let at = start;
    let post: Posting = { index: start, ts: entry.ts };
    // Inventory: an asset whose record is known is updated at once; one that is not is read
    // first, and its updates wait (in order) until then.
    const touched = new Set<string>();
    const pending = new Map<string, Array<{ index: number; event: IndexedFields }>>();
    const visit = (a: string) => {
      add(assetsF as Map<string | number, Posting[]>, a, post);
      touched.add(a);
      const wait = pending.get(a);
      if (wait !== undefined) wait.push({ index: at, event: entry });
      else if (this.#records.has(a)) {
        const r = this.#records.get(a);
        if (r === undefined) this.#records.set(a, touch(undefined, a, at, entry));
        else touch(r, a, at, entry);
      } else pending.set(a, [{ index: at, event: entry }]);
    };
    const onEdge = (from: string, to: string) => {
      if (this.#hasEdge(from, to)) return;
      const up = edgeKey("up", to, from);
      if (newEdges.has(up)) return;
      const e = entry;
      const record = {
        index: at,
        ts: e.ts,
        action: e.action,
        actor: e.actor.id,
        outcome: e.outcome,
      };
      newEdges.set(up, { from, to, record });
    };
    for (const { index, event: e } of entries) {
      const b = blockOf(index);
      if (b !== block) {
        flushBlock();
        block = b;
      }
      const p: Posting = { index, ts: e.ts };
      add(actors as Map<string | number, Posting[]>, e.actor.id, p);
      add(actions as Map<string | number, Posting[]>, e.action, p);
      add(outcomes as Map<string | number, Posting[]>, e.outcome, p);
      if (e.controls !== undefined) {
        for (const c of e.controls) add(controls as Map<string | number, Posting[]>, c, p);
      }
      add(hours as Map<string | number, Posting[]>, Math.floor(e.ts / HOUR), p);
      // The assets the event names, each once (namedAssets, without its array).
      entry = e;
      at = index;
      post = p;
      const a0 = e.asset;
      if (a0 !== undefined) visit(a0);
      if (e.inputs !== undefined) for (const a of e.inputs) if (a !== a0) visit(a);
      if (e.outputs !== undefined) {
        const ins = e.inputs ?? [];
        const inSet = ins.length > 16 ? new Set(ins) : undefined;
        for (const a of e.outputs) {
          if (a !== a0 && !(inSet === undefined ? ins.includes(a) : inSet.has(a))) visit(a);
        }
      }
      forEachEdge(e, index, onEdge);
    }
    flushBlock();

    // One read for everything stored that this run depends on.
    const assetList = [...pending.keys()];
    const readAssets = this.#read ? assetList : [];
    const edgeList = this.#read ? [...newEdges.keys()] : [];
    const blockList = [...merge.keys()];
    const values = await this.#store.getMany([
      ...readAssets.map(assetKey),
      ...edgeList,
      ...blockList,
    ]);
    let v = 0;
    for (const a of assetList) {
      const r = this.#read ? decodeRecord(a, values[v++]) : undefined;
      this.#records.set(a, r !== undefined && r.first < this.#from ? r : undefined);
    }
    for (const up of edgeList) {
      const stored = values[v++];
      if (stored === undefined) continue;
      const r = decodeEdge(stored);
      if (r === null) throw damaged(`the lineage edge record ${JSON.stringify(up)}`);
      if (r.index < this.#from) {
        const { from, to } = newEdges.get(up) as { from: string; to: string };
        this.#addEdge(from, to);
        newEdges.delete(up);
      }
    }
    for (const key of blockList) {
      const stored = values[v++];
      let postings = merge.get(key) as Posting[];
      if (stored !== undefined) {
        const old = decodeBlock(partial, stored);
        if (old === null) throw damaged(`the index block ${JSON.stringify(key)}`);
        postings = mergeBlock(old, postings);
      }
      puts.push({ key, value: encodeBlock(partial, postings) });
    }

    for (const [up, { from, to, record }] of newEdges) {
      const value = encodeEdge(record);
      puts.push({ key: up, value }, { key: edgeKey("dn", from, to), value });
      this.#addEdge(from, to);
    }
    for (const [a, updates] of pending) {
      let r = this.#records.get(a);
      for (const { index, event } of updates) r = touch(r, a, index, event);
      this.#records.set(a, r);
    }
    for (const a of touched) {
      puts.push({ key: assetKey(a), value: encodeRecord(this.#records.get(a) as AssetRecord) });
    }
    return puts;
  }
}

function damaged(what: string): LogsealError {
  return new LogsealError("E_STORE_CORRUPT", `${what} is damaged: run 'logseal reindex'`);
}

function checkContiguous(entries: ReadonlyArray<{ index: number }>): void {
  entries.forEach((x, i) => {
    if (x.index !== (entries[0] as { index: number }).index + i) {
      throw new RangeError("indexer: entries must be contiguous and ascending");
    }
  });
}

const indexedPut = (size: number): Put => ({ key: META_INDEXED, value: utf8(String(size)) });
const formatPut: Put = { key: META_INDEX, value: utf8(INDEX_FORMAT) };

/**
 * What the append-path indexer learnt from the batches it indexed, per store: valid for the
 * next batch only if that batch starts where the last one ended (else a batch was not written,
 * or something else wrote the indexes in between, and it is dropped).
 * (measured) Without it, reading back the inventory records and edges of each batch took more
 * time than building the batch's index records.
 */
interface Cache extends Known {
  next: number;
}
const caches = new WeakMap<LevelStore, Cache>();
/** Records and edges a cache may hold before it starts afresh. */
const CACHE_LIMIT = 200_000;

/**
 * The indexer for `Log`'s append path, registered by `init` and `open`. `puts` returns the
 * index records of the new entries and the new `meta/indexed`, for the same atomic batch, when
 * the store's indexes are current (or the log is empty and has none yet). When they are missing
 * or behind, it returns nothing and leaves them as they are: `logseal reindex` brings them up
 * to date.
 */
export const lineageIndexer: AppendContributor = {
  name: "lineage",
  async puts(entries, store) {
    const first = entries[0];
    if (first === undefined) return [];
    checkContiguous(entries);
    // Read every time (two keys): `meta/indexed` equal to this batch's start is what proves
    // that the batch the cache was built for was written (only the indexer and a rebuild,
    // which drops the cache, write it); a cache that merely ends where this batch starts could
    // come from a failed batch followed by appends of a writer that does not index.
    const status = await indexStatus(store);
    const fresh = status.format === undefined && status.indexed === 0 && first.index === 0;
    if (!fresh && (status.format !== INDEX_FORMAT || status.indexed !== first.index)) return [];
    let cache = caches.get(store);
    if (cache === undefined || cache.next !== first.index || cacheSize(cache) > CACHE_LIMIT) {
      cache = { next: -1, records: new Map(), edges: new Map() };
      caches.set(store, cache);
    }
    // Building updates the cached records in place: until it has finished, the cache matches
    // no batch, so a build that throws (a read error, a damaged record) leaves it unusable.
    cache.next = -1;
    // The fields it indexes, read from the leaves just encoded when the append path gives them.
    const views = entries.map((e) => ({
      index: e.index,
      event: (e.leaf === undefined ? null : indexedFields(e.leaf)) ?? e.event,
    }));
    const puts = await new Builder(store, first.index, cache).build(views);
    // Valid for the next batch only if this one is written (then the next starts here).
    cache.next = first.index + entries.length;
    puts.push(indexedPut(cache.next));
    if (fresh) puts.push(formatPut);
    return puts;
  },
};

function cacheSize(c: Known): number {
  let n = c.records.size;
  for (const s of c.edges.values()) n += s.size;
  return n;
}

export interface ReindexOptions {
  /**
   * Continue from `meta/indexed` when the indexes are of the current format, instead of
   * rebuilding from entry 0 (default false: rebuild everything).
   */
  resume?: boolean;
  /** Entries per atomic batch, rounded up to a multiple of 256 (default 8192). */
  batch?: number;
  /** Called after each batch. */
  onProgress?: (done: number, total: number) => void;
}

export interface ReindexResult {
  /** The first entry indexed. */
  from: number;
  /** The log size indexed up to. */
  to: number;
  /** Assets whose inventory record was written. */
  assets: number;
}

/**
 * Builds the indexes from the entries: all of them (the default), or those after `meta/indexed`
 * with `resume`. Each batch of entries is written atomically together with the new
 * `meta/indexed`; an interrupted run leaves consistent indexes of a prefix of the log, which a
 * `resume` run completes. A full rebuild lowers `meta/indexed` with its first batch, so queries
 * refuse to answer until it has finished. Do not append to the same log while it runs.
 * @throws LogsealError E_STORE_CORRUPT (an entry that does not decode), E_INDEX_STALE (indexes
 *   of another format), E_IO
 */
export async function reindex(
  log: { readonly store: LevelStore },
  options: ReindexOptions = {},
): Promise<ReindexResult> {
  const store = log.store;
  if (store.encrypted) throw encryptedStore(store);
  // What the append path remembers describes the records this rebuilds: start afresh.
  caches.delete(store);
  const batch = options.batch ?? 8192;
  if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError("reindex: bad batch size");
  const to = store.treeSize;
  const status = await indexStatus(store);
  if (status.format !== undefined && status.format !== INDEX_FORMAT) {
    // A different format may use keys this version does not know and cannot remove.
    throw new LogsealError(
      "E_INDEX_STALE",
      `the store's indexes are of format ${JSON.stringify(status.format)}, which this logseal (${INDEX_FORMAT}) cannot rebuild: use the logseal that wrote them`,
      { details: { format: status.format } },
    );
  }
  const from = options.resume && status.format === INDEX_FORMAT ? Math.min(status.indexed, to) : 0;
  const builder = new Builder(store, from);
  const written = new Set<string>();
  let chunk: Array<{ index: number; event: Event }> = [];
  let done = from;
  const flush = async () => {
    const puts = await builder.build(chunk);
    for (const { event } of chunk) for (const a of namedAssets(event)) written.add(a);
    done += chunk.length;
    puts.push(indexedPut(done), formatPut);
    await store.write(puts);
    chunk = [];
    options.onProgress?.(done, to);
  };
  if (from === to) await store.write([indexedPut(to), formatPut]);
  for await (const entry of scanEntries(store, from, to)) {
    chunk.push(entry);
    // Batches end on block boundaries, so a rebuild never merges into a block it wrote.
    if (chunk.length >= batch && (entry.index + 1) % BLOCK === 0) await flush();
  }
  if (chunk.length > 0) await flush();
  return { from, to, assets: written.size };
}
