/**
 * The privacy layer: detection of personal data and secrets, masking policies, display masks,
 * salted commitments and pseudonyms. Specification: formats/privacy-policy.md.
 *
 * The detectors, policies and `maskEvent` are pure functions: no store, no I/O. The vault
 * (encrypted values per subject, vault.ts), masking at append (hook.ts), erasure and reveal
 * (access.ts) build on `maskEvent`'s `secrets`.
 */

export {
  type AccessOptions,
  type ErasureReport,
  eraseSubject,
  type LogAccess,
  type PrivacyInit,
  type RevealedValue,
  type RevealReport,
  revealEntry,
} from "./access.js";
export { commitValue, pseudonym, SALT_LENGTH, verifyCommitment } from "./commit.js";
export { type DetectOptions, detect } from "./detect.js";
export { displayMask, type MaskKind } from "./display.js";
export { type Finding, KINDS, type Kind } from "./finding.js";
export {
  MASKED_FIELD,
  type MaskedSecret,
  type MaskKeys,
  type MaskOptions,
  type MaskRecord,
  type MaskResult,
  maskEvent,
} from "./mask.js";
export {
  ACTIONS,
  type Action,
  DEFAULT_POLICY,
  MAX_RULES,
  type Policy,
  type PolicyRule,
  parsePolicy,
  validatePolicy,
} from "./policy.js";
export { type RotationReport, rotateVaultKey } from "./rotate.js";
