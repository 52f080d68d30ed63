/**
 * The indexer: turns entries into the index records of formats/lineage.md (lineage edges both
 * ways, field and time posting records, the first-seen record of each asset) as puts for the
 * same atomic batch as the entries, and rebuilds them all from the entries for stores written
 * before indexes existed or with indexes of an earlier format.
 *
 * The indexes are derived data. Only the entries are covered by the Merkle tree; an answer that
 * must be trusted carries each cited entry's inclusion proof (`lineageProofs`), and `reindex`
 * rebuilds every record from the entries alone.
 *
 * (measured) The cost of a LevelDB batch grows with its number of keys far more than with its
 * bytes, and building many small records costs more than writing them. `logseal-index/1` wrote
 * one record per (field value, 256-entry block) and one inventory record per asset an append
 * named: 1.3–3.1 records an event, and the indexed append ran at 16–19% of the plain one
 * (bench/lineage.ts). `logseal-index/2` wrote one record per (field, value bucket) and one
 * inventory delta per append: 0.35 of the plain append. This format keeps no per-append
 * inventory at all (the inventory is read from the asset postings), and the builder works on
 * dictionary ids ({@link Dict}) instead of strings.
 */
import { utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import type { AppendContributor, NewRecords } from "../log.js";
import type { LevelStore, Put } from "../store/level-store.js";
import { ByteWriter, decodeEdge, encodeEdge, writeGroup, writePostings } from "./blocks.js";
import { Dict, IS_DENIED, IS_ERASE, IS_SUCCESS } from "./dict.js";
import { assetKind, MAX_PRODUCT, namedAssets } from "./edges.js";
import { type IndexedEntry, scanEntries } from "./entries.js";
import { type IndexedFields, LeafIds, readLeaf } from "./fields.js";
import { decodeRecord, encodeRecord } from "./inventory.js";
import {
  assetKey,
  BUCKETS,
  edgeKey,
  FIELDS,
  type Field,
  HOUR,
  INDEX_FORMAT,
  INDEX_RANGE,
  META_INDEX,
  META_INDEXED,
  postingKey,
  REBUILDABLE_FORMATS,
  SEGMENT,
  timeKey,
} from "./keys.js";
import { FieldPostings } from "./postings.js";
import { encryptedStore, indexStatus } from "./status.js";

const writer = new ByteWriter();
const fieldPostings = FIELDS.map(() => new FieldPostings());
const leafIds = new LeafIds();
/** Edge keys are `from * EDGE_SHIFT + to` over dictionary ids, below 2^53 while ids stay below it. */
const EDGE_SHIFT = 2 ** 26;

/** What a builder knows of the stored indexes, from `from` on. */
interface Known {
  /** The first entry this knowledge was built from: stored records of entries before it count. */
  from: number;
  dict: Dict;
  /** Edges that have a record, as `from * EDGE_SHIFT + to` of dictionary ids. */
  edges: Set<number>;
  /** Batches built (stamps in `dict.mark`). */
  batches: number;
}

const newKnown = (from: number): Known => ({
  from,
  dict: new Dict(),
  edges: new Set(),
  batches: 0,
});

/** Dictionary entries and edges a builder may hold before it starts afresh (at a batch start). */
const KNOWN_LIMIT = 200_000;
const knownSize = (k: Known): number => k.dict.size + k.edges.size;

/** An entry to index: its leaf when the caller has it (read in place), else its event. */
interface Source {
  readonly leaf?: Uint8Array | undefined;
  readonly event: IndexedFields;
}

/** A new edge: dictionary ids of its ends and of the creating entry's fields. */
interface NewEdge {
  from: number;
  to: number;
  index: number;
  ts: number;
  action: number;
  actor: number;
  outcome: number;
}

/**
 * Builds the index records of contiguous runs of entries. It keeps what it learnt between runs
 * (which assets have a record, which edges exist), so that a rebuild reads each only once.
 *
 * A stored inventory record or edge record counts only when its first entry is before
 * `known.from` (the first entry this knowledge was built from): one at or after it would be a
 * leftover of an earlier build of the same entries, and is rebuilt.
 */
class Builder {
  readonly #store: LevelStore;
  #known: Known;
  // Shared by every builder: each record is written and taken in one synchronous run.
  readonly #w = writer;
  readonly #fields = fieldPostings;
  readonly #ids = leafIds;

  /** Per build: the edges no earlier entry asserted, as far as this builder knows. */
  #newEdges = new Map<number, NewEdge>();
  /** Per build: (entry, asset id) pairs of successful erasures (rare), for `erasedAt`. */
  #erasures: number[] = [];
  /** Per build: the entries' leaves laid out by the append path, when it gives them. */
  #records: NewRecords | undefined;

  constructor(store: LevelStore, known: Known) {
    this.#store = store;
    this.#known = known;
  }

  /** Records edge from → to of entry `index` unless it is known or already new. */
  #edge(from: number, to: number, index: number): void {
    const key = from * EDGE_SHIFT + to;
    if (this.#known.edges.has(key) || this.#newEdges.has(key)) return;
    const x = this.#ids;
    this.#newEdges.set(key, {
      from,
      to,
      index,
      ts: x.ts,
      action: x.action,
      actor: x.actor,
      outcome: x.outcome,
    });
  }

  /**
   * The edges of the entry in `#ids` (formats/lineage.md, "Edges"): the rules of edges.ts's
   * `forEachEdge` on dictionary ids; keep the two in step.
   */
  #edges(index: number): void {
    const x = this.#ids;
    const ins = x.inputs;
    const outs = x.outputs;
    const nIn = x.nInputs;
    const nOut = x.nOutputs;
    const a = x.asset;
    let middle = -1;
    if (a >= 0 && !includes(ins, nIn, a) && !includes(outs, nOut, a)) middle = a;
    else if (nIn * nOut > MAX_PRODUCT) middle = this.#known.dict.id(`entry:${index}`);
    if (middle >= 0) {
      for (let i = 0; i < nIn; i++) this.#edge(ins[i] as number, middle, index);
      for (let o = 0; o < nOut; o++) this.#edge(middle, outs[o] as number, index);
      return;
    }
    for (let i = 0; i < nIn; i++) {
      const from = ins[i] as number;
      for (let o = 0; o < nOut; o++) {
        const to = outs[o] as number;
        if (from !== to) this.#edge(from, to, index);
      }
    }
  }

  /**
   * Posting and time records of `n` entries of `entries` from offset `at` (one segment); each
   * asset not known to have a record, named for the first time in this batch, added to `fresh`
   * with its first entry and ts (in the dictionary).
   */
  #segment(
    entries: ReadonlyArray<Source>,
    start: number,
    at: number,
    n: number,
    puts: Put[],
    fresh: number[],
  ): void {
    const seg = start + at;
    const { dict, batches: batch } = this.#known;
    const fields = this.#fields;
    for (const f of fields) f.reset();
    const [actors, actions, assetsF, controls, outcomes] = fields as [
      FieldPostings,
      FieldPostings,
      FieldPostings,
      FieldPostings,
      FieldPostings,
    ];
    const x = this.#ids;
    const records = this.#records;
    const flags = dict.flags;
    const erasures = this.#erasures;
    // Keyed by hour number (ts / 3600000, a small integer), not ms: no number boxing per entry.
    const hours = new Map<number, number[]>();
    let hour = -1;
    let hourList: number[] = [];
    for (let k = at; k < at + n; k++) {
      const index = start + k;
      let read = false;
      if (records !== undefined) {
        const ends = records.ends;
        // Record k: uint16_be(len) ‖ leaf.
        read = readLeaf(
          records.bytes,
          (k === 0 ? 0 : (ends[k - 1] as number)) + 2,
          ends[k] as number,
          dict,
          x,
        );
      } else {
        const leaf = (entries[k] as Source).leaf;
        read = leaf !== undefined && readLeaf(leaf, 0, leaf.length, dict, x);
      }
      if (!read) x.fromEvent((entries[k] as Source).event, dict);
      const ts = x.ts;
      actors.add(x.actor, index, ts);
      actions.add(x.action, index, ts);
      outcomes.add(x.outcome, index, ts);
      for (let c = 0; c < x.nControls; c++) controls.add(x.controls[c] as number, index, ts);
      const h = Math.floor(ts / HOUR);
      if (h !== hour) {
        hour = h;
        const list = hours.get(h);
        if (list === undefined) {
          hourList = [];
          hours.set(h, hourList);
        } else hourList = list;
      }
      hourList.push(index, ts);
      // The assets the event names, each once (namedAssets, without its array).
      if (x.asset >= 0) named(dict, assetsF, fresh, batch, x.asset, index, ts);
      for (let i = 0; i < x.nInputs; i++) {
        named(dict, assetsF, fresh, batch, x.inputs[i] as number, index, ts);
      }
      for (let i = 0; i < x.nOutputs; i++) {
        named(dict, assetsF, fresh, batch, x.outputs[i] as number, index, ts);
      }
      const outcome = flags[x.outcome] as number;
      if ((outcome & IS_DENIED) === 0 && x.nInputs + x.nOutputs > 0) this.#edges(index);
      if ((flags[x.action] as number) & IS_ERASE && outcome & IS_SUCCESS) {
        if (x.asset >= 0) erasures.push(index, x.asset);
        for (let i = 0; i < x.nInputs; i++) erasures.push(index, x.inputs[i] as number);
        for (let i = 0; i < x.nOutputs; i++) erasures.push(index, x.outputs[i] as number);
      }
    }
    for (const f of fields) f.group();
    const w = this.#w;
    const bucketOfId = dict.bucket;
    for (let f = 0; f < FIELDS.length; f++) {
      const field = FIELDS[f] as Field;
      const m = fields[f] as FieldPostings;
      const gids = m.gids;
      if (gids.length === 0) continue;
      const buckets: number[][] = [];
      for (let v = 0; v < gids.length; v++) {
        const b = bucketOfId[gids[v] as number] as number;
        const list = buckets[b];
        if (list === undefined) buckets[b] = [v];
        else list.push(v);
      }
      const values = dict.values;
      for (let b = 0; b < BUCKETS; b++) {
        const ids = buckets[b];
        if (ids === undefined) continue;
        if (ids.length > 1) {
          ids.sort((x, y) => {
            const p = values[gids[x] as number] as string;
            const q = values[gids[y] as number] as string;
            return p < q ? -1 : p > q ? 1 : 0;
          });
        }
        for (const v of ids) writeGroup(w, seg, m, v, dict.bytes[gids[v] as number] as Uint8Array);
        puts.push({ key: postingKey(field, b, seg), value: w.take() });
      }
    }
    for (const [hour, list] of hours) {
      writePostings(w, seg, list);
      puts.push({ key: timeKey(hour * HOUR, seg), value: w.take() });
    }
  }

  /** Starts afresh at entry `from`: stored records of entries before it count from now on. */
  renew(from: number): void {
    this.#known = newKnown(from);
  }

  get known(): Known {
    return this.#known;
  }

  /**
   * The puts of `entries`, entries `start` … (contiguous, starting at `known.from` for the
   * first call and where the previous call ended after that), read from `records` when given.
   */
  async build(entries: ReadonlyArray<Source>, start: number, records?: NewRecords): Promise<Put[]> {
    const known = this.#known;
    this.#records = records?.ends.length === entries.length ? records : undefined;
    const dict = known.dict;
    ++known.batches;
    const puts: Put[] = [];

    const newEdges = new Map<number, NewEdge>();
    this.#newEdges = newEdges;
    const erasures: number[] = [];
    this.#erasures = erasures;
    const fresh: number[] = [];
    for (let k = 0; k < entries.length; k += SEGMENT) {
      this.#segment(entries, start, k, Math.min(SEGMENT, entries.length - k), puts, fresh);
    }
    if (dict.size >= EDGE_SHIFT) throw new RangeError("indexer: too many distinct values");
    const values = dict.values;

    // The edges and the assets not known to have a record (none once a cache is warm).
    const read = known.from > 0;
    const edgeKeys = read ? [...newEdges.keys()] : [];
    const edgeRead = this.#store.getMany(
      edgeKeys.map((k) => {
        const x = newEdges.get(k) as NewEdge;
        return edgeKey("up", values[x.to] as string, values[x.from] as string);
      }),
    );
    edgeRead.catch(() => {}); // awaited below; this only keeps a throw in between from orphaning it
    /** Assets whose record is written by this batch: new, or first erased. */
    const dirty = new Set<number>();
    const stored = await this.#store.getMany(
      read ? fresh.map((g) => assetKey(values[g] as string)) : [],
    );
    for (let k = 0; k < fresh.length; k++) {
      const g = fresh[k] as number;
      const r = read ? decodeRecord(values[g] as string, stored[k]) : undefined;
      dict.known[g] = 1;
      if (r !== undefined && r.first < known.from) {
        dict.first[g] = r.first;
        dict.firstTs[g] = r.firstTs;
        dict.erasedAt[g] = r.erasedAt ?? -1;
      } else {
        // first and firstTs were set when the batch first named it.
        dict.erasedAt[g] = -1;
        dirty.add(g);
      }
    }
    const edgeValues = await edgeRead;
    for (let k = 0; k < edgeKeys.length; k++) {
      const v = edgeValues[k];
      if (v === undefined) continue;
      const key = edgeKeys[k] as number;
      const r = decodeEdge(v);
      if (r === null) {
        const { from, to } = newEdges.get(key) as NewEdge;
        const at = edgeKey("up", values[to] as string, values[from] as string);
        throw damaged(`the lineage edge record ${JSON.stringify(at)}`);
      }
      if (r.index < known.from) {
        known.edges.add(key);
        newEdges.delete(key);
      }
    }
    for (const [key, e] of newEdges) {
      const from = values[e.from] as string;
      const to = values[e.to] as string;
      const value = encodeEdge({
        index: e.index,
        ts: e.ts,
        action: values[e.action] as string,
        actor: values[e.actor] as string,
        outcome: values[e.outcome] as string,
      });
      puts.push({ key: edgeKey("up", to, from), value }, { key: edgeKey("dn", from, to), value });
      known.edges.add(key);
    }
    for (let k = 0; k < erasures.length; k += 2) {
      const index = erasures[k] as number;
      const g = erasures[k + 1] as number;
      if ((dict.erasedAt[g] as number) >= 0) continue;
      dict.erasedAt[g] = index;
      dirty.add(g);
    }
    for (const g of dirty) {
      const asset = values[g] as string;
      const erasedAt = dict.erasedAt[g] as number;
      puts.push({
        key: assetKey(asset),
        value: encodeRecord({
          asset,
          kind: assetKind(asset),
          first: dict.first[g] as number,
          firstTs: dict.firstTs[g] as number,
          erased: erasedAt >= 0,
          ...(erasedAt >= 0 ? { erasedAt } : {}),
        }),
      });
    }
    return puts;
  }
}

function includes(list: Int32Array, n: number, id: number): boolean {
  for (let i = 0; i < n; i++) if (list[i] === id) return true;
  return false;
}

/** Adds asset `g` of entry `index` to the asset postings, once an event. */
function named(
  dict: Dict,
  assets: FieldPostings,
  fresh: number[],
  batch: number,
  g: number,
  index: number,
  ts: number,
): void {
  if (dict.event[g] === index + 1) return;
  dict.event[g] = index + 1;
  if (dict.known[g] === 0 && dict.batch[g] !== batch) {
    // Not known to have a record, and named for the first time in this batch.
    dict.batch[g] = batch;
    dict.first[g] = index;
    dict.firstTs[g] = ts;
    fresh.push(g);
  }
  assets.add(g, index, ts);
}

function damaged(what: string): LogsealError {
  return new LogsealError("E_STORE_CORRUPT", `${what} is damaged: run 'logseal reindex'`);
}

function checkContiguous(entries: ReadonlyArray<{ index: number }>): void {
  const first = (entries[0] as { index: number }).index;
  for (let i = 1; i < entries.length; i++) {
    if ((entries[i] as { index: number }).index !== first + i) {
      throw new RangeError("indexer: entries must be contiguous and ascending");
    }
  }
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
interface Cache {
  next: number;
  known: Known;
}
const caches = new WeakMap<LevelStore, Cache>();

/**
 * The indexer for `Log`'s append path, registered by `init` and `open`. `puts` returns the
 * index records of the new entries and the new `meta/indexed`, for the same atomic batch, when
 * the store's indexes are current (or the log is empty and has none yet). When they are missing
 * or behind, it returns nothing and leaves them as they are: `logseal reindex` brings them up
 * to date.
 */
export const lineageIndexer: AppendContributor = {
  name: "lineage",
  async puts(entries, store, records) {
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
    if (cache === undefined || cache.next !== first.index || knownSize(cache.known) > KNOWN_LIMIT) {
      cache = { next: -1, known: newKnown(first.index) };
      caches.set(store, cache);
    }
    // Building updates what the cache knows in place: until it has finished, the cache matches
    // no batch, so a build that throws (a read error, a damaged record) leaves it unusable.
    cache.next = -1;
    // The fields it indexes are read from the leaves just encoded, in place.
    const puts = await new Builder(store, cache.known).build(entries, first.index, records);
    // Valid for the next batch only if this one is written (then the next starts here).
    cache.next = first.index + entries.length;
    puts.push(indexedPut(cache.next));
    if (fresh) puts.push(formatPut);
    return puts;
  },
};

export interface ReindexOptions {
  /**
   * Continue from `meta/indexed` when the indexes are of the current format, instead of
   * rebuilding from entry 0 (default false: rebuild everything).
   */
  resume?: boolean;
  /** Entries per atomic batch (default 16384). */
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
 * with `resume`. A full rebuild first lowers `meta/indexed` to 0, so queries refuse to answer
 * until it has finished, and removes every index record (those of `logseal-index/1` included).
 * Each batch of entries is then written atomically together with the new `meta/indexed`; an
 * interrupted run leaves consistent indexes of a prefix of the log, which a `resume` run
 * completes. Do not append to the same log while it runs.
 * @throws LogsealError E_STORE_CORRUPT (an entry that does not decode), E_INDEX_STALE (indexes
 *   of a format this logseal cannot rebuild), E_IO
 */
export async function reindex(
  log: { readonly store: LevelStore },
  options: ReindexOptions = {},
): Promise<ReindexResult> {
  const store = log.store;
  if (store.encrypted) throw encryptedStore(store);
  // What the append path remembers describes the records this rebuilds: start afresh.
  caches.delete(store);
  const batch = options.batch ?? SEGMENT;
  if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError("reindex: bad batch size");
  const to = store.treeSize;
  const status = await indexStatus(store);
  if (status.format !== undefined && !REBUILDABLE_FORMATS.includes(status.format)) {
    // A different format may use keys this version does not know and cannot remove.
    throw new LogsealError(
      "E_INDEX_STALE",
      `the store's indexes are of format ${JSON.stringify(status.format)}, which this logseal (${INDEX_FORMAT}) cannot rebuild: use the logseal that wrote them`,
      { details: { format: status.format } },
    );
  }
  const from = options.resume && status.format === INDEX_FORMAT ? Math.min(status.indexed, to) : 0;
  if (from === 0) {
    // Records of an earlier build (of this format, cut into other segments, or of another
    // format) would otherwise stay beside the new ones. (`meta/inventory`, which
    // logseal-index/2 kept, stays: this format neither reads nor writes it.) Lowered first: a rebuild stopped
    // during the clear is a rebuild from 0 again.
    await store.write([indexedPut(0), formatPut]);
    await store.clear(INDEX_RANGE);
  }
  const builder = new Builder(store, newKnown(from));
  const written = new Set<string>();
  let chunk: IndexedEntry[] = [];
  let done = from;
  const flush = async () => {
    // Bounded memory: past the limit, what is known is read back from the records written.
    if (knownSize(builder.known) > KNOWN_LIMIT) builder.renew(done);
    const puts = await builder.build(chunk, done);
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
    if (chunk.length >= batch) await flush();
  }
  if (chunk.length > 0) await flush();
  return { from, to, assets: written.size };
}
