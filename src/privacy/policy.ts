/**
 * Privacy policies: which values of an event are masked, pseudonymised, dropped or kept.
 * The file format is specified in formats/privacy-policy.md (example first, then the rules).
 *
 * A policy file is attacker-controlled in the sense that it is user input: it is parsed
 * strictly (no duplicate keys, no unknown fields), and every error names the rule and the
 * field (`rules[2].path`).
 */

import { type Location, LogsealError } from "../errors.js";
import { scanJson } from "../event/json-scan.js";
import { isPlainObject } from "../event/schema.js";
import { isKind, KINDS, type Kind } from "./finding.js";
import { hasWildcard, type PathSegment, parsePath } from "./path.js";

/**
 * What a rule does to the values its path matches:
 * - `mask`: replace the value by a display mask and record a salted commitment;
 * - `pseudonymise`: replace the value by `pn_…`, a keyed HMAC of it (stable per key);
 * - `drop`: remove the member (or array element) from the event;
 * - `keep`: leave it as it is (no detection either).
 */
export type Action = "mask" | "pseudonymise" | "drop" | "keep";

export const ACTIONS: readonly Action[] = ["mask", "pseudonymise", "drop", "keep"];

/** One rule of a policy. */
export interface PolicyRule {
  /** A path pattern (`details.rows[*].ip`, `details.**.password`, `actor.id`). */
  path: string;
  action: Action;
  /** Where the data subject of the values this rule masks is (overrides the policy's). */
  subject?: string;
}

/** A validated policy (what `validatePolicy` and `parsePolicy` return). */
export interface Policy {
  v: 1;
  /** Run the detectors over `details` where no rule applies (default true). */
  detect: boolean;
  /** The detector kinds used (default: all of KINDS). */
  kinds: Kind[];
  /** Paths tried in order for the data subject; the value itself when none is present. */
  subject: string[];
  rules: PolicyRule[];
}

/** The most rules a policy may have. */
export const MAX_RULES = 1000;

/** The default policy: detect and mask inside `details` everywhere, keep everything else. */
export const DEFAULT_POLICY: Readonly<Policy> = freeze({
  v: 1,
  detect: true,
  kinds: [...KINDS],
  subject: [],
  rules: [],
});

/** Deep-freezes a policy: `maskEvent` caches its compiled form by identity. */
function freeze(p: Policy): Policy {
  Object.freeze(p.kinds);
  Object.freeze(p.subject);
  for (const r of p.rules) Object.freeze(r);
  Object.freeze(p.rules);
  return Object.freeze(p);
}

const POLICY_FIELDS = ["v", "detect", "kinds", "subject", "rules"];
const RULE_FIELDS = ["path", "action", "subject"];

/** The fields outside `details` a rule may name, and the actions allowed on them. */
const TOP_LEVEL: Readonly<Record<string, readonly Action[]>> = {
  "actor.id": ["mask", "pseudonymise", "keep"],
  "actor.role": ["mask", "pseudonymise", "drop", "keep"],
};

/** A compiled rule: the parsed path and subject patterns. */
export interface CompiledRule extends PolicyRule {
  index: number;
  segments: PathSegment[];
  subjectSegments: PathSegment[][] | undefined;
}

/**
 * Parses a policy file: JSON text, strictly (duplicate keys are an error), then
 * `validatePolicy`.
 * @param file the file name, for error locations.
 * @throws LogsealError `E_POLICY_INVALID`, with `location.line` for a JSON syntax error and
 *   `location.field` (`rules[2].path`) for a rule that breaks the format.
 */
export function parsePolicy(text: string, file?: string): Policy {
  const scan = scanJson(text, 0, text.length);
  if (!scan.ok) {
    const line = text.slice(0, scan.offset).split("\n").length;
    const location: Location = { line };
    if (file !== undefined) location.file = file;
    throw new LogsealError("E_POLICY_INVALID", `the policy is not valid JSON: ${scan.reason}`, {
      location,
      details: { offset: scan.offset },
    });
  }
  return validatePolicy(JSON.parse(text), file);
}

/**
 * Validates a parsed policy and returns a normalised copy (defaults filled in, `subject` as an
 * array), deeply frozen. Shares nothing with `value`.
 * @throws LogsealError `E_POLICY_INVALID` naming the field (`rules[2].action`); its `details`
 *   hold `{rule, field}` when a rule is at fault.
 */
export function validatePolicy(value: unknown, file?: string): Policy {
  return compilePolicy(value, file).policy;
}

/** Validation and compilation in one pass; `maskEvent` uses the compiled form. */
export function compilePolicy(
  value: unknown,
  file?: string,
): { policy: Policy; rules: CompiledRule[]; subject: PathSegment[][] } {
  const fail = (field: string | undefined, message: string, rule?: number): never => {
    const location: Location = {};
    if (file !== undefined) location.file = file;
    if (field !== undefined) location.field = field;
    const details: Record<string, unknown> = {};
    if (rule !== undefined) {
      details.rule = rule;
      details.field = field?.replace(/^rules\[\d+\]\.?/, "") ?? "";
    }
    const where = field === undefined ? "" : `${field}: `;
    throw new LogsealError("E_POLICY_INVALID", `${where}${message}`, { location, details });
  };

  if (!isPlainObject(value)) return fail(undefined, "a policy must be a JSON object");
  for (const k of Object.keys(value)) {
    if (!POLICY_FIELDS.includes(k)) {
      fail(k, `unknown field: a policy has ${POLICY_FIELDS.join(", ")}`);
    }
  }
  if (value.v !== 1) fail("v", 'v must be 1 (write "v": 1 at the top of the policy)');

  let detect = true;
  if (value.detect !== undefined) {
    if (typeof value.detect !== "boolean") fail("detect", "detect must be true or false");
    detect = value.detect as boolean;
  }

  let kinds: Kind[] = [...KINDS];
  if (value.kinds !== undefined) {
    if (!Array.isArray(value.kinds) || value.kinds.length === 0) {
      fail("kinds", `kinds must be a non-empty array of detector kinds (${KINDS.join(", ")})`);
    }
    kinds = [];
    (value.kinds as unknown[]).forEach((k, i) => {
      if (!isKind(k)) fail(`kinds[${i}]`, `unknown kind: use one of ${KINDS.join(", ")}`);
      if (kinds.includes(k as Kind)) fail(`kinds[${i}]`, `kind ${String(k)} is listed twice`);
      kinds.push(k as Kind);
    });
  }

  const subjectPaths: string[] = [];
  const subject: PathSegment[][] = [];
  if (value.subject !== undefined) {
    const list = typeof value.subject === "string" ? [value.subject] : value.subject;
    if (!Array.isArray(list)) fail("subject", "subject must be a path or an array of paths");
    (list as unknown[]).forEach((p, i) => {
      const field = typeof value.subject === "string" ? "subject" : `subject[${i}]`;
      subject.push(subjectPath(p, field, fail));
      subjectPaths.push(p as string);
    });
  }

  if (value.rules === undefined) fail("rules", 'rules is missing: write "rules": [] for none');
  if (!Array.isArray(value.rules)) fail("rules", "rules must be an array of rules");
  const list = value.rules as unknown[];
  if (list.length > MAX_RULES) {
    fail("rules", `the policy has ${list.length} rules: the limit is ${MAX_RULES}`);
  }
  const rules: CompiledRule[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    const at = `rules[${i}]`;
    if (!isPlainObject(r)) return fail(at, "a rule must be an object {path, action, subject?}", i);
    for (const k of Object.keys(r)) {
      if (!RULE_FIELDS.includes(k)) {
        fail(`${at}.${k}`, `unknown field: a rule has ${RULE_FIELDS.join(", ")}`, i);
      }
    }
    if (typeof r.path !== "string" || r.path === "") {
      fail(`${at}.path`, "path must be a non-empty string (details.customer.email)", i);
    }
    const path = r.path as string;
    const segments = parsePath(path);
    if (!Array.isArray(segments)) return fail(`${at}.path`, `bad path: ${segments.error}`, i);
    const root = (segments[0] as { name: string }).name;
    let allowed: readonly Action[] = ACTIONS;
    if (root !== "details") {
      const top = TOP_LEVEL[path];
      if (top === undefined) {
        fail(
          `${at}.path`,
          `a rule applies to details and its members, actor.id or actor.role, not ${path}: ` +
            `the other fields of schema v1 have fixed formats`,
          i,
        );
      }
      allowed = top as readonly Action[];
    }
    const previous = seen.get(path);
    if (previous !== undefined) {
      fail(`${at}.path`, `repeats the path of rules[${previous}] (${path}): merge them`, i);
    }
    seen.set(path, i);
    if (!(ACTIONS as readonly unknown[]).includes(r.action)) {
      fail(`${at}.action`, `action must be one of ${ACTIONS.join(", ")}`, i);
    }
    const action = r.action as Action;
    if (!allowed.includes(action)) {
      fail(`${at}.action`, `${path} cannot be ${action}ed: use ${allowed.join(", ")}`, i);
    }
    const rule: CompiledRule = { index: i, path, action, segments, subjectSegments: undefined };
    if (r.subject !== undefined) {
      if (action !== "mask") {
        fail(`${at}.subject`, `subject applies to masked values only, not to ${action}`, i);
      }
      rule.subjectSegments = [subjectPath(r.subject, `${at}.subject`, fail, i)];
      rule.subject = r.subject as string;
    }
    rules.push(rule);
  }

  const policy: Policy = freeze({
    v: 1,
    detect,
    kinds,
    subject: subjectPaths,
    rules: rules.map((r) => {
      const out: PolicyRule = { path: r.path, action: r.action };
      if (r.subject !== undefined) out.subject = r.subject;
      return out;
    }),
  });
  return { policy, rules, subject };
}

function subjectPath(
  p: unknown,
  field: string,
  fail: (field: string, message: string, rule?: number) => never,
  rule?: number,
): PathSegment[] {
  if (typeof p !== "string" || p === "") {
    return fail(field, "a subject is a path to a field (details.subject, actor.id)", rule);
  }
  const segs = parsePath(p);
  if (!Array.isArray(segs)) return fail(field, `bad path: ${segs.error}`, rule);
  const root = (segs[0] as { name: string }).name;
  if (root !== "details" && root !== "actor" && root !== "id" && root !== "asset") {
    fail(field, "a subject path starts with details, actor, id or asset", rule);
  }
  if (hasWildcard(segs) && segs.some((s) => s.t === "anyKey" || s.t === "deep")) {
    fail(field, 'a subject path may use "[*]" (the element being masked), not "*" or "**"', rule);
  }
  return segs;
}
