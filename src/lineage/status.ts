/**
 * The state of a store's indexes: their format (`meta/index`) and how many entries they cover
 * (`meta/indexed`). Queries refuse to answer from indexes that are missing, of another format,
 * or behind the log, and say to run `logseal reindex`.
 */
import { fromUtf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import type { LevelStore } from "../store/level-store.js";
import { INDEX_FORMAT, META_INDEX, META_INDEXED } from "./keys.js";

export interface IndexStatus {
  /** The stored format (`logseal-index/3`), or undefined when the store has no indexes. */
  format: string | undefined;
  /** Entries covered: 0 .. indexed-1. */
  indexed: number;
  /** The log's size when the status was read (read first, so indexed ≥ size when current). */
  size: number;
  /**
   * True when the indexes are of this logseal's format and cover the whole log, or the log is
   * empty and has none yet.
   */
  current: boolean;
}

export async function indexStatus(store: LevelStore): Promise<IndexStatus> {
  // The size first: an append that commits between the two reads can only raise `indexed`.
  const size = store.treeSize;
  const [f, n] = await store.getMany([META_INDEX, META_INDEXED]);
  const format = f === undefined ? undefined : (fromUtf8(f) ?? "");
  const text = n === undefined ? "0" : (fromUtf8(n) ?? "");
  const indexed = /^(0|[1-9]\d{0,15})$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(indexed)) {
    throw new LogsealError("E_STORE_CORRUPT", "meta/indexed is damaged: run 'logseal reindex'");
  }
  // An empty log has nothing to index: its indexes start with its first append.
  const current = format === INDEX_FORMAT ? indexed >= size : format === undefined && size === 0;
  return { format, indexed, size, current };
}

/**
 * The index status, when the indexes can answer queries.
 * @throws LogsealError E_INDEX_STALE naming what to run
 */
export async function requireIndex(store: LevelStore): Promise<IndexStatus> {
  if (store.encrypted) throw encryptedStore(store);
  const s = await indexStatus(store);
  if (s.current) return s;
  const fix = `run 'logseal reindex --store ${store.dir}'`;
  const message =
    s.format === undefined
      ? `this store has no lineage and query indexes yet (it was written before they existed): ${fix}`
      : s.format !== INDEX_FORMAT
        ? `the store's indexes are of format ${JSON.stringify(s.format)}; this logseal reads ${INDEX_FORMAT}: ${fix}`
        : `the indexes cover ${s.indexed} of the log's ${s.size} entries (entries were appended by a writer that does not index): ${fix}`;
  throw new LogsealError("E_INDEX_STALE", message, {
    details: { format: s.format ?? null, indexed: s.indexed, size: s.size },
  });
}

/**
 * A store encrypted at rest keeps no lineage or query indexes: their keys and values would hold
 * asset names, actors and actions in clear next to the encrypted entry bundles. Readers that can
 * scan (the TUI, evidence reports) fall back to decrypting the entries, as for any missing index.
 */
export function encryptedStore(store: LevelStore): LogsealError {
  return new LogsealError(
    "E_INDEX_STALE",
    `the store ${store.dir} is encrypted at rest and keeps no lineage or query indexes (they would hold asset names, actors and actions in clear)`,
    { details: { encrypted: true } },
  );
}
