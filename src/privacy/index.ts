/**
 * The privacy layer: detection of personal data and secrets, masking policies, display masks,
 * salted commitments and pseudonyms. Specification: formats/privacy-policy.md.
 *
 * Pure functions: no store, no I/O. The vault (encrypted values per subject), erasure and
 * reveal build on `maskEvent`'s `secrets`.
 */

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
