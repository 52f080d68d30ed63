/**
 * logseal: the public entry. Everything exported here is the library's contract; nothing else
 * is public. `cli/` and `tui/` import from here only.
 */

export { bytesEqual, fromBase64, fromHex, fromUtf8, toBase64, toHex, utf8 } from "./bytes.js";
export { demoScenario, type ScenarioDay, type ScenarioOptions } from "./demo/scenario.js";
export { type ErrorCode, isLogsealError, type Location, LogsealError } from "./errors.js";
export {
  completeEvent,
  decodeLeaf,
  type Event,
  type EventInput,
  encodeLeaf,
  MAX_LEAF_SIZE,
  parseEventsText,
  validateEvent,
} from "./event/index.js";
export { exportTiles, type TilesExport } from "./export/tiles.js";
export {
  type Appended,
  type AppendOptions,
  checkOrigin,
  type Entry,
  init,
  Log,
  open,
} from "./log.js";
export {
  checkConsistency,
  checkInclusion,
  EMPTY_ROOT,
  entriesPath,
  leafHash,
  nodeHash,
  parseEntryBundle,
  parseTilePath,
  proveConsistency,
  proveInclusion,
  tilePath,
  tilesForSize,
  treeHash,
} from "./merkle/index.js";
export {
  type Checkpoint,
  formatCheckpoint,
  formatVkey,
  generateSigner,
  keyId,
  type NoteSignature,
  type OpenedNote,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  parseNote,
  parseSkey,
  parseVkey,
  type Signer,
  signCheckpoint,
  signNote,
  type Verifier,
} from "./note/index.js";
export {
  type ConsistencyProof,
  type ConsistencyProofJSON,
  consistencyProofToJSON,
  type InclusionProof,
  type InclusionProofJSON,
  inclusionProofToJSON,
} from "./proofs.js";
export type { LogReader, StoredCheckpoint } from "./store/reader.js";
export {
  type CheckpointResult,
  type Failure,
  type VerifyOptions,
  type VerifyProgress,
  type VerifyReport,
  verifyLog,
} from "./verify/verify.js";
