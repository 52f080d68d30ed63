/**
 * The Statement of Applicability of the demo's organisation: a cloud-only ML platform team.
 * Physical controls are excluded (no premises of its own), as is outsourced development; the
 * controls its audit log evidences name event queries; the rest are evidenced by documents
 * kept outside the log. A few applicable controls name queries that the demo's events do not
 * meet, so the demo's evidence report shows gaps as well.
 */
import { ANNEX_A } from "../controls/catalog.js";
import { SOA_FORMAT, type Soa, type SoaControl } from "../controls/soa.js";

/** Controls evidenced by the demo log, with their owner. */
const IN_LOG: Record<string, { owner: string; why: string }> = {
  "A.5.9": {
    owner: "data-platform",
    why: "datasets and models are registered as they are created",
  },
  "A.5.14": { owner: "ml-platform", why: "model exports leave the organisation" },
  "A.5.15": { owner: "security", why: "role-based access to datasets" },
  "A.5.34": { owner: "privacy-officer", why: "customer data holds personal data (GDPR)" },
  "A.8.3": { owner: "security", why: "raw data is restricted to the ingest service" },
  "A.8.10": { owner: "privacy-officer", why: "erasure requests under GDPR Art. 17" },
  "A.8.11": { owner: "data-platform", why: "personal data is masked before training" },
  "A.8.12": { owner: "ml-platform", why: "models may memorise training data" },
  "A.8.15": { owner: "sre", why: "the audit log itself" },
  "A.8.32": { owner: "ml-platform", why: "feature builds and models are changes to production" },
};

/** Applicable, with a query the demo's events never meet: the report lists them as gaps. */
const GAPS: Record<string, { owner: string; why: string }> = {
  "A.5.24": { owner: "security", why: "incidents on training data must be handled" },
  "A.8.13": { owner: "sre", why: "datasets and models are backed up" },
  "A.8.24": { owner: "security", why: "signing keys and vault keys are managed" },
};

const EXCLUDED_WHY: Record<string, string> = {
  "A.8.30": "no development is outsourced: every pipeline is built in-house",
};

export function demoSoa(): Soa {
  const controls: SoaControl[] = ANNEX_A.map((c) => {
    const inLog = IN_LOG[c.id];
    const gap = GAPS[c.id];
    if (c.theme === "physical" || EXCLUDED_WHY[c.id] !== undefined) {
      return {
        id: c.id,
        title: c.title,
        applicable: false,
        justification:
          EXCLUDED_WHY[c.id] ??
          "no premises or equipment of our own: all processing runs at the cloud provider, whose physical controls are covered by A.5.19-A.5.23",
        status: "not-applicable",
        owner: "",
        evidence: null,
      };
    }
    if (inLog !== undefined || gap !== undefined) {
      const x = (inLog ?? gap) as { owner: string; why: string };
      return {
        id: c.id,
        title: c.title,
        applicable: true,
        justification: `risk treatment: ${x.why}`,
        status: inLog !== undefined ? "implemented" : "planned",
        owner: x.owner,
        evidence: `control=${c.id}`,
      };
    }
    return {
      id: c.id,
      title: c.title,
      applicable: true,
      justification: "ISMS baseline",
      status: "implemented",
      owner: "ciso",
      evidence: null,
    };
  });
  return {
    format: SOA_FORMAT,
    organization: "Acme ML (demo)",
    scope: "training data and models of the support-intent product",
    version: "1",
    approvedBy: "carol (CISO)",
    reviewed: "2026-11-01",
    controls,
  };
}
