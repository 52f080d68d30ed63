/**
 * The Statement of Applicability (ISO/IEC 27001:2022, 6.1.3 d): every Annex A control, whether
 * it applies and why, how far it is implemented, who owns it, and the event query that
 * evidences it in the log. The file format is specified in formats/soa.md.
 *
 * An SoA file is user input: `checkSoa` reports every problem it finds (not only the first),
 * each naming the control and the field (`controls[3].justification`).
 */
import { type Location, LogsealError } from "../errors.js";
import { isPlainObject } from "../event/schema.js";
import { queryCursor } from "../lineage/query.js";
import { ANNEX_A, control } from "./catalog.js";
import { parseStrictJson } from "./json.js";
import { unknownControlReason } from "./policy.js";

export const SOA_FORMAT = "logseal-soa/v1";

/** Implementation status of a control, as SoA templates and GRC tools name it. */
export const STATUSES = [
  "implemented",
  "partially-implemented",
  "planned",
  "not-implemented",
  "not-applicable",
] as const;
export type Status = (typeof STATUSES)[number];

export interface SoaControl {
  id: string;
  title: string;
  applicable: boolean;
  /** Why it is included, or (required when `applicable` is false) why it is excluded. */
  justification: string;
  status: Status;
  owner: string;
  /**
   * The events that evidence it: `field=value` terms separated by spaces, all of which must
   * hold (`control=A.8.11`, `action=pii.mask outcome=success`); null when the control is
   * evidenced outside this log.
   */
  evidence: string | null;
}

export interface Soa {
  format: typeof SOA_FORMAT;
  organization: string;
  scope: string;
  version: string;
  approvedBy: string;
  /** When it was last reviewed (free text, ISO 8601 recommended). */
  reviewed: string;
  controls: SoaControl[];
}

/** One thing wrong with an SoA file. */
export interface SoaProblem {
  code: "E_SOA_INVALID";
  /** The control it concerns, when there is one. */
  control?: string;
  /** Where in the file (`controls[3].justification`, `controls`, `format`). */
  field: string;
  message: string;
}

/** The fields of an evidence query, as `logseal query` has them. */
export interface EvidenceQuery {
  actor?: string;
  action?: string;
  asset?: string;
  control?: string;
  outcome?: string;
}

const QUERY_FIELDS = ["actor", "action", "asset", "control", "outcome"] as const;
const TOP_FIELDS = [
  "format",
  "organization",
  "scope",
  "version",
  "approvedBy",
  "reviewed",
  "controls",
];
const ROW_FIELDS = ["id", "title", "applicable", "justification", "status", "owner", "evidence"];

/** A template listing every control: applicable, not implemented, evidenced by its own id. */
export function soaTemplate(): Soa {
  return {
    format: SOA_FORMAT,
    organization: "",
    scope: "",
    version: "1",
    approvedBy: "",
    reviewed: "",
    controls: ANNEX_A.map((c) => ({
      id: c.id,
      title: c.title,
      applicable: true,
      justification: "",
      status: "not-implemented",
      owner: "",
      evidence: `control=${c.id}`,
    })),
  };
}

/**
 * Parses an evidence query (`action=pii.mask outcome=success`).
 * @returns the query, or the reason it is not one
 */
export function parseEvidenceQuery(text: string): EvidenceQuery | string {
  const terms = text
    .trim()
    .split(/\s+/)
    .filter((t) => t !== "");
  if (terms.length === 0) return "the query is empty: write field=value terms, or null";
  const q: EvidenceQuery = {};
  for (const t of terms) {
    const eq = t.indexOf("=");
    const field = eq < 0 ? t : t.slice(0, eq);
    if (eq < 0 || !(QUERY_FIELDS as readonly string[]).includes(field)) {
      return `${JSON.stringify(t)} is not a term field=value with field one of ${QUERY_FIELDS.join(", ")}`;
    }
    const f = field as (typeof QUERY_FIELDS)[number];
    if (q[f] !== undefined) return `${f} is given twice`;
    q[f] = t.slice(eq + 1);
  }
  if (q.control !== undefined) {
    const why = unknownControlReason(q.control);
    if (why !== undefined) return why;
  }
  try {
    queryCursor(q, -1); // checks every value as `logseal query` does
  } catch (e) {
    if (e instanceof LogsealError)
      return `${e.location?.field?.replace(/^--/, "") ?? ""}: ${e.message}`;
    throw e;
  }
  return q;
}

/** Checks a parsed SoA: the SoA when it is valid, and every problem found. */
export function checkSoa(value: unknown): { soa?: Soa; problems: SoaProblem[] } {
  const problems: SoaProblem[] = [];
  const add = (field: string, message: string, id?: string) =>
    problems.push({
      code: "E_SOA_INVALID",
      ...(id === undefined ? {} : { control: id }),
      field,
      message,
    });
  if (!isPlainObject(value)) {
    add("", "an SoA must be a JSON object (logseal soa init writes a template)");
    return { problems };
  }
  for (const k of Object.keys(value)) {
    if (!TOP_FIELDS.includes(k)) add(k, `unknown field: an SoA has ${TOP_FIELDS.join(", ")}`);
  }
  if (value.format !== SOA_FORMAT) add("format", `format must be ${JSON.stringify(SOA_FORMAT)}`);
  const text = (k: string): string => {
    const v = value[k];
    if (v === undefined) return "";
    if (typeof v !== "string") add(k, `${k} must be a string`);
    return typeof v === "string" ? v : "";
  };
  const soa: Soa = {
    format: SOA_FORMAT,
    organization: text("organization"),
    scope: text("scope"),
    version: text("version"),
    approvedBy: text("approvedBy"),
    reviewed: text("reviewed"),
    controls: [],
  };
  const rows = value.controls;
  if (!Array.isArray(rows)) {
    add("controls", "controls must be an array with one entry per Annex A control");
    return { problems };
  }
  const seen = new Map<string, number>();
  for (const [i, r] of rows.entries()) {
    const at = `controls[${i}]`;
    if (!isPlainObject(r)) {
      add(
        at,
        "each control must be an object {id, applicable, justification, status, owner, evidence}",
      );
      continue;
    }
    const id = r.id;
    if (typeof id !== "string") {
      add(`${at}.id`, "id must be an Annex A id such as A.8.11");
      continue;
    }
    const why = unknownControlReason(id);
    if (why !== undefined) {
      add(`${at}.id`, why, id);
      continue;
    }
    const before = seen.get(id);
    if (before !== undefined) {
      add(
        `${at}.id`,
        `${id} is listed twice, at controls[${before}] and controls[${i}]: list it once`,
        id,
      );
      continue;
    }
    seen.set(id, i);
    const n = problems.length;
    for (const k of Object.keys(r)) {
      if (!ROW_FIELDS.includes(k))
        add(`${at}.${k}`, `unknown field: a control has ${ROW_FIELDS.join(", ")}`, id);
    }
    if (typeof r.applicable !== "boolean") {
      add(`${at}.applicable`, `${id}: applicable must be true or false`, id);
    }
    const applicable = r.applicable === true;
    const justification = typeof r.justification === "string" ? r.justification.trim() : "";
    if (r.justification !== undefined && typeof r.justification !== "string") {
      add(`${at}.justification`, `${id}: justification must be a string`, id);
    } else if (r.applicable === false && justification === "") {
      add(
        `${at}.justification`,
        `${id} is excluded (applicable: false) without a justification: say why it does not apply`,
        id,
      );
    }
    const status = r.status ?? (applicable ? "not-implemented" : "not-applicable");
    if (!(STATUSES as readonly unknown[]).includes(status)) {
      add(`${at}.status`, `${id}: status must be one of ${STATUSES.join(", ")}`, id);
    } else if (r.applicable === false && status !== "not-applicable") {
      add(`${at}.status`, `${id} is excluded, so its status must be not-applicable`, id);
    } else if (applicable && status === "not-applicable") {
      add(`${at}.status`, `${id} is applicable, so its status cannot be not-applicable`, id);
    }
    if (r.owner !== undefined && typeof r.owner !== "string") {
      add(`${at}.owner`, `${id}: owner must be a string`, id);
    }
    let evidence: string | null = null;
    if (r.evidence === undefined) evidence = `control=${id}`;
    else if (r.evidence !== null) {
      if (typeof r.evidence !== "string") {
        add(`${at}.evidence`, `${id}: evidence must be a query string (control=${id}) or null`, id);
      } else {
        const q = parseEvidenceQuery(r.evidence);
        if (typeof q === "string") add(`${at}.evidence`, `${id}: ${q}`, id);
        evidence = r.evidence.trim();
      }
    }
    if (problems.length > n) continue;
    soa.controls.push({
      id,
      title: control(id)?.title ?? "",
      applicable,
      justification,
      status: status as Status,
      owner: typeof r.owner === "string" ? r.owner : "",
      evidence,
    });
  }
  for (const c of ANNEX_A) {
    if (!seen.has(c.id)) {
      add(
        "controls",
        `${c.id} (${c.title}) is missing: list every Annex A control once, applicable or excluded with a justification`,
        c.id,
      );
    }
  }
  if (problems.length > 0) return { problems };
  // In the standard's order, whatever the file's order.
  const order = new Map(ANNEX_A.map((c, i) => [c.id, i]));
  soa.controls.sort((a, b) => (order.get(a.id) as number) - (order.get(b.id) as number));
  return { soa, problems };
}

/**
 * Parses and checks an SoA file.
 * @throws LogsealError E_SOA_INVALID for the first problem (naming the file, control and
 *   field); `details.problems` lists them all
 */
export function parseSoa(text: string, file?: string): Soa {
  const { soa, problems } = checkSoa(parseStrictJson(text, "E_SOA_INVALID", "the SoA", file));
  if (soa !== undefined) return soa;
  const p = problems[0] as SoaProblem;
  const location: Location = { field: p.field };
  if (file !== undefined) location.file = file;
  const more =
    problems.length > 1
      ? ` (and ${problems.length - 1} more problems: run 'logseal soa check')`
      : "";
  throw new LogsealError("E_SOA_INVALID", `${p.message}${more}`, {
    location,
    details: { problems },
  });
}

/**
 * Parses an SoA file's JSON strictly (duplicate keys are an error), for `checkSoa`.
 * @throws LogsealError E_SOA_INVALID naming the file and line of a syntax error
 */
export function readSoaJson(text: string, file?: string): unknown {
  return parseStrictJson(text, "E_SOA_INVALID", "the SoA", file);
}
