/**
 * The verifier: rebuilds the tree from every stored entry and checks it against everything the
 * store claims. It reads only through {@link LogReader}, so any reader (a LevelDB store, a tiles
 * directory) is verified by the same code.
 *
 * Steps, in this order:
 *  1. checkpoints: open every stored checkpoint note with the pinned keys (C2SP signed note:
 *     unknown keys ignored, a bad signature from a pinned key fails) and parse its body;
 *  2. entries: parse every entry bundle strictly, hash every leaf (RFC 6962), decode every leaf
 *     as a canonical event of schema v1;
 *  3. tiles: rebuild every hash tile from the leaves and compare it with the stored tile,
 *     naming the first differing hash (and so the entry) when they differ;
 *  4. roots: compare each checkpoint's root with the rebuilt tree head at its size.
 *
 * Failures carry their evidence (indexes, expected and actual hashes, signer) and verification
 * goes on after the first one, up to `maxFailures`.
 */
import { bytesEqual, toBase64 } from "../bytes.js";
import { isLogsealError } from "../errors.js";
import { decodeLeaf } from "../event/index.js";
import {
  appendToTiles,
  EMPTY_ROOT,
  HASH_SIZE,
  leafHash,
  nodeHash,
  parseEntryBundle,
  TILE_WIDTH,
} from "../merkle/index.js";
import { openCheckpoint, parseNote, type Verifier } from "../note/index.js";
import type { LogReader } from "../store/reader.js";

/** One integrity failure, with the evidence an auditor needs to find it. */
export type Failure =
  | { kind: "bundle"; bundle: number; message: string }
  | { kind: "entry"; index: number; message: string }
  | {
      kind: "tile";
      level: number;
      index: number;
      /** The first hash in the tile that differs (0..255). */
      hash: number;
      /** For level 0, the entry whose leaf hash differs. */
      entry?: number;
      expected: string;
      actual: string;
      message: string;
    }
  | {
      kind: "checkpoint";
      size: number;
      signer?: string;
      expected?: string;
      actual?: string;
      message: string;
    };

export interface CheckpointResult {
  size: number;
  root: string;
  /** Names of the pinned keys whose signatures verified. */
  verifiedBy: string[];
  /** Names on signature lines from keys that are not pinned (ignored, as C2SP requires). */
  unknownSigners: string[];
  ok: boolean;
}

export interface VerifyReport {
  ok: boolean;
  origin: string;
  size: number;
  entries: number;
  tiles: number;
  root: string;
  checkpoints: CheckpointResult[];
  failures: Failure[];
  /** Failures found beyond `maxFailures` (counted, not listed). */
  moreFailures: number;
}

/** Typed progress events, drawn by the CLI as a progress bar and later by the TUI. */
export interface VerifyProgress {
  phase: "checkpoints" | "entries" | "done";
  done: number;
  total: number;
  /** Entries per second since the entries phase began. */
  rate: number;
}

export interface VerifyOptions {
  /** The keys the auditor pins. Signatures from other keys are ignored. */
  keys: Verifier[];
  maxFailures?: number;
  onProgress?: (p: VerifyProgress) => void;
}

/** Verifies everything `reader` holds. Never throws on bad data: it reports it. */
export async function verifyLog(reader: LogReader, options: VerifyOptions): Promise<VerifyReport> {
  const maxFailures = options.maxFailures ?? 100;
  const failures: Failure[] = [];
  let moreFailures = 0;
  const fail = (f: Failure) => {
    if (failures.length < maxFailures) failures.push(f);
    else moreFailures++;
  };
  const size = await reader.size();
  const progress = options.onProgress ?? (() => {});

  // 1. checkpoints
  const checkpoints: Array<CheckpointResult & { rootBytes?: Uint8Array }> = [];
  progress({ phase: "checkpoints", done: 0, total: size, rate: 0 });
  for await (const stored of reader.checkpoints()) {
    const result: CheckpointResult & { rootBytes?: Uint8Array } = {
      size: stored.size,
      root: "",
      verifiedBy: [],
      unknownSigners: [],
      ok: false,
    };
    checkpoints.push(result);
    try {
      result.unknownSigners = parseNote(stored.note)
        .signatures.filter(
          (s) => !options.keys.some((k) => k.name === s.name && k.keyId === s.keyId),
        )
        .map((s) => s.name);
    } catch {
      // openCheckpoint below reports the malformed note.
    }
    let cp: ReturnType<typeof openCheckpoint>;
    try {
      cp = openCheckpoint(stored.note, options.keys, reader.origin);
    } catch (e) {
      fail({
        kind: "checkpoint",
        size: stored.size,
        message: `checkpoint of size ${stored.size}: ${isLogsealError(e) ? e.message : String(e)}`,
        ...(isLogsealError(e) && typeof e.details?.name === "string"
          ? { signer: e.details.name }
          : {}),
      });
      continue;
    }
    result.verifiedBy = cp.note.verified.map((s) => s.name);
    result.root = toBase64(cp.checkpoint.root);
    result.rootBytes = cp.checkpoint.root;
    if (cp.checkpoint.size !== stored.size) {
      fail({
        kind: "checkpoint",
        size: stored.size,
        message: `the checkpoint stored under size ${stored.size} says size ${cp.checkpoint.size}`,
      });
      result.rootBytes = undefined;
    } else if (stored.size > size) {
      fail({
        kind: "checkpoint",
        size: stored.size,
        message: `checkpoint of size ${stored.size} is beyond the stored tree of size ${size}: entries are missing`,
      });
      result.rootBytes = undefined;
    }
  }

  // 2-4. entries, tiles, roots in one pass.
  const pending = checkpoints
    .filter((c) => c.rootBytes !== undefined)
    .sort((a, b) => a.size - b.size);
  let next = 0;
  const checkRoot = (n: number, root: Uint8Array) => {
    while (next < pending.length && pending[next]?.size === n) {
      const c = pending[next++] as (typeof pending)[number];
      if (c.rootBytes !== undefined && bytesEqual(c.rootBytes, root)) c.ok = true;
      else {
        fail({
          kind: "checkpoint",
          size: c.size,
          signer: c.verifiedBy[0],
          expected: toBase64(root),
          actual: c.root,
          message: `checkpoint of size ${c.size} signed by ${c.verifiedBy.join(", ")} has root ${c.root}, but the entries give ${toBase64(root)}`,
        });
      }
    }
  };
  checkRoot(0, EMPTY_ROOT);

  const range = new CompactRange();
  const working = new Map<string, Uint8Array>();
  const read = async (l: number, n: number) => working.get(`${l}/${n}`) ?? new Uint8Array(0);
  let tiles = 0;
  const compareTile = async (level: number, index: number, rebuilt: Uint8Array) => {
    tiles++;
    const stored = await reader.readTile(level, index);
    if (bytesEqual(stored, rebuilt)) return;
    let h = 0;
    while (
      h * HASH_SIZE < rebuilt.length &&
      bytesEqual(
        stored.subarray(h * HASH_SIZE, (h + 1) * HASH_SIZE),
        rebuilt.subarray(h * HASH_SIZE, (h + 1) * HASH_SIZE),
      )
    )
      h++;
    const expected = rebuilt.subarray(h * HASH_SIZE, (h + 1) * HASH_SIZE);
    const actual = stored.subarray(h * HASH_SIZE, (h + 1) * HASH_SIZE);
    const entry = level === 0 ? index * TILE_WIDTH + h : undefined;
    fail({
      kind: "tile",
      level,
      index,
      hash: h,
      ...(entry !== undefined ? { entry } : {}),
      expected: toBase64(expected),
      actual: actual.length === HASH_SIZE ? toBase64(actual) : "(missing)",
      message:
        entry !== undefined
          ? `entry ${entry}: its leaf hash ${toBase64(expected)} differs from hash ${h} of tile 0/${index} (${actual.length === HASH_SIZE ? toBase64(actual) : "missing"}): the entry or the tile was changed`
          : `tile ${level}/${index} hash ${h} is ${actual.length === HASH_SIZE ? toBase64(actual) : "missing"}, the entries give ${toBase64(expected)}`,
    });
  };

  const started = performance.now();
  const bundles = Math.ceil(size / TILE_WIDTH);
  for (let n = 0; n < bundles; n++) {
    const count = Math.min(TILE_WIDTH, size - n * TILE_WIDTH);
    const bytes = await reader.readBundle(n);
    const leaves = bytes === undefined ? null : parseEntryBundle(bytes, count);
    const hashes: Uint8Array[] = [];
    if (leaves === null) {
      fail({
        kind: "bundle",
        bundle: n,
        message:
          bytes === undefined
            ? `entry bundle ${n} (entries ${n * TILE_WIDTH}..${n * TILE_WIDTH + count - 1}) is missing`
            : `entry bundle ${n} does not hold ${count} well-formed entries`,
      });
      // Without the leaves the rest of the tree cannot be rebuilt: stop here.
      break;
    }
    for (const [j, leaf] of leaves.entries()) {
      const index = n * TILE_WIDTH + j;
      try {
        decodeLeaf(leaf);
      } catch (e) {
        fail({
          kind: "entry",
          index,
          message: `entry ${index}: ${isLogsealError(e) ? e.message : String(e)}`,
        });
      }
      hashes.push(leafHash(leaf));
    }
    // Tiles before roots, so that a changed entry is reported before the checkpoints it breaks.
    const changed = await appendToTiles(n * TILE_WIDTH, hashes, read);
    for (const t of changed.values()) {
      // Full tiles never change again, and a partial level-0 tile belongs to the last bundle.
      if (t.bytes.length === TILE_WIDTH * HASH_SIZE || t.level === 0) {
        working.delete(`${t.level}/${t.index}`);
        await compareTile(t.level, t.index, t.bytes);
      } else {
        working.set(`${t.level}/${t.index}`, t.bytes);
      }
    }
    for (const [j, h] of hashes.entries()) {
      range.push(h);
      const reached = n * TILE_WIDTH + j + 1;
      if (pending[next]?.size === reached) checkRoot(reached, range.root());
    }
    const done = n * TILE_WIDTH + count;
    const seconds = (performance.now() - started) / 1000;
    progress({ phase: "entries", done, total: size, rate: seconds > 0 ? done / seconds : 0 });
  }
  for (const [key, bytes] of working) {
    const [level, index] = key.split("/").map(Number) as [number, number];
    await compareTile(level, index, bytes);
  }
  for (const c of pending.slice(next)) {
    if (c.size <= size) {
      fail({
        kind: "checkpoint",
        size: c.size,
        message: `checkpoint of size ${c.size} was not reached: entries are missing`,
      });
    }
  }
  progress({ phase: "done", done: size, total: size, rate: 0 });

  if (checkpoints.length > 0 && !checkpoints.some((c) => c.verifiedBy.length > 0)) {
    fail({
      kind: "checkpoint",
      size: checkpoints.at(-1)?.size ?? 0,
      message: "no stored checkpoint is signed by a pinned key: check the --key you pinned",
    });
  }
  return {
    ok: failures.length === 0 && moreFailures === 0,
    origin: reader.origin,
    size,
    entries: size,
    tiles,
    root: toBase64(range.root()),
    checkpoints: checkpoints.map(({ rootBytes: _, ...c }) => c),
    failures,
    moreFailures,
  };
}

/**
 * The right edge of a tree under construction (RFC 9162 §2.1.2's stack): the roots of the
 * maximal perfect subtrees, left to right. `root()` folds them into the tree head.
 */
class CompactRange {
  readonly #hashes: Uint8Array[] = [];
  #size = 0;

  push(h: Uint8Array): void {
    this.#hashes.push(h);
    // Merge as many times as the new size has trailing zero bits.
    for (let s = ++this.#size; s % 2 === 0; s /= 2) {
      const right = this.#hashes.pop() as Uint8Array;
      const left = this.#hashes.pop() as Uint8Array;
      this.#hashes.push(nodeHash(left, right));
    }
  }

  root(): Uint8Array {
    if (this.#hashes.length === 0) return EMPTY_ROOT;
    let r = this.#hashes[this.#hashes.length - 1] as Uint8Array;
    for (let i = this.#hashes.length - 2; i >= 0; i--)
      r = nodeHash(this.#hashes[i] as Uint8Array, r);
    return r;
  }
}
