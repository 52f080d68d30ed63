/**
 * The verifier: rebuilds the tree from the stored entries and checks it against everything the
 * store claims. It reads only through {@link LogReader}, so a LevelDB store and a tiles
 * directory are verified by the same code.
 *
 * Steps, in this order (each in its own module):
 *  1. checkpoints (`checkpoints.ts`): open every stored checkpoint note with the pinned keys
 *     (C2SP: unknown keys ignored, a bad signature from a pinned key fails) and parse it;
 *  2. consistency (`incremental.ts`, only with `since`): prove the latest checkpoint consistent
 *     with the auditor's saved one and load the tree's right edge at it from the stored tiles;
 *  3. entries (`read.ts` → `chunk.ts` → `engine.ts`): read the entry bundles in chunks ahead of
 *     the hashing, parse each strictly and hash its leaves (in worker threads when that pays),
 *     compare every level-0 tile, then combine in order: every higher tile is rebuilt and
 *     compared, and the tree head at each checkpoint's size is compared with its signed root;
 *  4. size: nothing may be stored beyond the tree size (a lowered size hides entries);
 *  5. signed: at least one checked checkpoint must carry a pinned signature.
 *
 * Failures carry their evidence (indexes, expected and actual hashes, signer) and verification
 * goes on after the first one wherever the tree can still be rebuilt, up to `maxFailures`
 * listed; the rest are counted.
 *
 * Speed: leaves are hashed a bundle at a time and tile levels a tile at a time
 * (`merkle/batch.ts`, native SHA-256 when built), tiles compared whole, only the right edge of
 * the tree kept in memory, bundles and tiles read by key range with chunks read ahead of the
 * hashing, and LevelDB opened with few table files (see `openStoreForVerify`). Memory stays
 * bounded whatever the log size. The README's benchmark table has the measured rates.
 */
import { toBase64 } from "../bytes.js";
import { TILE_WIDTH } from "../merkle/index.js";
import type { Verifier } from "../note/index.js";
import type { VaultKeySource } from "../store/keys.js";
import { LevelStore } from "../store/level-store.js";
import type { LogReader, StoredCheckpoint } from "../store/reader.js";
import { type OpenCheckpoint, openStoredCheckpoints } from "./checkpoints.js";
import { RightEdge } from "./edge.js";
import { type ExpectedRoot, TreeBuilder } from "./engine.js";
import { openSavedCheckpoint, planSince, type SincePlan } from "./incremental.js";
import { collectBuffers, releaseMemory } from "./memory.js";
import { type ChunkHasher, hashInOrder, inlineHasher, PER_WORKER, startWorkers } from "./pool.js";
import { readAhead, readChunks } from "./read.js";
import {
  type CheckpointResult,
  type Failure,
  FailureList,
  type VerifyProgress,
  type VerifyReport,
} from "./report.js";

export interface VerifyOptions {
  /** The keys the auditor pins. Signatures from other keys are ignored. */
  keys: Verifier[];
  /** List at most this many failures (default 100); the rest are counted. */
  maxFailures?: number;
  onProgress?: (p: VerifyProgress) => void;
  /** Called with each listed failure as it is found (the TUI lists them live). */
  onFailure?: (f: Failure) => void;
  /** Cancels the verification: it rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * A signed checkpoint note the auditor saved earlier: verify incrementally from it (prove
   * consistency, rebuild only the entries after it).
   */
  since?: string;
  /** Also decode every leaf as a canonical event of schema v1 (slow; integrity does not need it). */
  checkEvents?: boolean;
  /**
   * Worker threads hashing chunks while the main thread reads (default 0: hash inline).
   * (measured) On the 2-core development machine two workers were no faster than inline
   * hashing with the native SHA-256 (10M events: 0.42–0.48M/s against 0.46–0.65M/s, under
   * load) and took 70–90 MB more memory, so they are opt-in; more cores may change that.
   */
  workers?: number;
  /**
   * Give back the memory the read leaves resident (`memory.ts`): the store's mapped tables
   * every `PAGE_OUT_EVERY` (16,384) entries read, the Buffers of the values read once they pass
   * 24 MB (checked every `COLLECT_EVERY`, 8,192, entries), and the tables and the heap's free
   * pages at the end. For a
   * process that goes on running (the TUI), not a CLI run.
   */
  releaseMemory?: boolean;
}

/**
 * How often, in entries read, a verify with `releaseMemory` pages the store's tables out and
 * checks whether the values' Buffers call for a collection: by what was read, not by the
 * clock, so that a verify that reads faster leaves no more behind. The heap is trimmed only at
 * the end.
 * (measured, the real `logseal tui` on 10M events, 2026-11-26)
 *  - Paging out every second (load 8-10): 27.2 s against 26.7 s without; trimming as well every
 *    second took 69.5 s (malloc_trim holds each arena's lock while it walks it, and the pages
 *    it gives back are faulted in again by the next reads).
 *  - By the clock, at load 6-11 the verify took 28-40 s and every 250 ms left 62-68 MB of
 *    file-backed memory at most (53 MB of it Node's own binary); on a quiet machine it took
 *    12 s, read three times as much between two page-outs and collections, and peaked at
 *    225-237 MB (three runs, load 2.3-2.7).
 *  - By entries (these values), quiet machine (load 0.6-2.6): peak 182-187 MB in five runs
 *    (file-backed 55-57 MB: the tables no longer add to it), the verify 18.6-21.6 s. Paging out
 *    every 32,768 entries instead: 186 MB. With a full collection done at once instead of a
 *    concurrent one: 195-226 MB and 8-10 s, the anonymous memory varying from run to run by
 *    as much as the target's margin; the TUI keeps the bound and gives up the speed (the CLI's
 *    verify, which exits, does none of this: 12.5 s, 0.8M entries/s).
 */
const PAGE_OUT_EVERY = 16_384;
const COLLECT_EVERY = 8_192;

/** Pages tables out and collects, by entries read, one page-out at a time, off this thread. */
class Releaser {
  readonly #storeDir: string | undefined;
  #busy: Promise<unknown> | undefined;
  #sincePageOut = 0;
  #sinceCollect = 0;

  constructor(reader: LogReader) {
    this.#storeDir = reader instanceof LevelStore ? reader.dir : undefined;
  }

  /** After `entries` more entries were read. */
  tick(entries: number): void {
    this.#sinceCollect += entries;
    if (this.#sinceCollect >= COLLECT_EVERY) {
      this.#sinceCollect = 0;
      collectBuffers();
    }
    this.#sincePageOut += entries;
    if (this.#busy !== undefined || this.#sincePageOut < PAGE_OUT_EVERY) return;
    this.#sincePageOut = 0;
    this.#busy = releaseMemory({ storeDir: this.#storeDir }).finally(() => {
      this.#busy = undefined;
    });
  }

  /** Pages out and trims the heap, once the read is over. */
  async final(): Promise<void> {
    await this.#busy;
    await releaseMemory({ storeDir: this.#storeDir, trim: true });
  }
}

/**
 * LevelDB maps every open table file into memory, and the pages it reads count in the
 * process's RSS. (measured) Verifying 10M events (1 GB of tables) with LevelDB's default of 1000
 * open files peaked at 1164 MB RSS, 1051 MB of it mapped tables; with 74 open files, LevelDB's
 * minimum (64 tables cached, about 135 MB of 2 MB tables), it peaked at 272 MB, at the same rate.
 */
export const VERIFY_MAX_OPEN_FILES = 74;

/**
 * Opens the LevelDB store in `dir` for verification (read in one pass, with bounded memory);
 * close it when done. An encrypted store needs `options.vaultKey` (or `<store>/vault.key`).
 * @throws LogsealError E_STORE_MISSING, E_STORE_LOCKED, E_STORE_VERSION, E_STORE_CORRUPT, E_IO
 */
export function openStoreForVerify(
  dir: string,
  options: { vaultKey?: VaultKeySource } = {},
): Promise<LevelStore> {
  return LevelStore.open(dir, { ...options, maxOpenFiles: VERIFY_MAX_OPEN_FILES });
}

/**
 * Bundles per chunk: 4,096 entries, about 1.2 MB of bundles (the unit of work of a worker).
 * (measured) Smaller chunks and a short read-ahead keep the garbage the LevelDB values leave
 * for the collector small: peak anonymous memory 94 MB with 16 bundles and 3 chunks ahead,
 * 120 MB with 64 bundles and 2 ahead, at the same rate.
 */
const CHUNK_BUNDLES = 16;
const READ_AHEAD = 3;

/**
 * Verifies everything `reader` holds (or, with `since`, everything after the auditor's saved
 * checkpoint). Never throws on bad stored data: it reports it.
 * @throws LogsealError from the reader (E_IO, E_STORE_CORRUPT); with `since`, the code of why
 *   the saved checkpoint does not open (bad input); the signal's reason when aborted
 */
export async function verifyLog(reader: LogReader, options: VerifyOptions): Promise<VerifyReport> {
  const { keys, signal } = options;
  const failures = new FailureList(options.maxFailures ?? 100, options.onFailure);
  const progress = options.onProgress ?? (() => {});
  const readTile = (level: number, index: number) => reader.readTile(level, index);
  signal?.throwIfAborted();
  const since =
    options.since === undefined
      ? undefined
      : openSavedCheckpoint(options.since, keys, reader.origin);
  const size = await reader.size();
  const bundles = Math.ceil(size / TILE_WIDTH);

  // 1. checkpoints
  progress({ phase: "checkpoints", done: 0, total: size, rate: 0 });
  const stored: StoredCheckpoint[] = [];
  for await (const c of reader.checkpoints()) stored.push(c);
  signal?.throwIfAborted();
  let opened = openStoredCheckpoints(stored, keys, reader.origin, size, failures);

  // 2. consistency
  let plan: SincePlan | undefined;
  if (since !== undefined) {
    progress({ phase: "consistency", done: 0, total: size, rate: 0 });
    opened = opened.filter((c) => c.result.size >= since.checkpoint.size);
    plan = await planSince(since, opened, size, readTile, failures);
  }
  const start = plan?.start ?? 0;
  const expected = expectedRoots(opened, plan, failures);

  // 3. entries
  const builder = new TreeBuilder({
    size,
    start,
    edge: plan?.edge ?? new RightEdge(),
    expected,
    readTile,
    failures,
  });
  let root: Uint8Array | undefined;
  if (plan === undefined || plan.rebuild) {
    const releaser = options.releaseMemory === true ? new Releaser(reader) : undefined;
    try {
      await rebuild(reader, builder, start, bundles, size, options, failures.count, releaser);
      root = await builder.finish();
    } finally {
      await releaser?.final();
    }
  }

  // 4. size
  if (!builder.lost && (plan === undefined || plan.rebuild)) {
    const beyond = await reader.readBundle(bundles);
    if (beyond !== undefined) {
      failures.add({
        kind: "size",
        size,
        bundle: bundles,
        message: `entry bundle ${bundles} is stored beyond the tree size ${size}: the stored tree size may have been lowered to hide entries`,
      });
    }
  }

  // 5. signed
  const checked = opened.map((c) => c.result);
  if (checked.length > 0 && !checked.some((c) => c.verifiedBy.length > 0)) {
    failures.add({
      kind: "checkpoint",
      size: checked.at(-1)?.size ?? 0,
      message: "no stored checkpoint is signed by a pinned key: check the --key you pinned",
    });
  }
  progress({ phase: "done", done: builder.entries, total: builder.entries, rate: 0 });

  return {
    ok: failures.count === 0,
    mode: since === undefined ? "full" : "incremental",
    origin: reader.origin,
    size,
    start: start * TILE_WIDTH,
    entries: builder.entries,
    tiles: builder.tiles,
    root: root === undefined ? "" : toBase64(root),
    checkpoints: checked,
    ...(plan !== undefined ? { since: plan.since } : {}),
    ...(plan?.latest !== undefined ? { latest: plan.latest } : {}),
    ...(plan?.consistency !== undefined ? { consistency: plan.consistency } : {}),
    eventsChecked: options.checkEvents === true,
    failures: failures.list,
    moreFailures: failures.more,
  };
}

/** The roots the rebuild must reach: each opened checkpoint's, and the saved one's. */
function expectedRoots(
  opened: OpenCheckpoint[],
  plan: SincePlan | undefined,
  failures: FailureList,
): ExpectedRoot[] {
  const out: ExpectedRoot[] = [];
  for (const c of opened) {
    const signed = c.root;
    if (signed === undefined) continue;
    const r: CheckpointResult = c.result;
    out.push({
      size: r.size,
      settle: (rebuilt) => {
        if (rebuilt !== undefined && Buffer.from(signed).equals(Buffer.from(rebuilt))) {
          r.ok = true;
          return;
        }
        const signer = r.verifiedBy.join(", ");
        failures.add(
          rebuilt === undefined
            ? {
                kind: "checkpoint",
                size: r.size,
                signer: r.verifiedBy[0] as string,
                message: `checkpoint of size ${r.size} was not reached: entries are missing`,
              }
            : {
                kind: "checkpoint",
                size: r.size,
                signer: r.verifiedBy[0] as string,
                expected: toBase64(rebuilt),
                actual: r.root,
                message: `checkpoint of size ${r.size} signed by ${signer} has root ${r.root}, but the entries give ${toBase64(rebuilt)}`,
              },
        );
      },
    });
  }
  if (plan?.expected !== undefined) out.push(plan.expected);
  // Stable: at equal sizes the stored checkpoint is settled before the saved one.
  return out.sort((a, b) => a.size - b.size);
}

/** Reads, hashes and combines bundles [start, end) in order. */
async function rebuild(
  reader: LogReader,
  builder: TreeBuilder,
  start: number,
  end: number,
  size: number,
  options: VerifyOptions,
  failuresSoFar: number,
  releaser: Releaser | undefined,
): Promise<void> {
  const { signal } = options;
  const progress = options.onProgress ?? (() => {});
  const total = Math.max(0, size - start * TILE_WIDTH);
  const maxFailures = Math.max(1, (options.maxFailures ?? 100) - failuresSoFar);
  const wanted = options.workers ?? 0;
  const hasher: ChunkHasher =
    wanted > 0 ? ((await startWorkers(wanted)) ?? inlineHasher) : inlineHasher;
  const began = performance.now();
  try {
    const chunks = readAhead(readChunks(reader, start, end, CHUNK_BUNDLES), READ_AHEAD);
    const jobs = (async function* () {
      for await (const c of chunks) {
        yield {
          ...c,
          size,
          keep: builder.keep(c.first, c.bundles.length),
          checkEvents: options.checkEvents === true,
          maxFailures,
        };
      }
    })();
    const results = hashInOrder(
      jobs,
      (j) => hasher.hash(j),
      Math.max(1, PER_WORKER * hasher.threads),
    );
    progress({ phase: "entries", done: 0, total, rate: 0 });
    for await (const r of results) {
      signal?.throwIfAborted();
      if (!(await builder.apply(r))) break;
      releaser?.tick(r.count * TILE_WIDTH);
      const done = Math.min(total, (r.first + r.count - start) * TILE_WIDTH);
      const seconds = (performance.now() - began) / 1000;
      progress({ phase: "entries", done, total, rate: seconds > 0 ? done / seconds : 0 });
    }
  } finally {
    await hasher.close();
  }
}
