/**
 * The Merkle layer of logseal: RFC 6962 / RFC 9162 hashing, tree heads, inclusion and
 * consistency proofs, and the C2SP tlog-tiles layout (hash tiles, entry bundles, paths).
 * The byte formats are specified in `formats/merkle.md` and `formats/tiles.md`.
 *
 * Sizes and indexes are safe-integer numbers (≤ 2^53-1). `check*` and `parse*` functions take
 * attacker-controlled input and return false / null instead of throwing; the other functions
 * throw RangeError on programmer misuse and LogsealError `E_STORE_CORRUPT` on damaged tiles.
 */

export { appendToTiles, type TileUpdate } from "./append.js";
export { bundleLeafHashes, hashBackend, hashPairs, perfectRoot } from "./batch.js";
export {
  appendToEntryBundle,
  bundlePrefixLength,
  encodeEntryBundle,
  MAX_ENTRY_SIZE,
  parseEntryBundle,
} from "./bundle.js";
export { checkConsistency, checkInclusion } from "./check.js";
export { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash, sha256 } from "./hash.js";
export {
  type BundleRef,
  bundlesForSize,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileRef,
  tilesForSize,
} from "./layout.js";
export {
  bitLength,
  isPowerOfTwo,
  isSafeNonNegative,
  largestPowerOfTwoLessThan,
} from "./math.js";
export {
  entriesPath,
  formatTileIndex,
  parseTilePath,
  type TilePathInfo,
  tilePath,
} from "./paths.js";
export {
  consistencyPath,
  consistencyProofLength,
  inclusionPath,
  inclusionProofLength,
  proveConsistency,
  proveInclusion,
  type SubtreeHasher,
  type SubtreeRange,
} from "./proof.js";
export {
  proveConsistencyFromTiles,
  proveInclusionFromTiles,
  subtreeHashFromTiles,
  type TileReader,
  treeHashFromTiles,
} from "./tiles.js";
export { perfectTreeHash, splitPoint, treeHash } from "./tree.js";
