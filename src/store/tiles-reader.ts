/**
 * A {@link LogReader} over a C2SP tlog-tiles log (formats/tiles.md): a directory such as the one
 * `logseal export --tiles` writes, or the same layout under an HTTP(S) prefix (a static file
 * server, object store or CDN, any tlog-tiles server, `logseal serve`'s read API):
 *
 *     PREFIX/checkpoint                  the signed checkpoint (size and origin come from it)
 *     PREFIX/tile/<L>/<N>[.p/<W>]        hash tiles
 *     PREFIX/tile/entries/<N>[.p/<W>]    entry bundles
 *
 * The reader only reports what the directory holds. It takes the origin (first line) and the
 * tree size (second line) from `checkpoint` without opening its signatures: the verifier opens
 * it with the keys the auditor pins, like any stored checkpoint. Which file holds a tile or
 * bundle follows from that size: full ones without a suffix, the last partial one as `.p/<W>`.
 * Everything read is attacker-controlled; a file that is not there (404 over HTTP) reads as
 * absent. Over HTTP a reader can also take the checkpoint history of a logseal server
 * (`GET /v1/checkpoints`), so that verifying through a server checks every signed checkpoint as
 * verifying the store does.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { concatBytes, fromUtf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import {
  bundlePrefixLength,
  entriesPath,
  HASH_SIZE,
  TILE_WIDTH,
  tilePath,
} from "../merkle/index.js";
import type { LogReader, StoredCheckpoint } from "./reader.js";

const EMPTY = new Uint8Array(0);
/** A checkpoint note is a few hundred bytes; anything this large is not one. */
const MAX_CHECKPOINT_BYTES = 1 << 20;
const SIZE_LINE = /^(0|[1-9]\d{0,15})$/;

/** Options of {@link TilesReader.open} for an HTTP(S) prefix. */
export interface TilesOptions {
  /** A bearer token sent with every request (a logseal server's `lsk_…`). */
  token?: string;
  /** Per-request timeout in ms (default 30,000). */
  timeout?: number;
  /**
   * Also read the signed checkpoints a logseal server keeps (`GET /v1/checkpoints`, the
   * `auditor` role): those up to the tiles' size are reported with it. A server that refuses
   * (403) or does not have the endpoint (404) leaves the reader with the tiles' checkpoint.
   */
  history?: boolean;
}

/** What a reader reads its resources with: the bytes at a tlog-tiles path, or undefined. */
type Fetch = (path: string) => Promise<Uint8Array | undefined>;

/** `http(s)://host[:port][/prefix]`, no query or fragment. */
const HTTP_PREFIX = /^https?:\/\/[^/?#\s]+(?:\/[^?#\s]*)?$/;

export class TilesReader implements LogReader {
  /** The directory or URL prefix the log was opened at. */
  readonly location: string;
  readonly origin: string;
  readonly #size: number;
  readonly #note: string;
  readonly #fetch: Fetch;
  /** Earlier signed checkpoints (from a server's history), ascending, all below `#size`. */
  readonly #earlier: StoredCheckpoint[];

  private constructor(
    location: string,
    fetch: Fetch,
    origin: string,
    size: number,
    note: string,
    earlier: StoredCheckpoint[] = [],
  ) {
    this.location = location;
    this.#fetch = fetch;
    this.origin = origin;
    this.#size = size;
    this.#note = note;
    this.#earlier = earlier;
  }

  /** True when `location` names an HTTP(S) prefix rather than a directory. */
  static isUrl(location: string): boolean {
    return /^https?:\/\//i.test(location);
  }

  /**
   * Opens the tiles log at `location` (a directory, or an `http(s)://` prefix) by reading its
   * `checkpoint`. A checkpoint that does not even give an origin and a size opens as an empty
   * log of unknown origin, so that the verifier reports the note as the failure it is.
   * @throws LogsealError E_STORE_MISSING (no `checkpoint`), E_IO (a directory that cannot be
   *   read), E_SERVER (a server that cannot be reached or answers an error), E_UNAUTHORIZED /
   *   E_FORBIDDEN (the server wants a token / another role), E_USAGE (a malformed URL)
   */
  static async open(location: string, options: TilesOptions = {}): Promise<TilesReader> {
    const url = TilesReader.isUrl(location);
    if (!url && /^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
      throw new LogsealError(
        "E_USAGE",
        `a tiles log is a directory or an http(s):// prefix, got ${JSON.stringify(location)}`,
        { location: { field: "tiles" } },
      );
    }
    const fetch = url ? httpFetch(location, options) : fileFetch(location);
    const bytes = await fetch("checkpoint");
    if (bytes === undefined) {
      throw new LogsealError(
        "E_STORE_MISSING",
        url
          ? "no tiles checkpoint here (404): point --tiles at the log's prefix, the URL under which checkpoint and tile/ are served"
          : `no tiles checkpoint in ${location}: point --tiles at the directory 'logseal export --tiles' wrote`,
        { location: { file: url ? join1(location, "checkpoint") : join(location, "checkpoint") } },
      );
    }
    const note = (bytes.length <= MAX_CHECKPOINT_BYTES ? fromUtf8(bytes) : null) ?? "";
    const lines = note.split("\n", 3);
    const sizeLine = lines[1] ?? "";
    const size = SIZE_LINE.test(sizeLine) ? Number(sizeLine) : Number.NaN;
    if (lines.length < 3 || !Number.isSafeInteger(size)) {
      return new TilesReader(location, fetch, "", 0, note);
    }
    const earlier =
      url && options.history === true ? await serverHistory(location, options, size) : [];
    return new TilesReader(location, fetch, lines[0] as string, size, note, earlier);
  }

  async size(): Promise<number> {
    return this.#size;
  }

  /** The entries (or hashes) the tile of `index` at `level` holds for this size, 0 if none. */
  #width(level: number, index: number): number {
    const nodes = Math.floor(this.#size / TILE_WIDTH ** level);
    const full = Math.floor(nodes / TILE_WIDTH);
    if (index < full) return TILE_WIDTH;
    return index === full ? nodes % TILE_WIDTH : 0;
  }

  async readBundle(index: number): Promise<Uint8Array | undefined> {
    const width = this.#width(0, index);
    if (width === 0) return undefined;
    const bytes = await this.#fetch(entriesPath(index, width));
    if (bytes !== undefined || width === TILE_WIDTH) return bytes;
    // A log that has grown past this checkpoint may have deleted the partial bundle once the
    // full one was written (C2SP tlog-tiles): the full bundle's first W entries are the same.
    const full = await this.#fetch(entriesPath(index));
    return full === undefined ? undefined : bundlePrefix(full, width);
  }

  async readTile(level: number, index: number): Promise<Uint8Array> {
    const width = this.#width(level, index);
    if (width === 0) return EMPTY;
    const bytes = await this.#fetch(tilePath(level, index, width));
    if (bytes !== undefined || width === TILE_WIDTH) return bytes ?? EMPTY;
    // As for bundles: fall back to the full tile and use only the hashes this size allows.
    const full = await this.#fetch(tilePath(level, index));
    return full === undefined ? EMPTY : tilePrefix(full, width);
  }

  async *checkpoints(): AsyncIterable<StoredCheckpoint> {
    yield* this.#earlier;
    yield { size: this.#size, note: this.#note };
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return { size: this.#size, note: this.#note };
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    if (size === this.#size) return { size, note: this.#note };
    return this.#earlier.find((c) => c.size === size);
  }
}

/**
 * The first `width` hashes of a tile, for reading a partial tile out of the full one. A tile
 * too short to hold them is returned whole, for the verifier to report as the wrong length.
 */
export function tilePrefix(tile: Uint8Array, width: number): Uint8Array {
  const n = width * HASH_SIZE;
  return tile.length >= n ? tile.subarray(0, n) : tile;
}

/**
 * The first `width` entries of an entry bundle, for reading a partial bundle out of the full
 * one. A bundle whose length prefixes do not reach `width` entries is returned whole, for the
 * verifier's strict parser to report.
 */
export function bundlePrefix(bundle: Uint8Array, width: number): Uint8Array {
  const length = bundlePrefixLength(bundle, width);
  return length === null ? bundle : bundle.subarray(0, length);
}

/** Reads a tlog-tiles path below the directory `dir`. */
function fileFetch(dir: string): Fetch {
  return (path) => readLocal(join(dir, path));
}

/** The file's bytes, or undefined when it does not exist. */
async function readLocal(file: string): Promise<Uint8Array | undefined> {
  try {
    const b = await readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new LogsealError("E_IO", `cannot read ${file}: ${(e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
}

/**
 * A resource larger than this is refused: a full entry bundle of 256 events at the largest
 * event size the log accepts is far below it, and a hostile server must not fill the memory.
 */
const MAX_RESOURCE_BYTES = 256 << 20;

/** `prefix` joined with a relative tlog-tiles path, one slash between them. */
function join1(prefix: string, path: string): string {
  return `${prefix.replace(/\/+$/, "")}/${path}`;
}

/** Reads tlog-tiles paths below an HTTP(S) prefix; 404 and 410 read as absent. */
function httpFetch(prefix: string, options: TilesOptions): Fetch {
  if (!HTTP_PREFIX.test(prefix)) {
    throw new LogsealError(
      "E_USAGE",
      `a tiles URL must be http(s)://HOST[:PORT][/PREFIX], got ${JSON.stringify(prefix)}`,
      { location: { field: "tiles" } },
    );
  }
  const headers = requestHeaders(options, "application/octet-stream, text/plain");
  const timeout = options.timeout ?? 30_000;
  return async (path) => {
    const url = join1(prefix, path);
    const res = await request(url, headers, timeout);
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status !== 200) throw await refusal(res, url);
    return readBody(res, url);
  };
}

/** The headers of every request: what it accepts, and the bearer token when there is one. */
function requestHeaders(options: TilesOptions, accept: string): Record<string, string> {
  return options.token === undefined
    ? { accept }
    : { accept, authorization: `Bearer ${options.token}` };
}

async function request(url: string, headers: Record<string, string>, timeout: number) {
  try {
    return await fetch(url, { headers, redirect: "follow", signal: AbortSignal.timeout(timeout) });
  } catch (e) {
    const why = (e as Error).name === "TimeoutError" ? `no answer in ${timeout} ms` : errorText(e);
    throw new LogsealError("E_SERVER", `cannot read it: ${why}`, {
      location: { file: url },
      cause: e,
    });
  }
}

/** The error for a status other than 200, 404 and 410, with what the server said. */
async function refusal(res: Response, url: string): Promise<LogsealError> {
  const text = (await res.text().catch(() => "")).slice(0, 300);
  let said = text.trim().split("\n", 1)[0] ?? "";
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    if (typeof body.error?.message === "string") said = body.error.message;
  } catch {
    // not the logseal API's JSON: the first line of the text is what the server said
  }
  const detail = said === "" ? "" : `: ${said}`;
  const location = { file: url };
  if (res.status === 401) {
    const hint = detail === "" ? ": give the server's token in LOGSEAL_TOKEN (or --token)" : detail;
    return new LogsealError("E_UNAUTHORIZED", `answered 401${hint}`, { location });
  }
  if (res.status === 403) {
    return new LogsealError("E_FORBIDDEN", `answered 403${detail}`, { location });
  }
  return new LogsealError("E_SERVER", `answered ${res.status}${detail}`, { location });
}

/** The response body, refused beyond {@link MAX_RESOURCE_BYTES}. */
async function readBody(res: Response, url: string): Promise<Uint8Array> {
  const tooLarge = () =>
    new LogsealError("E_SERVER", `larger than ${MAX_RESOURCE_BYTES} bytes: refused`, {
      location: { file: url },
    });
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared > MAX_RESOURCE_BYTES) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (res.body === null) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const part of Readable.fromWeb(res.body as never) as AsyncIterable<Uint8Array>) {
      total += part.length;
      if (total > MAX_RESOURCE_BYTES) throw tooLarge();
      parts.push(part);
    }
  } catch (e) {
    if (e instanceof LogsealError) throw e;
    throw new LogsealError("E_SERVER", `cannot read it: ${errorText(e)}`, {
      location: { file: url },
      cause: e,
    });
  }
  return parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(...parts);
}

/**
 * The signed checkpoints a logseal server keeps below `size` (`GET /v1/checkpoints`), or none
 * when it will not tell (another tiles server: 404; a role without history: 403). What it
 * sends is checked like any checkpoint: the verifier opens each note with the pinned keys and
 * compares its root with the tree it rebuilds.
 */
async function serverHistory(
  prefix: string,
  options: TilesOptions,
  size: number,
): Promise<StoredCheckpoint[]> {
  const url = join1(prefix, "v1/checkpoints");
  const headers = requestHeaders(options, "application/json");
  const res = await request(url, headers, options.timeout ?? 30_000);
  if (res.status === 403 || res.status === 404) {
    await res.body?.cancel();
    return [];
  }
  if (res.status !== 200) throw await refusal(res, url);
  const text = fromUtf8(await readBody(res, url));
  let list: unknown;
  try {
    list = (JSON.parse(text ?? "") as { checkpoints?: unknown }).checkpoints;
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list)) {
    throw new LogsealError("E_SERVER", "did not answer a list of checkpoints", {
      location: { file: url },
    });
  }
  const earlier: StoredCheckpoint[] = [];
  for (const c of list as Array<Partial<StoredCheckpoint>>) {
    if (!Number.isSafeInteger(c.size) || typeof c.note !== "string") {
      throw new LogsealError("E_SERVER", "sent a checkpoint without size and note", {
        location: { file: url },
      });
    }
    if ((c.size as number) < size) earlier.push({ size: c.size as number, note: c.note });
  }
  return earlier.sort((a, b) => a.size - b.size);
}

function errorText(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}
