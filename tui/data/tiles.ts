/**
 * A C2SP tlog-tiles log as a data source: a `logseal export --tiles` directory, or the same
 * layout under an http(s):// prefix (a web server, bucket or CDN, any tlog-tiles server). What
 * DESIGN.md promises: the TUI reads any tlog-tiles log, not only logseal's own store.
 *
 * A tiles log is static files: one checkpoint, hash tiles, entry bundles. So the source reads
 * rows by bundle as the store's does, proves from the tiles, verifies with the same verifier,
 * and follows the log by polling its checkpoint. It has no indexes: filters and control counts
 * read every entry, and lineage needs the store or its server.
 */
import {
  type ConsistencyProof,
  decodeLeaf,
  type Entry,
  type InclusionProof,
  type LineageGraph,
  LogsealError,
  parseEntryBundle,
  proveConsistencyFrom,
  proveInclusionFrom,
  type StoredCheckpoint,
  type TilesOptions,
  TilesReader,
  type VerifyReport,
} from "../../src/index.js";
import { BLOCK_ROWS, RowBlocks } from "./blocks.js";
import { type Filter, predicate } from "./filter.js";
import { tally } from "./local.js";
import {
  type ControlCounts,
  type CountOptions,
  type DataSource,
  type Period,
  type Row,
  runVerifier,
  type ScanOptions,
  type ScanResult,
  type VerifyRun,
} from "./source.js";

const WIDTH = BLOCK_ROWS;
/** Rows a scan batch holds before it is handed to the screen. */
const BATCH = 4096;
/** Bundles a scan reads ahead over HTTP (each a round trip). */
const READ_AHEAD = 8;
/**
 * How often the checkpoint is fetched again to follow a growing log: tiles logs publish a new
 * checkpoint every few seconds at most (a logseal server signs every 5 s by default).
 */
export const TILES_POLL_MS = 2000;

const NO_INDEX = "a tiles log has no indexes: every entry was read";

export class TilesSource implements DataSource {
  readonly kind = "tiles" as const;
  readonly label: string;
  readonly origin: string;
  /** A tiles log names no key of its own: the keys are the ones the user pins. */
  readonly vkey = "";
  readonly #options: TilesOptions;
  #reader: TilesReader;
  #size: number;
  /** Decoded bundles, as the other sources keep them. */
  readonly #blocks: RowBlocks;

  private constructor(location: string, reader: TilesReader, size: number, options: TilesOptions) {
    this.label = location;
    this.#reader = reader;
    this.origin = reader.origin;
    this.#size = size;
    this.#options = options;
    this.#blocks = new RowBlocks(
      async (n, want) =>
        (await this.#leaves(n))
          .slice(0, want)
          .map((leaf, i) => ({ index: n * BLOCK_ROWS + i, event: decodeLeaf(leaf) })),
      () => this.#size,
    );
  }

  /**
   * Opens the tiles log at `location` (a directory or an http(s):// prefix).
   * @throws LogsealError as {@link TilesReader.open}
   */
  static async open(location: string, options: TilesOptions = {}): Promise<TilesSource> {
    const reader = await TilesReader.open(location, options);
    return new TilesSource(location, reader, await reader.size(), options);
  }

  size(): number {
    return this.#size;
  }

  follow(onSize: (size: number) => void): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      TilesReader.open(this.label, this.#options)
        .then(async (next) => {
          const size = await next.size();
          // A log only grows; another origin or a smaller tree is not this log's next state
          // (verify says what is wrong with it), so the source keeps what it has.
          if (next.origin !== this.origin || size <= this.#size) return;
          this.#reader = next;
          this.#size = size;
          await this.rows(Math.max(0, size - 200), 200).catch(() => []);
          onSize(size);
        })
        .catch(() => {
          // Unreachable for a moment: the next poll tries again.
        })
        .finally(() => {
          busy = false;
        });
    }, TILES_POLL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The leaves of bundle `n` up to the current size. */
  async #leaves(n: number): Promise<Uint8Array[]> {
    const want = Math.min(WIDTH, this.#size - n * WIDTH);
    const bytes = await this.#reader.readBundle(n);
    const leaves = bytes === undefined ? null : parseEntryBundle(bytes);
    if (leaves === null || leaves.length < want) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        `entry bundle ${n} of ${this.label} is missing or damaged: run 'logseal verify --tiles ${this.label}'`,
        { details: { bundle: n } },
      );
    }
    return leaves.slice(0, want);
  }

  peek(index: number): Row | undefined {
    return this.#blocks.peek(index);
  }

  rows(start: number, count: number): Promise<Row[]> {
    return this.#blocks.rows(start, count);
  }

  async entry(index: number): Promise<Entry> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#size) {
      throw new LogsealError("E_INDEX_RANGE", `no entry ${index}: the log holds ${this.#size}`);
    }
    const leaf = (await this.#leaves(Math.floor(index / WIDTH)))[index % WIDTH] as Uint8Array;
    return { index, leaf, event: decodeLeaf(leaf) };
  }

  async scan(filter: Filter | undefined, options: ScanOptions): Promise<ScanResult> {
    const from = options.from ?? 0;
    const to = options.to ?? this.#size;
    const test = predicate(filter);
    let batch: Row[] = [];
    const first = Math.floor(from / WIDTH);
    const last = Math.ceil(to / WIDTH);
    // Bundles are requested a few ahead: over HTTP each one is a round trip.
    const ahead: Array<Promise<Uint8Array[]>> = [];
    for (let n = first; n < last; n++) {
      while (ahead.length < READ_AHEAD && n + ahead.length < last) {
        const p = this.#leaves(n + ahead.length);
        p.catch(() => {}); // awaited in turn below
        ahead.push(p);
      }
      options.signal?.throwIfAborted();
      const leaves = await (ahead.shift() as Promise<Uint8Array[]>);
      for (let i = 0; i < leaves.length; i++) {
        const at = n * WIDTH + i;
        if (at < from || at >= to) continue;
        const event = decodeLeaf(leaves[i] as Uint8Array);
        if (test(event)) batch.push({ index: at, event });
      }
      if (batch.length >= BATCH || (n + 1) % 16 === 0) {
        if (batch.length > 0) options.onRows(batch);
        batch = [];
        options.onProgress?.({ done: Math.min((n + 1) * WIDTH, to), total: to });
        await new Promise((r) => setImmediate(r));
      }
    }
    if (batch.length > 0) options.onRows(batch);
    options.onProgress?.({ done: to, total: to });
    return filter === undefined ? { via: "scan" } : { via: "scan", note: NO_INDEX };
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    const all: StoredCheckpoint[] = [];
    for await (const c of this.#reader.checkpoints()) all.push(c);
    return all;
  }

  latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.#reader.latestCheckpoint();
  }

  proveInclusion(index: number, size?: number): Promise<InclusionProof> {
    return proveInclusionFrom(this.#reader, index, size);
  }

  proveConsistency(from: number, to?: number): Promise<ConsistencyProof> {
    return proveConsistencyFrom(this.#reader, from, to);
  }

  verify(run: VerifyRun): Promise<VerifyReport> {
    return runVerifier(this.#reader, run);
  }

  async lineage(): Promise<LineageGraph> {
    throw new LogsealError(
      "E_USAGE",
      "a tiles log has no lineage index: open the store (--store) or its server (--server) for lineage",
    );
  }

  async controlCounts(period: Period, options: CountOptions): Promise<ControlCounts> {
    const counts = new Map<string, number>();
    const filter: Filter = { text: "", terms: [], ...period };
    await this.scan(filter, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      onRows: (rows) => tally(rows, counts),
    });
    return {
      counts,
      capped: new Set<string>(),
      via: { via: "scan" as const, note: NO_INDEX },
    };
  }

  async close(): Promise<void> {}
}
