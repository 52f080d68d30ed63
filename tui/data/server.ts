/**
 * A logseal server as a data source, through its HTTP API (formats/http-api.md): rows and the
 * live tail from `GET /v1/stream`, filters from `GET /v1/events` (the server answers the exact
 * positive terms it knows; the rest are checked here), proofs from `/v1/proof/…`, and the
 * verifier reading the C2SP tiles the server publishes for its latest checkpoint.
 */
import {
  type ConsistencyProof,
  type Entry,
  entriesPath,
  fromBase64,
  type InclusionProof,
  isLogsealError,
  type LineageGraph,
  type LogClient,
  type LogReader,
  LogsealError,
  type StoredCheckpoint,
  TILE_WIDTH,
  tilePath,
  type VerifyReport,
} from "../../src/index.js";
import { BLOCK_ROWS, RowBlocks } from "./blocks.js";
import { type Filter, predicate } from "./filter.js";
import { tally } from "./local.js";
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

function bytes(b64: string, what: string): Uint8Array {
  const b = fromBase64(b64);
  if (b === null)
    throw new LogsealError("E_SERVER", `the server sent a ${what} that is not base64`);
  return b;
}

export class ServerSource implements DataSource {
  readonly kind = "server" as const;
  readonly label: string;
  readonly origin: string;
  readonly vkey: string;
  readonly #client: LogClient;
  readonly #token: string | undefined;
  #size: number;
  /** Blocks of rows, read through the stream and filled from the live tail. */
  readonly #blocks: RowBlocks;
  readonly #abort = new AbortController();

  private constructor(
    client: LogClient,
    token: string | undefined,
    info: { origin: string; vkey: string; size: number },
  ) {
    this.#client = client;
    this.#token = token;
    this.label = client.url;
    this.origin = info.origin;
    this.vkey = info.vkey;
    this.#size = info.size;
    this.#blocks = new RowBlocks(
      (n, want) => this.#streamRange(n * BLOCK_ROWS, n * BLOCK_ROWS + want),
      () => this.#size,
    );
  }

  /** Connects: reads `GET /v1/log` (so a bad URL or token fails here, with its code). */
  static async connect(client: LogClient, token?: string): Promise<ServerSource> {
    return new ServerSource(client, token, await client.info());
  }

  size(): number {
    return this.#size;
  }

  follow(onSize: (size: number) => void): () => void {
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, this.#abort.signal]);
    let timer: NodeJS.Timeout | undefined;
    const announce = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        onSize(this.#size);
      }, FOLLOW_MS);
    };
    void (async () => {
      while (!signal.aborted) {
        try {
          for await (const r of this.#client.stream({ from: this.#size, signal })) {
            this.#remember(r);
            if (r.index >= this.#size) this.#size = r.index + 1;
            announce();
          }
        } catch {
          // The stream broke (server restart): try again shortly, from where it stopped.
        }
        if (!signal.aborted) await new Promise((r) => setTimeout(r, 1000).unref());
      }
    })();
    return () => {
      stop.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }

  /**
   * Keeps a streamed row in its block: the tail's blocks fill from the live stream, so a list
   * following the tail never fetches them again (it did, a block of 256 rows per new block,
   * and drew a frame of placeholders before each).
   */
  #remember(r: Row): void {
    const n = Math.floor(r.index / BLOCK_ROWS);
    let block = this.#blocks.get(n);
    if (block === undefined && r.index % BLOCK_ROWS === 0) {
      block = [];
      this.#blocks.put(n, block);
    }
    if (block !== undefined && block.length === r.index % BLOCK_ROWS) block.push(r);
  }

  peek(index: number): Row | undefined {
    return this.#blocks.peek(index);
  }

  /** Entries [from, to) through the stream (the API's way to read from any index on). */
  async #streamRange(from: number, to: number, signal?: AbortSignal): Promise<Row[]> {
    const out: Row[] = [];
    if (from >= to) return out;
    const stop = new AbortController();
    const s = signal === undefined ? stop.signal : AbortSignal.any([stop.signal, signal]);
    for await (const r of this.#client.stream({ from, signal: s })) {
      out.push(r);
      if (r.index + 1 >= to) break;
    }
    stop.abort();
    signal?.throwIfAborted();
    return out;
  }

  rows(start: number, count: number): Promise<Row[]> {
    return this.#blocks.rows(start, count);
  }

  entry(index: number): Promise<Entry> {
    return this.#client.entry(index);
  }

  async scan(filter: Filter | undefined, options: ScanOptions): Promise<ScanResult> {
    const from = options.from ?? 0;
    const to = options.to ?? this.#size;
    const test = predicate(filter);
    if (from > 0) {
      for (let at = from; at < to; at += 4096) {
        const rows = await this.#streamRange(at, Math.min(at + 4096, to), options.signal);
        const hits = rows.filter((r) => test(r.event));
        if (hits.length > 0) options.onRows(hits);
        options.onProgress?.({ done: Math.min(at + 4096, to), total: to });
      }
      return { via: "server" };
    }
    // The server answers exact positive actor/action/outcome and the time window; asset is
    // checked here (the server matches the asset field only, the filter also inputs/outputs).
    const server: Record<string, string | number> = {};
    for (const t of filter?.terms ?? []) {
      if (t.exclude || t.glob || t.field === "asset" || t.field === "control") continue;
      if (server[t.field] === undefined) server[t.field] = t.value;
    }
    if (filter?.since !== undefined) server.since = filter.since;
    if (filter?.until !== undefined) server.until = filter.until;
    let cursor: string | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      const page = await this.#client.events({
        ...server,
        limit: 1000,
        ...(cursor === undefined ? {} : { cursor }),
      });
      const hits = page.events.filter((r) => r.index < to && test(r.event));
      if (hits.length > 0) options.onRows(hits);
      const last = page.events.at(-1)?.index;
      const next = page.next;
      options.onProgress?.({ done: Math.min(scanned(next) ?? to, to), total: to });
      if (next === null || (last !== undefined && last >= to - 1)) break;
      cursor = next;
    }
    return { via: "server" };
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    try {
      return await this.#client.listCheckpoints();
    } catch (e) {
      // A viewer token may not read the history: the latest checkpoint is still readable.
      if (!isLogsealError(e) || e.code !== "E_FORBIDDEN") throw e;
      const latest = await this.latestCheckpoint();
      return latest === undefined ? [] : [latest];
    }
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return (await this.#client.info()).checkpoint ?? undefined;
  }

  async proveInclusion(index: number, size?: number): Promise<InclusionProof> {
    const p = await this.#client.proveInclusion(index, size);
    return {
      index: p.index,
      size: p.size,
      leafHash: bytes(p.leafHash, "leaf hash"),
      proof: p.proof.map((h) => bytes(h, "proof hash")),
      checkpoint: p.checkpoint,
    };
  }

  async proveConsistency(from: number, to?: number): Promise<ConsistencyProof> {
    const p = await this.#client.proveConsistency(from, to);
    return {
      from: p.from,
      to: p.to,
      fromRoot: bytes(p.fromRoot, "root"),
      toRoot: bytes(p.toRoot, "root"),
      proof: p.proof.map((h) => bytes(h, "proof hash")),
      checkpoint: p.checkpoint,
    };
  }

  async verify(run: VerifyRun): Promise<VerifyReport> {
    return runVerifier(
      await TilesOverHttp.open(this.#client.url, this.#token, this.origin, this),
      run,
    );
  }

  /** `GET /v1/lineage/<asset>`: the same graph the library answers on the store. */
  lineage(asset: string, direction: "up" | "down" | "both"): Promise<LineageGraph> {
    return this.#client.lineage(asset, { direction });
  }

  async controlCounts(period: Period, options: CountOptions): Promise<ControlCounts> {
    const counts = new Map<string, number>();
    await this.scan(
      { text: "", terms: [], ...period },
      {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        onRows: (rows) => tally(rows, counts),
      },
    );
    return { counts, capped: new Set<string>(), via: { via: "server" as const } };
  }

  async close(): Promise<void> {
    this.#abort.abort();
  }
}

/** How far a `/v1/events` cursor got, when it says (it is opaque: only a hint for progress). */
function scanned(cursor: string | null): number | undefined {
  if (cursor === null) return undefined;
  const m = /^i:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  return m === null ? undefined : Number(m[1]);
}

/**
 * The tiles a server publishes (`GET /checkpoint`, `/tile/…`) as a LogReader, so the verifier
 * checks the server's log with the same code it checks a store with. It holds the tree of the
 * latest checkpoint.
 */
class TilesOverHttp implements LogReader {
  readonly origin: string;
  readonly #url: string;
  readonly #token: string | undefined;
  readonly #size: number;
  readonly #source: ServerSource;

  private constructor(
    url: string,
    token: string | undefined,
    origin: string,
    size: number,
    source: ServerSource,
  ) {
    this.#url = url;
    this.#token = token;
    this.origin = origin;
    this.#size = size;
    this.#source = source;
  }

  static async open(url: string, token: string | undefined, origin: string, source: ServerSource) {
    const latest = await source.latestCheckpoint();
    return new TilesOverHttp(url, token, origin, latest?.size ?? 0, source);
  }

  async #get(path: string): Promise<Uint8Array | undefined> {
    const res = await fetch(`${this.#url}/${path}`, {
      headers: this.#token === undefined ? {} : { Authorization: `Bearer ${this.#token}` },
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new LogsealError("E_SERVER", `GET /${path} answered ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  async size(): Promise<number> {
    return this.#size;
  }

  readBundle(index: number): Promise<Uint8Array | undefined> {
    const w = Math.min(TILE_WIDTH, this.#size - index * TILE_WIDTH);
    if (w <= 0) return Promise.resolve(undefined);
    return this.#get(entriesPath(index, w === TILE_WIDTH ? undefined : w));
  }

  async readTile(level: number, index: number): Promise<Uint8Array> {
    const count = Math.floor(this.#size / TILE_WIDTH ** level);
    const w = Math.min(TILE_WIDTH, count - index * TILE_WIDTH);
    if (w <= 0) return new Uint8Array(0);
    return (
      (await this.#get(tilePath(level, index, w === TILE_WIDTH ? undefined : w))) ??
      new Uint8Array(0)
    );
  }

  async *checkpoints(): AsyncIterable<StoredCheckpoint> {
    for (const c of await this.#source.checkpoints()) if (c.size <= this.#size) yield c;
  }

  latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.#source.latestCheckpoint();
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    return (await this.#source.checkpoints()).find((c) => c.size === size);
  }
}
