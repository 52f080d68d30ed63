/**
 * An in-memory {@link LogReader} for unit tests, built with the pure Merkle functions: the same
 * bundles, tiles and checkpoints a store of these leaves would hold. Tests tamper with its maps
 * directly. It runs the reader conformance suite like the real readers.
 */
import {
  type LogReader,
  leafHash,
  parseSkey,
  type Signer,
  type StoredCheckpoint,
  signCheckpoint,
  tilesForSize,
  treeHash,
} from "../../src/index.js";
import { encodeEntryBundle, HASH_SIZE, perfectRoot, TILE_WIDTH } from "../../src/merkle/index.js";

export class MemoryReader implements LogReader {
  readonly origin: string;
  treeSize: number;
  readonly bundleMap = new Map<number, Uint8Array>();
  /** Keyed `${level}/${index}`. */
  readonly tileMap = new Map<string, Uint8Array>();
  /** Keyed by size. */
  readonly checkpointMap = new Map<number, string>();

  constructor(origin: string, size: number) {
    this.origin = origin;
    this.treeSize = size;
  }

  async size(): Promise<number> {
    return this.treeSize;
  }

  async readBundle(index: number): Promise<Uint8Array | undefined> {
    return this.bundleMap.get(index);
  }

  async readTile(level: number, index: number): Promise<Uint8Array> {
    return this.tileMap.get(`${level}/${index}`) ?? new Uint8Array(0);
  }

  async *checkpoints(): AsyncIterable<StoredCheckpoint> {
    for (const size of [...this.checkpointMap.keys()].sort((a, b) => a - b)) {
      yield { size, note: this.checkpointMap.get(size) as string };
    }
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const size = Math.max(-1, ...this.checkpointMap.keys());
    return size < 0 ? undefined : { size, note: this.checkpointMap.get(size) as string };
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | undefined> {
    const note = this.checkpointMap.get(size);
    return note === undefined ? undefined : { size, note };
  }
}

/** A test log: its leaves, their hashes, the signer, and a reader holding it all. */
export interface TestLog {
  reader: MemoryReader;
  leaves: Uint8Array[];
  hashes: Uint8Array[];
  signer: Signer;
  /** The signed checkpoint note of a size (signed on demand; not stored). */
  sign: (size: number, root?: Uint8Array) => string;
  root: (size: number) => Uint8Array;
}

/** Leaf i is the ASCII text `entry-<i>` unless `leaf` says otherwise. */
export function buildLog(
  size: number,
  options: {
    skey: string;
    checkpoints?: number[];
    leaf?: (i: number) => Uint8Array;
  },
): TestLog {
  const signer = parseSkey(options.skey);
  const leaf = options.leaf ?? ((i: number) => new TextEncoder().encode(`entry-${i}`));
  const leaves = Array.from({ length: size }, (_, i) => leaf(i));
  const hashes = leaves.map(leafHash);
  const reader = new MemoryReader(signer.name, size);
  for (let n = 0; n * TILE_WIDTH < size; n++) {
    reader.bundleMap.set(n, encodeEntryBundle(leaves.slice(n * TILE_WIDTH, (n + 1) * TILE_WIDTH)));
  }
  // Level L hashes: level 0 the leaf hashes, level L+1 the roots of full level-L tiles.
  let level: Uint8Array[] = hashes;
  for (let L = 0; level.length > 0; L++) {
    const next: Uint8Array[] = [];
    for (let n = 0; n * TILE_WIDTH < level.length; n++) {
      const part = level.slice(n * TILE_WIDTH, (n + 1) * TILE_WIDTH);
      const bytes = new Uint8Array(part.length * HASH_SIZE);
      for (const [j, h] of part.entries()) bytes.set(h, j * HASH_SIZE);
      reader.tileMap.set(`${L}/${n}`, bytes);
      if (part.length === TILE_WIDTH) next.push(perfectRoot(bytes));
    }
    level = next;
  }
  const expectedTiles = tilesForSize(size).length;
  if (reader.tileMap.size !== expectedTiles) throw new Error("buildLog: tile count");
  const roots = new Map<number, Uint8Array>();
  const root = (n: number) => {
    let r = roots.get(n);
    if (r === undefined) {
      r = treeHash(hashes.slice(0, n));
      roots.set(n, r);
    }
    return r;
  };
  const sign = (n: number, r?: Uint8Array) =>
    signCheckpoint({ origin: signer.name, size: n, root: r ?? root(n), extensions: [] }, signer);
  for (const n of options.checkpoints ?? []) reader.checkpointMap.set(n, sign(n));
  return { reader, leaves, hashes, signer, sign, root };
}
