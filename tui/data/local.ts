/**
 * The local store as a data source: the log opened through the library (`open`), read by
 * entry bundle (256 entries per read) with a small cache of decoded bundles, filtered through
 * the store's indexes (`query`) where the filter allows it.
 */
import {
  ANNEX_A,
  type ConsistencyProof,
  decodeLeaf,
  type Entry,
  type InclusionProof,
  isLogsealError,
  type LineageGraph,
  type Log,
  lineage,
  parseEntryBundle,
  query,
  type StoredCheckpoint,
  type VerifyReport,
} from "../../src/index.js";
import { BLOCK_ROWS, RowBlocks } from "./blocks.js";
import { type Filter, indexable, predicate } from "./filter.js";
import {
  type ControlCounts,
  type CountOptions,
  type DataSource,
  FOLLOW_MS,
  type Period,
  type Row,
  runVerifier,
  type ScanOptions,
  type ScanResult,
  type VerifyRun,
} from "./source.js";

/** The rows at the tail read ahead of announcing a growth: more than a screen holds. */
const TAIL_ROWS = 200;
/** Rows a query page or a scan batch holds. */
const BATCH = 4096;

/** Why the indexes could not answer, in the words the TUI shows. */
export function staleNote(e: unknown): string | undefined {
  if (isLogsealError(e) && e.code === "E_INDEX_STALE") {
    return "indexes missing or behind: scanning every entry (run 'logseal reindex' for fast filters)";
  }
  return undefined;
}

export class LocalSource implements DataSource {
  readonly kind = "store" as const;
  readonly label: string;
  readonly #log: Log;
  /** Decoded bundles, read by entry bundle. */
  readonly #blocks: RowBlocks;
  /** Whether `close` also closes the log (false when the caller lent it). */
  readonly #owned: boolean;

  constructor(log: Log, options: { owned?: boolean } = {}) {
    this.#log = log;
    this.label = log.dir;
    this.#owned = options.owned ?? true;
    this.#blocks = new RowBlocks(
      (n, want) => this.#readBundle(n, want),
      () => this.#log.size,
    );
  }

  get origin(): string {
    return this.#log.origin;
  }

  get vkey(): string {
    return this.#log.vkey;
  }

  size(): number {
    return this.#log.size;
  }

  follow(onSize: (size: number) => void): () => void {
    let last = this.#log.size;
    let reading = false;
    const timer = setInterval(() => {
      const now = this.#log.size;
      if (now === last || reading) return;
      last = now;
      // The tail's rows are read before the growth is announced, so the list following it
      // draws them in the same frame (announced first, it drew placeholders, read the
      // bundle, and drew again: two frames per tick).
      reading = true;
      this.rows(Math.max(0, now - TAIL_ROWS), TAIL_ROWS).then(
        () => {
          reading = false;
          onSize(now);
        },
        () => {
          reading = false;
          onSize(now);
        },
      );
    }, FOLLOW_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Bundle `n` decoded, its first `want` rows (a bundle may have grown since). */
  async #readBundle(n: number, want: number): Promise<Row[]> {
    const bytes = await this.#log.store.readBundle(n);
    const leaves = bytes === undefined ? null : parseEntryBundle(bytes);
    if (leaves === null || leaves.length < want) {
      throw new Error(`entry bundle ${n} is damaged: run 'logseal verify'`);
    }
    return leaves
      .slice(0, want)
      .map((leaf, i) => ({ index: n * BLOCK_ROWS + i, event: decodeLeaf(leaf) }));
  }

  peek(index: number): Row | undefined {
    return this.#blocks.peek(index);
  }

  rows(start: number, count: number): Promise<Row[]> {
    return this.#blocks.rows(start, count);
  }

  entry(index: number): Promise<Entry> {
    return this.#log.get(index);
  }

  async scan(filter: Filter | undefined, options: ScanOptions): Promise<ScanResult> {
    const from = options.from ?? 0;
    const to = options.to ?? this.#log.size;
    const terms = filter === undefined ? {} : indexable(filter);
    let note: string | undefined;
    // Only a scan from the start can page through `query` (its cursor goes on after an index).
    if (filter !== undefined && from === 0 && (Object.keys(terms).length > 0 || filter.since)) {
      try {
        await this.#viaIndex(filter, terms, to, options);
        return { via: "index" };
      } catch (e) {
        note = staleNote(e);
        if (note === undefined) throw e;
      }
    }
    await this.#linear(filter, from, to, options);
    return note === undefined ? { via: "scan" } : { via: "scan", note };
  }

  async #viaIndex(
    filter: Filter,
    terms: Record<string, string>,
    to: number,
    options: ScanOptions,
  ): Promise<void> {
    const test = predicate(filter);
    let cursor: string | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      const page = await query(this.#log.store, {
        ...terms,
        ...(filter.since === undefined ? {} : { since: filter.since }),
        ...(filter.until === undefined ? {} : { until: filter.until }),
        limit: BATCH,
        ...(cursor === undefined ? {} : { cursor }),
      });
      const hits = page.entries.filter((h) => h.index < to && test(h.event));
      if (hits.length > 0) options.onRows(hits);
      const last = page.entries.at(-1)?.index ?? to;
      options.onProgress?.({ done: Math.min(last + 1, to), total: to });
      if (!page.more || last >= to - 1) break;
      cursor = page.cursor;
    }
    options.onProgress?.({ done: to, total: to });
  }

  async #linear(
    filter: Filter | undefined,
    from: number,
    to: number,
    options: ScanOptions,
  ): Promise<void> {
    const test = predicate(filter);
    let batch: Row[] = [];
    let n = Math.floor(from / BLOCK_ROWS);
    const last = Math.ceil(to / BLOCK_ROWS);
    for await (const { index, bytes } of this.#log.store.bundles(n, last)) {
      options.signal?.throwIfAborted();
      const leaves = parseEntryBundle(bytes);
      if (leaves === null)
        throw new Error(`entry bundle ${index} is damaged: run 'logseal verify'`);
      for (let i = 0; i < leaves.length; i++) {
        const at = index * BLOCK_ROWS + i;
        if (at < from || at >= to) continue;
        const event = decodeLeaf(leaves[i] as Uint8Array);
        if (test(event)) batch.push({ index: at, event });
      }
      n = index + 1;
      if (batch.length >= BATCH || n % 16 === 0) {
        if (batch.length > 0) options.onRows(batch);
        batch = [];
        options.onProgress?.({ done: Math.min(n * BLOCK_ROWS, to), total: to });
        // Let the UI draw between slices of work.
        await new Promise((r) => setImmediate(r));
      }
    }
    if (batch.length > 0) options.onRows(batch);
    options.onProgress?.({ done: to, total: to });
  }

  checkpoints(): Promise<StoredCheckpoint[]> {
    return this.#log.listCheckpoints();
  }

  latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.#log.latestCheckpoint();
  }

  proveInclusion(index: number, size?: number): Promise<InclusionProof> {
    return this.#log.proveInclusion(index, size);
  }

  proveConsistency(from: number, to?: number): Promise<ConsistencyProof> {
    return this.#log.proveConsistency(from, to);
  }

  verify(run: VerifyRun): Promise<VerifyReport> {
    return runVerifier(this.#log.store, run);
  }

  lineage(asset: string, direction: "up" | "down" | "both"): Promise<LineageGraph> {
    return lineage(this.#log.store, asset, { direction });
  }

  async controlCounts(period: Period, options: CountOptions): Promise<ControlCounts> {
    const counts = new Map<string, number>();
    const capped = new Set<string>();
    try {
      let done = 0;
      for (const c of ANNEX_A) {
        options.signal?.throwIfAborted();
        const page = await query(this.#log.store, {
          control: c.id,
          ...period,
          limit: options.cap,
        });
        if (page.entries.length > 0) counts.set(c.id, page.entries.length);
        if (page.more) capped.add(c.id);
        options.onProgress?.({ done: ++done, total: ANNEX_A.length });
      }
      return { counts, capped, via: { via: "index" as const } };
    } catch (e) {
      const note = staleNote(e);
      if (note === undefined) throw e;
      counts.clear();
      capped.clear();
      const filter: Filter = { text: "", terms: [], ...period };
      await this.#linear(filter, 0, this.#log.size, {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        onRows: (rows) => tally(rows, counts),
      });
      return { counts, capped, via: { via: "scan" as const, note } };
    }
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#log.close();
  }
}

/** Adds each row's controls to `counts`. */
export function tally(rows: readonly Row[], counts: Map<string, number>): void {
  for (const r of rows) {
    for (const c of r.event.controls ?? []) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
}
