/**
 * A small client of the logseal HTTP API (formats/http-api.md) over `fetch`: what the CLI uses
 * when a server holds the store, and what the TUI will use for the live tail.
 *
 * Errors come back as the LogsealError the server reported (same code, message, line and
 * field); a server that cannot be reached, or answers something else than the API, gives
 * `E_SERVER`. Responses are the server's claims: proofs and checkpoints are to be checked
 * (`checkInclusion`, `openCheckpoint`) like any other.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { fromBase64 } from "../bytes.js";
import type { EvidenceReport } from "../controls/evidence.js";
import { type ErrorCode, type Location, LogsealError } from "../errors.js";
import { decodeLeaf, type Event } from "../event/index.js";
import type { Direction, LineageGraph } from "../lineage/graph.js";
import type { AssetRecord } from "../lineage/inventory.js";
import type { LineageProofs } from "../lineage/proofs.js";
import type { Appended, Entry } from "../log.js";
import type { ErasureReport, RevealReport } from "../privacy/access.js";
import type { ConsistencyProofJSON, InclusionProofJSON } from "../proofs.js";
import type { StoredCheckpoint } from "../store/reader.js";
import type { EventFilter } from "./query.js";
import type { Role } from "./roles.js";
import { SseParser } from "./sse.js";
import type { TokenInfo } from "./tokens.js";

/** `GET /v1/log`. */
export interface LogInfo {
  origin: string;
  vkey: string;
  size: number;
  checkpoint: StoredCheckpoint | null;
}

/** `POST /v1/events`: the same fields as `logseal append --json`. */
export interface AppendResponse {
  size: number;
  appended: number;
  duplicates: number;
  entries: Appended[];
}

/** `GET /v1/events`: a page of `logseal query`. */
export interface EventsPage {
  events: Array<{ index: number; event: Event }>;
  /** `cursor` while `more`, else null. */
  next: string | null;
  /** Continues after these events (also once more are appended), as `logseal query`'s. */
  cursor: string;
  /** More matching events were found beyond this page. */
  more: boolean;
  size: number;
}

/** `GET /v1/events` parameters: the filters of `logseal query` (times in ms, ISO or `-24h`). */
export type EventsQuery = Omit<EventFilter, "since" | "until"> & {
  since?: number | string;
  until?: number | string;
  limit?: number;
  cursor?: string;
};

export interface ClientOptions {
  /** The bearer token (`lsk_…`). */
  token?: string;
  /** Per-request timeout in ms (default 30000; streams have none). */
  timeout?: number;
}

export class LogClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #timeout: number;

  /** @param url the server's base URL, such as `http://127.0.0.1:7070` (a path prefix is kept) */
  constructor(url: string, options: ClientOptions = {}) {
    if (!/^https?:\/\/[^/?#\s]+(?:\/[^?#\s]*)?$/.test(url)) {
      throw new LogsealError(
        "E_USAGE",
        `server URL must be http(s)://HOST:PORT[/PREFIX], got ${JSON.stringify(url)}`,
        { location: { field: "server" } },
      );
    }
    this.url = url.replace(/\/$/, "");
    this.#token = options.token;
    this.#timeout = options.timeout ?? 30_000;
  }

  info(): Promise<LogInfo> {
    return this.#json("GET", "/v1/log");
  }

  /** Entry `index`, its event decoded from the leaf bytes the server sent. */
  async entry(index: number): Promise<Entry> {
    const r = await this.#json<{ index: number; leaf: string }>("GET", `/v1/events/${index}`);
    const leaf = fromBase64(r.leaf);
    if (leaf === null || r.index !== index) throw this.#garbled("/v1/events");
    return { index, leaf, event: decodeLeaf(leaf) };
  }

  events(filter: EventsQuery = {}): Promise<EventsPage> {
    return this.#json("GET", `/v1/events${query({ ...filter })}`);
  }

  /** `GET /v1/lineage/<asset>`: the JSON of `logseal lineage --json [--proofs]`. */
  lineage(
    asset: string,
    options: { direction?: Direction; depth?: number; asOf?: number; proofs?: boolean } = {},
  ): Promise<LineageGraph & { proofs?: LineageProofs }> {
    const { proofs, ...rest } = options;
    return this.#json(
      "GET",
      `/v1/lineage/${encodeURIComponent(asset)}${query({ ...rest, proofs: proofs ? 1 : undefined })}`,
    );
  }

  /** `GET /v1/assets`: the inventory of `logseal assets --json`. */
  async assets(options: { kind?: string } = {}): Promise<AssetRecord[]> {
    return (await this.#json<{ assets: AssetRecord[] }>("GET", `/v1/assets${query(options)}`))
      .assets;
  }

  proveInclusion(index: number, size?: number): Promise<InclusionProofJSON> {
    return this.#json("GET", `/v1/proof/inclusion${query({ index, size })}`);
  }

  proveConsistency(from: number, to?: number): Promise<ConsistencyProofJSON> {
    return this.#json("GET", `/v1/proof/consistency${query({ from, to })}`);
  }

  /** Every stored checkpoint, ascending by size (auditor or admin). */
  async listCheckpoints(): Promise<StoredCheckpoint[]> {
    return (await this.#json<{ checkpoints: StoredCheckpoint[] }>("GET", "/v1/checkpoints"))
      .checkpoints;
  }

  /**
   * `GET /v1/evidence`: the report of `logseal evidence --format json` against the server's
   * Statement of Applicability (auditor or admin). Times as `logseal evidence` reads them.
   */
  /**
   * `GET /v1/evidence`: the report against the server's SoA; with `soa` (the text of a
   * Statement of Applicability, named `source` in the report), `POST /v1/evidence` against it.
   */
  evidence(
    options: {
      from?: number | string;
      to?: number | string;
      samples?: number;
      soa?: string;
      source?: string;
    } = {},
  ): Promise<EvidenceReport> {
    const { soa, source, ...rest } = options;
    if (soa === undefined) {
      return this.#json("GET", `/v1/evidence${query({ ...rest, format: "json" })}`);
    }
    const q = query({ ...rest, format: "json", ...(source === undefined ? {} : { source }) });
    return this.#json("POST", `/v1/evidence${q}`, soa, "application/json");
  }

  /** Signs a checkpoint now (admin). */
  checkpoint(): Promise<StoredCheckpoint> {
    return this.#json("POST", "/v1/checkpoint");
  }

  /**
   * Appends events, all or nothing: the text of one JSON object, an array or JSON lines (as
   * `logseal append` reads), or values to send as a JSON array.
   */
  append(events: string | readonly unknown[]): Promise<AppendResponse> {
    const body = typeof events === "string" ? events : JSON.stringify(events);
    return this.#json("POST", "/v1/events", body, "application/json");
  }

  listTokens(): Promise<TokenInfo[]> {
    return this.#json<{ tokens: TokenInfo[] }>("GET", "/v1/tokens").then((r) => r.tokens);
  }

  createToken(name: string, role: Role | string): Promise<TokenInfo & { token: string }> {
    return this.#json("POST", "/v1/tokens", JSON.stringify({ name, role }), "application/json");
  }

  /**
   * `POST /v1/privacy/reveal` (admin; the server needs the vault key): the masked values of
   * entry `index`, as `logseal reveal --json`. Logged as `pii.reveal` with the token's name.
   */
  reveal(index: number, options: { field?: string; reason?: string } = {}): Promise<RevealReport> {
    const body = JSON.stringify({ index, ...options });
    return this.#json("POST", "/v1/privacy/reveal", body, "application/json");
  }

  /**
   * `POST /v1/privacy/erase` (admin): erases a data subject, as `logseal erase --json`. Logged
   * as `data.erase` with the token's name.
   */
  erase(subject: string, options: { reason?: string } = {}): Promise<ErasureReport> {
    const body = JSON.stringify({ subject, ...options });
    return this.#json("POST", "/v1/privacy/erase", body, "application/json");
  }

  revokeToken(nameOrId: string): Promise<TokenInfo> {
    return this.#json("DELETE", `/v1/tokens/${encodeURIComponent(nameOrId)}`);
  }

  /**
   * The live tail: entries from `from` (or after `lastEventId`, or from the current size),
   * then each new one as it commits, until `signal` aborts or the server ends the stream.
   * One async step an entry; {@link LogClient.streamBatches} takes them a chunk at a time.
   * @throws LogsealError `E_SERVER` when the stream breaks or carries something else than
   *   entries; the error of the request (`E_FORBIDDEN`, `E_USAGE`, …) when it is refused
   */
  stream(options: TailOptions = {}): AsyncIterable<StreamEntry> {
    return entriesOf(this.streamBatches(options));
  }

  /**
   * The live tail as {@link LogClient.stream}, in batches: every entry parsed out of one
   * network chunk, in order, never an empty batch. A consumer that can take a batch pays one
   * async step a chunk (a few hundred entries under load) instead of one an entry.
   * @throws LogsealError as {@link LogClient.stream}
   */
  async *streamBatches(options: TailOptions = {}): AsyncIterable<StreamEntry[]> {
    const { from, lastEventId, signal, ...filter } = options;
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (lastEventId !== undefined) headers["Last-Event-ID"] = String(lastEventId);
    const res = await this.#open(`/v1/stream${query({ from, ...filter })}`, headers, signal);
    try {
      yield* parseEntryChunks(res);
    } catch (e) {
      if (signal?.aborted) return;
      if (e instanceof EntryError) {
        throw new LogsealError(
          "E_SERVER",
          `the server at ${this.url} sent a stream event (id ${JSON.stringify(e.id)}) that is not a logseal entry: ${e.message}`,
          { cause: e.cause },
        );
      }
      throw new LogsealError(
        "E_SERVER",
        `the stream from ${this.url} broke: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  /**
   * A GET whose body is read as it comes: node:http's response, not `fetch`'s. It follows no
   * redirect (a 3xx is E_SERVER, as any answer that is not the stream): point the client at
   * the server itself. (measured)
   * bench/serve.ts's subscriber, four 15 s runs alternating at about 50,000 events/s, load
   * 3.5–4.2: 3.29–3.36 µs of user CPU an event through node:http against 3.81–3.99 through
   * `fetch` (undici: its HTTP parser in WebAssembly, then a web stream), with the same parse.
   */
  async #open(
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<IncomingMessage> {
    if (this.#token !== undefined) headers.Authorization = `Bearer ${this.#token}`;
    const url = `${this.url}${path}`;
    const request = url.startsWith("https:") ? httpsRequest : httpRequest;
    let res: IncomingMessage;
    try {
      res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(url, { headers, ...(signal === undefined ? {} : { signal }) }, resolve);
        req.on("error", reject);
        req.end();
      });
    } catch (e) {
      throw new LogsealError(
        "E_SERVER",
        `cannot reach the logseal server at ${this.url}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const body: Buffer[] = [];
    try {
      for await (const chunk of res) body.push(chunk as Buffer);
    } catch {
      // what came is all there is: #error says so when it is not the API's JSON
    }
    // A 304 (from a proxy) must have no body in a Response; a status outside 200..599 is
    // answered as a bad gateway's.
    const answer = new Response(status === 304 ? null : Buffer.concat(body), {
      status: status >= 200 && status <= 599 ? status : 502,
      statusText: res.statusMessage ?? "",
    });
    throw await this.#error(answer, path);
  }

  async #json<T>(method: string, path: string, body?: string, type?: string): Promise<T> {
    const res = await this.#fetch(method, path, {
      ...(body === undefined ? {} : { body }),
      headers: type === undefined ? {} : { "Content-Type": type },
    });
    try {
      return (await res.json()) as T;
    } catch {
      throw this.#garbled(path);
    }
  }

  async #fetch(
    method: string,
    path: string,
    init: { body?: string; headers: Record<string, string> },
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.#token !== undefined) headers.Authorization = `Bearer ${this.#token}`;
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers,
        ...(init.body === undefined ? {} : { body: init.body }),
        signal: AbortSignal.timeout(this.#timeout),
      });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new LogsealError(
        "E_SERVER",
        `cannot reach the logseal server at ${this.url}: ${cause ?? (e as Error).message}`,
        { cause: e },
      );
    }
    if (res.ok) return res;
    throw await this.#error(res, path);
  }

  async #error(res: Response, path: string): Promise<LogsealError> {
    let body: { error?: { code?: unknown; message?: unknown } & Location & { details?: unknown } };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      return new LogsealError(
        "E_SERVER",
        `the server at ${this.url} answered ${res.status} ${res.statusText} to ${path}`,
        { details: { status: res.status } },
      );
    }
    const err = body?.error;
    if (
      typeof err?.code !== "string" ||
      !/^E_[A-Z_]+$/.test(err.code) ||
      typeof err.message !== "string"
    ) {
      return this.#garbled(path);
    }
    const location: Location = {};
    if (typeof err.line === "number") location.line = err.line;
    if (typeof err.field === "string") location.field = err.field;
    const details =
      typeof err.details === "object" && err.details !== null
        ? { ...(err.details as Record<string, unknown>), status: res.status }
        : { status: res.status };
    return new LogsealError(err.code as ErrorCode, err.message, { location, details });
  }

  #garbled(path: string): LogsealError {
    return new LogsealError(
      "E_SERVER",
      `the server at ${this.url} answered ${path} with something that is not the logseal API`,
    );
  }
}

/** An entry of the live tail: what `GET /v1/stream` sends as `event: entry`. */
export interface StreamEntry {
  index: number;
  event: Event;
}

/** Where the live tail starts, and which entries it sends (the filters of `logseal query`). */
export type TailOptions = {
  /** The first index to send (default: the tree size when the stream starts). */
  from?: number;
  /** Resume after this index, as the `Last-Event-ID` of a stream that broke. */
  lastEventId?: number;
  signal?: AbortSignal;
} & EventFilter;

/** A stream event that is not an entry: its id, what is wrong, the JSON error if any. */
class EntryError extends Error {
  constructor(
    readonly id: string,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The entries of an event stream's bytes, a batch for each chunk that completes one or more
 * (the chunks' order kept). Not public: `LogClient.streamBatches` over `fetch`'s body, and
 * bench/stream-client.ts over bytes it made.
 *
 * (measured) bench/stream-client.ts, 20,000 demo frames in 64 KiB chunks: see the README's
 * LogClient paragraph for the figures.
 * @throws EntryError for an `entry` whose data is not `{"index":N,"event":{…}}`, RangeError
 *   for a line or event past `SSE_MAX_EVENT`: after the entries before it are yielded
 */
export async function* parseEntryChunks(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<StreamEntry[]> {
  const parser = new SseParser();
  let batch: StreamEntry[] = [];
  // The first thing wrong, thrown once the entries before it in its chunk are yielded.
  let failure: Error | undefined;
  const listener = (type: string, data: string, id: string): void => {
    if (type !== "entry" || failure !== undefined) return;
    let entry: StreamEntry;
    try {
      entry = JSON.parse(data) as StreamEntry;
    } catch (e) {
      failure = new EntryError(id, (e as Error).message, { cause: e });
      return;
    }
    if (
      typeof entry !== "object" ||
      entry === null ||
      !Number.isSafeInteger(entry.index) ||
      typeof entry.event !== "object" ||
      entry.event === null
    ) {
      failure = new EntryError(id, 'its data is not {"index":N,"event":{…}}');
      return;
    }
    batch.push(entry);
  };
  for await (const chunk of chunks) {
    try {
      parser.push(chunk, listener);
    } catch (e) {
      failure ??= e as Error;
    }
    if (batch.length > 0) {
      const done = batch;
      batch = [];
      yield done;
    }
    if (failure !== undefined) throw failure;
  }
  parser.end();
}

/**
 * The entries of `batches` one at a time. Not public: `LogClient.stream`, and
 * bench/stream-client.ts. (measured) An async generator's `yield*` over each batch cost
 * 0.26 µs of CPU an entry more than taking the batches; this iterator, which hands out an entry
 * of the batch at hand without a generator's resumption, 0.08–0.16 µs.
 */
export function entriesOf(batches: AsyncIterable<StreamEntry[]>): AsyncIterable<StreamEntry> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<StreamEntry> {
      const source = batches[Symbol.asyncIterator]();
      let batch: StreamEntry[] = [];
      let i = 0;
      return {
        async next(): Promise<IteratorResult<StreamEntry>> {
          while (i >= batch.length) {
            const r = await source.next();
            if (r.done === true) return { done: true, value: undefined };
            batch = r.value;
            i = 0;
          }
          return { done: false, value: batch[i++] as StreamEntry };
        },
        async return(): Promise<IteratorResult<StreamEntry>> {
          batch = [];
          await source.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

function query(params: { [name: string]: string | number | undefined }): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}
