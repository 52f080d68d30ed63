/**
 * Controls policies: which Annex A controls an event evidences, by its action. Applied at
 * append (src/controls/transform.ts), so the mapped ids are inside the signed leaf. The file
 * format is specified in formats/controls-policy.md.
 *
 *   {"format": "logseal-controls-policy/v1",
 *    "rules": [{"action": "pii.mask", "controls": ["A.8.11"]},
 *              {"action": "dataset.*", "controls": ["A.8.15"]}]}
 *
 * Every rule whose action pattern matches adds its controls; `*` stands for any run of
 * characters (dots included). A policy file is user input: it is parsed strictly and each
 * error names the rule and the field (`rules[2].controls[1]`).
 */
import { type Location, LogsealError } from "../errors.js";
import { isPlainObject } from "../event/schema.js";
import { control } from "./catalog.js";
import { parseStrictJson } from "./json.js";
import { successors2022 } from "./legacy.js";

export const CONTROLS_POLICY_FORMAT = "logseal-controls-policy/v1";

export interface ControlsRule {
  /** An action (`pii.mask`) or a pattern with `*` (`dataset.*`). */
  action: string;
  /** Annex A ids (`A.8.11`), each once. */
  controls: string[];
}

export interface ControlsPolicy {
  format: typeof CONTROLS_POLICY_FORMAT;
  /** What the policy is for, shown in reports (optional). */
  description?: string;
  rules: ControlsRule[];
}

/** The most rules a policy may have. */
export const MAX_CONTROLS_RULES = 1000;

const PATTERN = /^[a-z*][a-z0-9_*]*(?:\.[a-z0-9_*]+)*$/;

/** A policy that maps nothing: the one of a store without a policy file. */
export const NO_CONTROLS_POLICY: Readonly<ControlsPolicy> = deepFreeze({
  format: CONTROLS_POLICY_FORMAT,
  description: "none: events keep the controls their producers name",
  rules: [] as ControlsRule[],
});

/**
 * The default policy for AI data work: what `logseal init` gives a new store unless it is
 * given a policy file. Each
 * rule names the controls an event of that action is evidence for; a producer's own
 * `controls` are kept and come first.
 */
export const DEFAULT_CONTROLS_POLICY: Readonly<ControlsPolicy> = deepFreeze({
  format: CONTROLS_POLICY_FORMAT,
  description: "logseal default: AI data work (datasets, PII, training runs, models, access)",
  rules: [
    // The data work itself, recorded: evidence that its logging is in place.
    { action: "dataset.*", controls: ["A.8.15"] },
    { action: "model.*", controls: ["A.8.15"] },
    { action: "run.*", controls: ["A.8.15"] },
    // Datasets and models are information assets: their registration feeds the inventory.
    { action: "dataset.ingest", controls: ["A.5.9"] },
    { action: "dataset.register", controls: ["A.5.9"] },
    { action: "dataset.classify", controls: ["A.5.12", "A.5.13"] },
    { action: "dataset.transform", controls: ["A.8.32"] },
    { action: "dataset.read", controls: ["A.8.3"] },
    { action: "dataset.share", controls: ["A.5.14"] },
    { action: "model.train", controls: ["A.5.9", "A.8.32"] },
    { action: "model.register", controls: ["A.5.9"] },
    { action: "model.export", controls: ["A.8.12", "A.5.14"] },
    { action: "model.deploy", controls: ["A.8.32"] },
    { action: "run.*", controls: ["A.8.32"] },
    // Personal data: masking (8.11), privacy (5.34), deletion (8.10), access to clear values.
    { action: "pii.*", controls: ["A.5.34"] },
    { action: "pii.mask", controls: ["A.8.11"] },
    { action: "pii.scan", controls: ["A.8.11"] },
    { action: "pii.reveal", controls: ["A.8.3", "A.5.15"] },
    { action: "data.erase", controls: ["A.8.10", "A.5.34"] },
    { action: "access.*", controls: ["A.5.15"] },
    { action: "access.denied", controls: ["A.8.3"] },
    { action: "access.grant", controls: ["A.5.18"] },
    { action: "access.revoke", controls: ["A.5.18"] },
    { action: "auth.*", controls: ["A.5.17", "A.8.5"] },
    // Keys and signatures: use of cryptography; the log itself is a protected record.
    { action: "key.*", controls: ["A.8.24"] },
    { action: "checkpoint.*", controls: ["A.8.24", "A.5.33"] },
    { action: "incident.*", controls: ["A.5.24", "A.5.26"] },
    { action: "evidence.*", controls: ["A.5.28"] },
    { action: "backup.*", controls: ["A.8.13"] },
  ],
});

function deepFreeze<T>(x: T): T {
  if (typeof x === "object" && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

/**
 * Why `id` is not an Annex A control of 2022, naming its 2022 successors when it is a 2013 id;
 * `undefined` when it is one.
 */
export function unknownControlReason(id: string): string | undefined {
  if (control(id) !== undefined) return undefined;
  const next = successors2022(id);
  if (next !== undefined) {
    const names = next.map((n) => `${n} (${control(n)?.title ?? "?"})`);
    return `${JSON.stringify(id)} is an ISO/IEC 27001:2013 control; in ISO/IEC 27001:2022 it is ${names.join(" and ")}: write ${next.length > 1 ? "those ids" : "that id"} instead`;
  }
  return `${JSON.stringify(id)} is not an ISO/IEC 27001:2022 Annex A control: the ids are A.5.1-A.5.37, A.6.1-A.6.8, A.7.1-A.7.14 and A.8.1-A.8.34`;
}

/**
 * Rejects the control ids of a raw event (not validated yet) that have the shape of an Annex A
 * id but name no ISO/IEC 27001:2022 control, naming the 2022 successor of a 2013 id. Other
 * values are left to schema validation, which names what is wrong with them.
 * @throws LogsealError E_CONTROL_UNKNOWN with the location and `controls[j]`
 */
export function checkControlIds(value: unknown, locate: () => Location | undefined): void {
  if (!isPlainObject(value)) return;
  const own = value.controls;
  if (!Array.isArray(own)) return;
  for (let j = 0; j < own.length; j++) {
    const c = own[j];
    if (typeof c !== "string" || !/^A\.\d{1,2}(?:\.\d{1,2}){1,2}$/.test(c)) continue;
    const why = unknownControlReason(c);
    if (why === undefined) continue;
    throw new LogsealError("E_CONTROL_UNKNOWN", why, {
      location: { ...locate(), field: `controls[${j}]` },
      details: { control: c },
    });
  }
}

/**
 * Parses a controls policy file (JSON text) strictly.
 * @throws LogsealError E_CONTROLS_POLICY_INVALID naming the file, line or field
 */
export function parseControlsPolicy(text: string, file?: string): ControlsPolicy {
  return validateControlsPolicy(
    parseStrictJson(text, "E_CONTROLS_POLICY_INVALID", "the controls policy", file),
    file,
  );
}

/**
 * Validates a parsed policy; returns a frozen copy that shares nothing with `value`.
 * @throws LogsealError E_CONTROLS_POLICY_INVALID naming the field (`rules[2].controls[0]`)
 */
export function validateControlsPolicy(value: unknown, file?: string): ControlsPolicy {
  const fail = (field: string | undefined, message: string): never => {
    const location: Location = {};
    if (file !== undefined) location.file = file;
    if (field !== undefined) location.field = field;
    throw new LogsealError("E_CONTROLS_POLICY_INVALID", message, { location });
  };
  if (!isPlainObject(value)) return fail(undefined, "a controls policy must be a JSON object");
  for (const k of Object.keys(value)) {
    if (k !== "format" && k !== "description" && k !== "rules") {
      fail(k, "unknown field: a controls policy has format, description and rules");
    }
  }
  if (value.format !== CONTROLS_POLICY_FORMAT) {
    fail("format", `format must be ${JSON.stringify(CONTROLS_POLICY_FORMAT)}`);
  }
  const out: ControlsPolicy = { format: CONTROLS_POLICY_FORMAT, rules: [] };
  if (value.description !== undefined) {
    if (typeof value.description !== "string" || value.description.length > 1000) {
      fail("description", "description must be a string of at most 1000 characters");
    }
    out.description = value.description as string;
  }
  const rules = value.rules;
  if (!Array.isArray(rules)) return fail("rules", "rules must be an array (it may be empty)");
  if (rules.length > MAX_CONTROLS_RULES) {
    fail("rules", `rules has ${rules.length} entries: the limit is ${MAX_CONTROLS_RULES}`);
  }
  for (const [i, r] of rules.entries()) {
    const at = `rules[${i}]`;
    if (!isPlainObject(r)) return fail(at, "a rule must be an object {action, controls}");
    for (const k of Object.keys(r)) {
      if (k !== "action" && k !== "controls") {
        fail(`${at}.${k}`, "unknown field: a rule has action and controls");
      }
    }
    if (typeof r.action !== "string" || r.action.length > 128 || !PATTERN.test(r.action)) {
      fail(
        `${at}.action`,
        "action must be an action (pii.mask) or a pattern with * for any characters (dataset.*)",
      );
    }
    if (!Array.isArray(r.controls) || r.controls.length === 0 || r.controls.length > 128) {
      return fail(`${at}.controls`, "controls must be an array of 1 to 128 Annex A ids");
    }
    const controls: string[] = [];
    for (const [j, c] of r.controls.entries()) {
      const field = `${at}.controls[${j}]`;
      if (typeof c !== "string") return fail(field, "a control must be a string such as A.8.11");
      const why = unknownControlReason(c);
      if (why !== undefined) fail(field, why);
      if (controls.includes(c)) fail(field, `${c} is listed twice in this rule`);
      controls.push(c);
    }
    out.rules.push({ action: r.action as string, controls });
  }
  return deepFreeze(out);
}

/** A compiled policy: the controls for an action, memoised per action. */
export class ControlsMapper {
  readonly policy: ControlsPolicy;
  readonly #rules: Array<{ re: RegExp; controls: readonly string[] }>;
  readonly #cache = new Map<string, readonly string[]>();

  constructor(policy: ControlsPolicy) {
    this.policy = policy;
    this.#rules = policy.rules.map((r) => ({
      re: new RegExp(`^${r.action.replaceAll(".", "\\.").replaceAll("*", ".*")}$`),
      controls: r.controls,
    }));
  }

  /** The controls every matching rule adds for `action`, each once, in rule order. */
  controlsFor(action: string): readonly string[] {
    let c = this.#cache.get(action);
    if (c === undefined) {
      const out: string[] = [];
      for (const r of this.#rules) {
        if (!r.re.test(action)) continue;
        for (const id of r.controls) if (!out.includes(id)) out.push(id);
      }
      c = Object.freeze(out);
      // Actions are few in practice; the cap keeps hostile input from growing it unbounded.
      if (this.#cache.size < 10_000) this.#cache.set(action, c);
    }
    return c;
  }
}
