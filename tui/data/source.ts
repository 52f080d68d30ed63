/**
 * The one interface the screens read the log through. Three implementations: the local store
 * (`LocalSource`, the log opened through the library), a logseal server (`ServerSource`, the
 * HTTP API of formats/http-api.md), and any C2SP tlog-tiles log (`TilesSource`, a directory or
 * an http(s):// prefix; no indexes). Screens never know which one they have.
 *
 * Everything a source returns is what the store or the server claims; the screens check
 * proofs and signatures themselves (`checkInclusion`, `openCheckpoint`) before they say
 * "verified".
 */
import {
  type ConsistencyProof,
  type Entry,
  type Event,
  type Failure,
  type InclusionProof,
  type LineageGraph,
  type LogReader,
  type StoredCheckpoint,
  type Verifier,
  type VerifyProgress,
  type VerifyReport,
  verifyLog,
} from "../../src/index.js";
import type { Filter } from "./filter.js";

/**
 * How often a growing log is announced to the screens, at most: each announcement is a frame
 * (a few ms of Ink's drawing each), and a key pressed while one is drawn waits for it. Four a
 * second keeps the tail live for a reader and leaves the UI thread to the keys.
 */
export const FOLLOW_MS = 250;

/** An entry as lists show it (the leaf bytes are read only for the detail screen). */
export interface Row {
  index: number;
  event: Event;
}

/** Progress of a background scan (filter, search, control counts). */
export interface ScanProgress {
  /** Entries looked at so far, of `total`. */
  done: number;
  total: number;
}

export interface ScanOptions {
  /** The first entry to look at (default 0). */
  from?: number;
  /** Stop before this entry (default: the size when the scan starts). */
  to?: number;
  signal?: AbortSignal;
  /** Matching rows, in index order, a batch at a time. */
  onRows: (rows: Row[]) => void;
  onProgress?: (p: ScanProgress) => void;
}

/** How a scan was answered: through the store's indexes, or by reading every entry. */
export interface ScanResult {
  via: "index" | "scan" | "server";
  /** Why the indexes were not used, when they could have been (E_INDEX_STALE). */
  note?: string;
}

export interface VerifyRun {
  keys: Verifier[];
  signal: AbortSignal;
  onProgress: (p: VerifyProgress) => void;
  onFailure: (f: Failure) => void;
}

/**
 * Runs the verifier for a screen, as both sources do. (measured in src/verify/verify.ts) One
 * hashing worker is no slower than inline on 2 cores, and it keeps the SHA-256 work off the
 * thread that draws the UI; reads are async I/O. The memory the read leaves is given back
 * (`releaseMemory`): the TUI goes on running after it.
 */
export function runVerifier(reader: LogReader, run: VerifyRun): Promise<VerifyReport> {
  return verifyLog(reader, {
    keys: run.keys,
    signal: run.signal,
    onProgress: run.onProgress,
    onFailure: run.onFailure,
    workers: 1,
    releaseMemory: true,
  });
}

/** The window on the events' `ts` that control counts cover. */
export interface Period {
  since?: number;
  until?: number;
}

/** Options of {@link DataSource.controlCounts}. */
export interface CountOptions {
  cap: number;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
}

/** Evidence counts per control id, with the ids whose count stopped at the cap. */
export interface ControlCounts {
  counts: Map<string, number>;
  capped: Set<string>;
  via: ScanResult;
}

export interface DataSource {
  readonly kind: "store" | "server" | "tiles";
  /** Where it reads: the store directory, the server URL, the tiles directory or prefix. */
  readonly label: string;
  readonly origin: string;
  /** The verifier key the store names for itself (not pinned); empty for a tiles log. */
  readonly vkey: string;
  /** The number of entries known now. */
  size(): number;
  /** Calls `onSize` when the log grows (live tail); returns the unsubscribe function. */
  follow(onSize: (size: number) => void): () => void;
  /** Rows `start` .. `start + count - 1` (fewer at the end of the log). */
  rows(start: number, count: number): Promise<Row[]>;
  /** A row already read, or undefined (lists draw from this synchronously). */
  peek(index: number): Row | undefined;
  /** One entry with its exact leaf bytes. */
  entry(index: number): Promise<Entry>;
  /** The rows matching `filter` (all rows without one), in index order, in the data layer. */
  scan(filter: Filter | undefined, options: ScanOptions): Promise<ScanResult>;
  checkpoints(): Promise<StoredCheckpoint[]>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  proveInclusion(index: number, size?: number): Promise<InclusionProof>;
  proveConsistency(from: number, to?: number): Promise<ConsistencyProof>;
  /** Runs the verifier off the UI thread (hashing in a worker); rejects when aborted. */
  verify(run: VerifyRun): Promise<VerifyReport>;
  lineage(asset: string, direction: "up" | "down" | "both"): Promise<LineageGraph>;
  /**
   * Evidence counts per control id for `ts` in [since, until); `capped` holds the controls
   * whose count stopped at `cap` (shown as "cap+").
   */
  controlCounts(period: Period, options: CountOptions): Promise<ControlCounts>;
  close(): Promise<void>;
}
