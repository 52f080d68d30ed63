/**
 * ISO/IEC 27001:2022 evidence: the Annex A catalog, the 2013 → 2022 correspondence, controls
 * policies applied at append, the Statement of Applicability, evidence reports and evidence
 * bundles.
 */

export {
  BUNDLE_FORMAT,
  type BundleEntry,
  type BundleFailure,
  type BundleManifest,
  type BundleOptions,
  type BundleResult,
  type EvidenceBundle,
  exportBundle,
  MAX_BUNDLE_BYTES,
  verifyBundle,
} from "./bundle.js";
export { ANNEX_A, type Control, control, THEMES, type Theme } from "./catalog.js";
export {
  type ControlEvidence,
  EVIDENCE_REPORT_FORMAT,
  type EvidenceOptions,
  type EvidenceReport,
  type EvidenceSample,
  evidenceReport,
} from "./evidence.js";
export { ISO_2013_CONTROLS, successors2022 } from "./legacy.js";
export {
  CONTROLS_POLICY_FORMAT,
  type ControlsPolicy,
  type ControlsRule,
  DEFAULT_CONTROLS_POLICY,
  NO_CONTROLS_POLICY,
  parseControlsPolicy,
  unknownControlReason,
  validateControlsPolicy,
} from "./policy.js";
export { evidenceToHtml, evidenceToMarkdown } from "./render.js";
export {
  checkSoa,
  type EvidenceQuery,
  parseEvidenceQuery,
  parseSoa,
  readSoaJson,
  SOA_FORMAT,
  type Soa,
  type SoaControl,
  type SoaProblem,
  STATUSES,
  type Status,
  soaTemplate,
} from "./soa.js";
export { CONTROLS_POLICY_FILE, controlsTransform, storeControlsPolicy } from "./transform.js";
