/**
 * The read contract the verifier, the proof builder and the exporters use. A LevelDB store
 * implements it; a tiles directory reader will implement it too, so the verifier checks both
 * with the same code.
 *
 * All bytes returned are untrusted: a reader reports what is stored, and only a check against a
 * signed checkpoint makes them trustworthy.
 */
export interface LogReader {
  /** The log's origin (its checkpoint's first line and its key name). */
  readonly origin: string;
  /** The number of entries the reader holds. */
  size(): Promise<number>;
  /** Entry bundle `index` as stored (full or partial), or `undefined` when there is none. */
  readBundle(index: number): Promise<Uint8Array | undefined>;
  /** Hash tile (level, index) as stored (full or partial); empty bytes when there is none. */
  readTile(level: number, index: number): Promise<Uint8Array>;
  /** Every stored checkpoint note, ascending by tree size. */
  checkpoints(): AsyncIterable<StoredCheckpoint>;
  /** The checkpoint of the largest size, or `undefined` when none was signed yet. */
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  /** The checkpoint of exactly this size, or `undefined`. */
  checkpointAt(size: number): Promise<StoredCheckpoint | undefined>;
}

/** A signed checkpoint note as stored, keyed by the tree size it commits to. */
export interface StoredCheckpoint {
  size: number;
  /** The full signed note text. */
  note: string;
}
