/**
 * Signed notes, keys, checkpoints and cosignatures: the public names of `src/note`.
 * Specification: formats/checkpoint.md.
 */

export {
  type Checkpoint,
  formatCheckpoint,
  MAX_TREE_SIZE,
  type OpenedCheckpoint,
  openCheckpoint,
  originProblem,
  parseCheckpoint,
  ROOT_SIZE,
  signCheckpoint,
} from "./checkpoint.js";
export {
  COSIGNATURE_V1_SIZE,
  cosignatureMessage,
  cosignatureTimestamp,
  cosignatureVerifier,
  cosigner,
  SIG_TYPE_COSIGNATURE_V1,
} from "./cosignature.js";
export {
  formatSkey,
  formatVkey,
  generateSigner,
  isValidKeyName,
  keyId,
  keyNameProblem,
  parseSkey,
  parseVkey,
  SIG_TYPE_ED25519,
  type Signer,
  type Verifier,
  vkeyFromSkey,
} from "./keys.js";
export {
  MAX_NOTE_SIGNATURES,
  type NoteSignature,
  type OpenedNote,
  openNote,
  type ParsedNote,
  parseNote,
  signNote,
} from "./note.js";
