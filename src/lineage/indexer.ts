/**
 * The indexer: turns entries into the index records of formats/lineage.md (lineage edges both
 * ways, field and time posting records, the asset inventory) as puts for the same atomic batch
 * as the entries, and rebuilds them all from the entries for stores written before indexes
 * existed or with indexes of the previous format.
 *
 * The indexes are derived data. Only the entries are covered by the Merkle tree; an answer that
 * must be trusted carries each cited entry's inclusion proof (`lineageProofs`), and `reindex`
 * rebuilds every record from the entries alone.
 *
 * (measured) The cost of a LevelDB batch grows with its number of keys far more than with its
 * bytes, and building many small records costs more than writing them. `logseal-index/1` wrote
 * one record per (field value, 256-entry block) and one inventory record per asset an append
 * named: 1.3–3.1 records an event, and the indexed append ran at 16–19% of the plain one
 * (bench/lineage.ts). This format writes per append one record per (field, value bucket) and
 * one inventory delta, and folds the deltas into per-asset records every {@link FOLD} entries.
 */
import { utf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import type { Event } from "../event/index.js";
import type { AppendContributor } from "../log.js";
import type { LevelStore, Put } from "../store/level-store.js";
import {
  ByteWriter,
  decodeDelta,
  decodeEdge,
  type EdgeRecord,
  encodeDelta,
  encodeEdge,
  writeGroup,
  writePostings,
} from "./blocks.js";
import { assetKind, forEachEdge, namedAssets } from "./edges.js";
import { scanEntries } from "./entries.js";
import { type IndexedFields, indexedFields } from "./fields.js";
import { type AssetRecord, decodeRecord, encodeRecord } from "./inventory.js";
import {
  assetKey,
  BUCKETS,
  bucketOf,
  edgeKey,
  FIELDS,
  type Field,
  HOUR,
  INDEX_FORMAT,
  INDEX_RANGE,
  inventoryKey,
  META_INDEX,
  META_INDEXED,
  META_INVENTORY,
  parseInventoryKey,
  postingKey,
  REBUILDABLE_FORMATS,
  SEGMENT,
  timeKey,
} from "./keys.js";
import { FieldPostings } from "./postings.js";
import { encryptedStore, indexStatus, readInventoryMark } from "./status.js";

/**
 * Entries between folds of the inventory deltas into per-asset records: a reader of the whole
 * inventory merges at most this many entries' deltas, and the append path rewrites each asset
 * it named at most once per this many entries.
 */
export const FOLD = 131_072;

const writer = new ByteWriter();
const fieldPostings = FIELDS.map(() => new FieldPostings());

/** What a builder knows of the stored indexes. */
interface Known {
  /** Inventory records as they stand after the entries indexed so far (undefined: no asset). */
  records: Map<string, AssetRecord | undefined>;
  /** to → froms */
  edges: Map<string, Set<string>>;
  /** `meta/inventory`: `x/a/` holds the inventory of the entries below it. */
  folded: number;
  /** True once the deltas after `folded` were read into `records`. */
  loaded: boolean;
}

const newKnown = (): Known => ({
  records: new Map(),
  edges: new Map(),
  folded: 0,
  loaded: false,
});

/**
 * Builds the index records of contiguous runs of entries. It keeps what it learnt between runs
 * (inventory records, edges that exist), so a rebuild reads each only once.
 *
 * A stored inventory record or edge record counts only when its first entry is before `from`
 * (the first entry this builder indexes): one at or after it would be a leftover of an earlier
 * build of the same entries, and is rebuilt.
 */
class Builder {
  readonly #store: LevelStore;
  readonly #from: number;
  readonly #known: Known;
  // Shared by every builder: each record is written and taken in one synchronous run.
  readonly #w = writer;
  readonly #fields = fieldPostings;

  constructor(store: LevelStore, from: number, known: Known) {
    this.#store = store;
    this.#from = from;
    this.#known = known;
  }

  #hasEdge(from: string, to: string): boolean {
    return this.#known.edges.get(to)?.has(from) === true;
  }

  #addEdge(from: string, to: string): void {
    const s = this.#known.edges.get(to);
    if (s === undefined) this.#known.edges.set(to, new Set([from]));
    else s.add(from);
  }

  /** Reads the inventory deltas after the last fold (once per builder state). */
  async #load(): Promise<void> {
    const k = this.#known;
    if (k.loaded) return;
    k.folded = this.#from === 0 ? 0 : await readInventoryMark(this.#store);
    if (k.folded > this.#from) throw damaged("meta/inventory");
    for await (const [key, value] of this.#store.iterate({
      gte: inventoryKey(k.folded),
      lt: inventoryKey(this.#from),
    })) {
      const rows = parseInventoryKey(key) < 0 ? null : decodeDelta(value);
      if (rows === null) throw damaged(`the inventory delta ${JSON.stringify(key)}`);
      for (const r of rows) k.records.set(r.asset, r);
    }
    k.loaded = true;
  }

  /**
   * Posting and time records of `n` entries of `entries` from offset `at` (one segment); the
   * inventory records of the assets they name updated, or (those not known yet) their first and
   * last entry and count added to `seen`; the assets named added to `touched`.
   */
  #segment(
    entries: ReadonlyArray<{ index: number; event: IndexedFields }>,
    at: number,
    n: number,
    puts: Put[],
    seen: Map<string, Seen>,
    touched: string[],
    changed: Set<string>,
  ): void {
    const start = (entries[0] as { index: number }).index;
    const seg = (entries[at] as { index: number }).index;
    const fields = this.#fields;
    for (const f of fields) f.reset();
    const [actors, actions, assetsF, controls, outcomes] = fields as [
      FieldPostings,
      FieldPostings,
      FieldPostings,
      FieldPostings,
      FieldPostings,
    ];
    // Keyed by hour number (ts / 3600000, a small integer), not ms: no number boxing per entry.
    const hours = new Map<number, number[]>();
    let hour = -1;
    let hourList: number[] = [];
    for (let k = at; k < at + n; k++) {
      const { index, event: e } = entries[k] as { index: number; event: IndexedFields };
      const ts = e.ts;
      actors.add(e.actor.id, index, ts);
      actions.add(e.action, index, ts);
      outcomes.add(e.outcome, index, ts);
      if (e.controls !== undefined) for (const c of e.controls) controls.add(c, index, ts);
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
      const a0 = e.asset;
      if (a0 !== undefined) assetsF.add(a0, index, ts);
      if (e.inputs !== undefined) for (const a of e.inputs) if (a !== a0) assetsF.add(a, index, ts);
      if (e.outputs !== undefined) {
        const ins = e.inputs ?? [];
        const inSet = ins.length > 16 ? new Set(ins) : undefined;
        for (const a of e.outputs) {
          if (a !== a0 && !(inSet === undefined ? ins.includes(a) : inSet.has(a))) {
            assetsF.add(a, index, ts);
          }
        }
      }
    }
    for (const f of fields) f.group();
    // The inventory: a known record is updated at once, a new one made; an asset not known
    // yet waits in `seen` for its stored record.
    const records = this.#known.records;
    const assetValues = assetsF.values;
    for (let v = 0; v < assetValues.length; v++) {
      const a = assetValues[v] as string;
      touched.push(a);
      const lp = assetsF.lastPos(v);
      const last = assetsF.index[lp] as number;
      const lastTs = assetsF.ts[lp] as number;
      const events = assetsF.count(v);
      const r = records.get(a);
      if (r !== undefined) {
        r.last = last;
        r.lastTs = lastTs;
        r.events += events;
        r.lastActor = (entries[last - start] as { event: IndexedFields }).event.actor.id;
        continue;
      }
      const fp = assetsF.firstPos(v);
      if (records.has(a)) {
        records.set(a, {
          asset: a,
          kind: assetKind(a),
          first: assetsF.index[fp] as number,
          firstTs: assetsF.ts[fp] as number,
          last,
          lastTs,
          events,
          lastActor: (entries[last - start] as { event: IndexedFields }).event.actor.id,
          erased: false,
        });
        changed.add(a);
        continue;
      }
      const s = seen.get(a);
      if (s === undefined) {
        seen.set(a, {
          first: assetsF.index[fp] as number,
          firstTs: assetsF.ts[fp] as number,
          last,
          lastTs,
          events,
        });
      } else {
        s.last = last;
        s.lastTs = lastTs;
        s.events += events;
      }
    }
    const w = this.#w;
    for (let f = 0; f < FIELDS.length; f++) {
      const field = FIELDS[f] as Field;
      const m = fields[f] as FieldPostings;
      if (m.values.length === 0) continue;
      const buckets: number[][] = [];
      for (let v = 0; v < m.values.length; v++) {
        const b = bucketOf(m.values[v] as string);
        const list = buckets[b];
        if (list === undefined) buckets[b] = [v];
        else list.push(v);
      }
      for (let b = 0; b < BUCKETS; b++) {
        const ids = buckets[b];
        if (ids === undefined) continue;
        if (ids.length > 1) {
          ids.sort((x, y) => {
            const p = m.values[x] as string;
            const q = m.values[y] as string;
            return p < q ? -1 : p > q ? 1 : 0;
          });
        }
        for (const v of ids) writeGroup(w, seg, m, v);
        puts.push({ key: postingKey(field, b, seg), value: w.take() });
      }
    }
    for (const [hour, list] of hours) {
      writePostings(w, seg, list);
      puts.push({ key: timeKey(hour * HOUR, seg), value: w.take() });
    }
  }

  /**
   * The puts of `entries` (contiguous, ascending, starting at `from` for the first call and
   * where the previous call ended after that).
   * @param fold fold the inventory into per-asset records: always (a rebuild) or when due
   */
  async build(
    entries: ReadonlyArray<{ index: number; event: IndexedFields }>,
    fold: "always" | "due",
  ): Promise<Put[]> {
    await this.#load();
    const known = this.#known;
    const start = (entries[0] as { index: number }).index;
    const end = start + entries.length;
    const puts: Put[] = [];
    // (measured) The inventory is updated once per asset and batch, from its postings, not
    // once per event naming it: that per-event update was a third of the build's time.
    const seen = new Map<string, Seen>();
    const touched: string[] = [];
    /** Assets that had no record before this run, or were first erased in it. */
    const changed = new Set<string>();

    const newEdges = new Map<string, { from: string; to: string; record: EdgeRecord }>();
    /** Entries of successful erasures (rare), for the inventory's `erasedAt`. */
    const erasures: number[] = [];
    let at = start;
    let entry = (entries[0] as { event: IndexedFields }).event;
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
      if (e.action === "data.erase" && e.outcome === "success") erasures.push(index);
      if (e.inputs === undefined && e.outputs === undefined) continue;
      entry = e;
      at = index;
      forEachEdge(e, index, onEdge);
    }

    // The edges not known yet are read on LevelDB's threads while this one builds the
    // postings; then the inventory records not known yet (none once a cache is warm).
    const read = this.#from > 0;
    const edgeList = read ? [...newEdges.keys()] : [];
    const edgeRead = this.#store.getMany(edgeList);
    edgeRead.catch(() => {}); // awaited below; this only keeps a throw in between from orphaning it
    for (let at = 0; at < entries.length; at += SEGMENT) {
      const n = Math.min(SEGMENT, entries.length - at);
      this.#segment(entries, at, n, puts, seen, touched, changed);
    }
    const records = known.records;
    const unknown: string[] = [];
    for (const a of seen.keys()) if (!records.has(a)) unknown.push(a);
    const assetValues = await this.#store.getMany(read ? unknown.map(assetKey) : []);
    unknown.forEach((a, k) => {
      const r = read ? decodeRecord(a, assetValues[k]) : undefined;
      records.set(a, r !== undefined && r.first < this.#from ? r : undefined);
    });
    const values = await edgeRead;
    let v = 0;
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
    for (const [up, { from, to, record }] of newEdges) {
      const value = encodeEdge(record);
      puts.push({ key: up, value }, { key: edgeKey("dn", from, to), value });
      this.#addEdge(from, to);
    }

    for (const [a, s] of seen) {
      const e = (entries[s.last - start] as { event: IndexedFields }).event;
      const r = records.get(a);
      if (r === undefined) {
        records.set(a, {
          asset: a,
          kind: assetKind(a),
          first: s.first,
          firstTs: s.firstTs,
          last: s.last,
          lastTs: s.lastTs,
          events: s.events,
          lastActor: e.actor.id,
          erased: false,
        });
        changed.add(a);
      } else {
        r.last = s.last;
        r.lastTs = s.lastTs;
        r.events += s.events;
        r.lastActor = e.actor.id;
      }
    }
    for (const index of erasures) {
      for (const a of namedAssets((entries[index - start] as { event: IndexedFields }).event)) {
        const r = records.get(a) as AssetRecord;
        if (r.erased) continue;
        r.erased = true;
        r.erasedAt = index;
        changed.add(a);
      }
    }

    if (fold === "always" || end - known.folded >= FOLD) {
      // Every asset named since the last fold (its latest record is in a delta, or changed
      // now) gets its record.
      for (const [a, r] of records) {
        if (r !== undefined && r.last >= known.folded) {
          puts.push({ key: assetKey(a), value: encodeRecord(r) });
        }
      }
      known.folded = end;
      puts.push({ key: META_INVENTORY, value: utf8(String(end)) });
    } else {
      // A new asset's record, and an erased one's, is written at once: lineage reads `first`
      // and `erasedAt` from `x/a/` alone. The rest waits in the delta until the next fold.
      for (const a of changed) {
        puts.push({ key: assetKey(a), value: encodeRecord(records.get(a) as AssetRecord) });
      }
      const named = entries.length > SEGMENT ? [...new Set(touched)] : touched;
      const rows = named.map((a) => records.get(a) as AssetRecord);
      if (rows.length > 0) {
        puts.push({ key: inventoryKey(start), value: encodeDelta(this.#w, rows) });
      }
    }
    return puts;
  }
}

/** An asset's first and last entry in a batch, and how many entries of it name the asset. */
interface Seen {
  first: number;
  firstTs: number;
  last: number;
  lastTs: number;
  events: number;
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
      cache = { next: -1, ...newKnown() };
      caches.set(store, cache);
    }
    // Building updates the cached records in place: until it has finished, the cache matches
    // no batch, so a build that throws (a read error, a damaged record) leaves it unusable.
    cache.next = -1;
    // The fields it indexes: as the append path wrote them into the leaves when it gives them,
    // else read back from the leaves just encoded, else from the decoded events.
    const views = entries.map((e) => ({
      index: e.index,
      event: e.fields ?? (e.leaf === undefined ? null : indexedFields(e.leaf)) ?? e.event,
    }));
    const puts = await new Builder(store, first.index, cache).build(views, "due");
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
    // format) would otherwise stay beside the new ones. Lowered first: a rebuild stopped
    // during the clear is a rebuild from 0 again.
    await store.write([indexedPut(0), formatPut]);
    await store.clear(INDEX_RANGE);
  }
  const builder = new Builder(store, from, newKnown());
  const written = new Set<string>();
  let chunk: Array<{ index: number; event: Event }> = [];
  let done = from;
  const flush = async () => {
    const puts = await builder.build(chunk, "always");
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
