/**
 * Masking an event before it becomes a leaf (formats/privacy-policy.md, "The masked event").
 *
 * Each sensitive value is replaced in place by its display mask, and a record of the
 * replacement is appended to `details.$masked`:
 *
 *     { "path": "details.customer.email", "kind": "email", "at": [0, 16],
 *       "commit": "<base64 SHA-256(\"logseal-commit/v1\\n\" || salt || UTF-8(value))>" }
 *
 * `path` names the string that holds the mask, in the masked event (`key: true` when the mask
 * is in a member name rather than a value); `at` is the [start, end) of the mask in that string
 * in UTF-8 bytes. The clear value and its salt go back to the caller in `secrets`, in the same
 * order as the records, for the vault; they never enter the event.
 */

import { LogsealError } from "../errors.js";
import type { EventInput, JsonObject, JsonValue } from "../event/schema.js";
import { memberPath, setOwn, utf8Length } from "../event/schema.js";
import { detectCards, luhn } from "./card.js";
import { commitValue, newSalt, pseudonym } from "./commit.js";
import { detect, detectIn } from "./detect.js";
import { displayMask, type MaskKind } from "./display.js";
import type { Finding, Kind } from "./finding.js";
import { PathMatcher, type PathSegment, type Step } from "./path.js";
import { type Action, type CompiledRule, compilePolicy, type Policy } from "./policy.js";

/** The member of `details` that holds the masking records. Producers may not use it. */
export const MASKED_FIELD = "$masked";

/** Keys for `maskEvent`. */
export interface MaskKeys {
  /** The HMAC key of `pseudonymise` rules, 16 bytes or more. Needed only if a rule uses it. */
  pseudonym?: Uint8Array;
}

/** Options of `maskEvent`, for tests and vectors. */
export interface MaskOptions {
  /** Source of the 16-byte salts (default: node:crypto randomBytes). */
  salt?: () => Uint8Array;
}

/** One masking record, as it appears in `details.$masked`. */
export interface MaskRecord {
  path: string;
  kind: MaskKind;
  /** [start, end) of the display mask in the string at `path`, in UTF-8 bytes. */
  at: [number, number];
  /** base64 SHA-256("logseal-commit/v1\n" || salt || UTF-8(value)). */
  commit: string;
  /** Present (true) when the mask is in the member name at `path`, not in its value. */
  key?: true;
}

/** A value that `maskEvent` took out of the event, for the vault. */
export interface MaskedSecret {
  /** As in the record: where the mask is in the masked event. */
  path: string;
  at: [number, number];
  key?: true;
  kind: MaskKind;
  /** The clear value (a number's value is its JSON text). */
  value: string;
  salt: Uint8Array;
  commit: string;
  /** Whose value it is: the policy's subject field, or the value itself. */
  subject: string;
}

/** What `maskEvent` returns. */
export interface MaskResult {
  /**
   * The masked event: still a valid EventInput. What masking left unchanged (the whole event,
   * `details`, an object or array with nothing masked) is the input's own value, shared; the
   * input is never changed.
   */
  event: EventInput;
  /** The clear values, parallel to `event.details.$masked`. Empty when nothing was masked. */
  secrets: MaskedSecret[];
}

interface Compiled {
  policy: Policy;
  rules: CompiledRule[];
  matchers: PathMatcher[];
  subject: PathSegment[][];
  /** The policy's kinds, undefined for all (one set per policy: detectIn caches by it). */
  kinds: ReadonlySet<Kind> | undefined;
  needsKey: boolean;
  /**
   * Member names in which the detectors found nothing under this policy's kinds. (measured)
   * An event of the test corpus has about 28 member names, nearly all the same from one event
   * to the next, and scanning them was the largest single part of detection on the clean
   * corpus (6.7 of 28.7 µs per event). A name with nothing found goes into the leaf as it is,
   * so remembering it here keeps nothing that the log does not keep anyway.
   */
  cleanNames: Set<string>;
}

/** Bound of `cleanNames` (cleared when full: names beyond it are unusual, not hot). */
const CLEAN_NAMES_MAX = 4096;

const cache = new WeakMap<object, Compiled>();

function compiled(policy: Policy): Compiled {
  let c = cache.get(policy);
  if (c === undefined) {
    const { policy: p, rules, subject } = compilePolicy(policy);
    c = {
      policy: p,
      rules,
      matchers: rules.map((r) => new PathMatcher(r.segments)),
      subject,
      kinds: p.kinds.length === 16 ? undefined : new Set(p.kinds),
      needsKey: rules.some((r) => r.action === "pseudonymise"),
      cleanNames: new Set(),
    };
    cache.set(policy, c);
  }
  return c;
}

/** The action inherited by a subtree: a rule's, or the default (detect in details). */
type Mode = Action | "detect";

/**
 * Masks an event under a policy.
 *
 * Inside `details`, every value is handled by the rule whose path matches it most deeply (a
 * rule on `details.customer.email` beats one on `details.customer`; among rules matching the
 * same value, the first listed); `drop` removes a value whatever rules match below it. Where no
 * rule applies, the detectors run over every string (and member name) when `policy.detect` is
 * true, and each finding is masked in place; integers are checked as card numbers. Outside
 * `details`, only `actor.id` and `actor.role` can be touched, by rules naming them.
 *
 * @param event a validated event (the output of `validateEvent`).
 * @param policy a policy from `parsePolicy`, `validatePolicy` or DEFAULT_POLICY.
 * @param keys the pseudonym key, when the policy pseudonymises.
 * @returns the masked event and the secrets; the event validates under schema v1 as long as
 *   masks fit the field limits (a mask is at most a few bytes longer than its value).
 * @throws LogsealError `E_EVENT_INVALID` if `details` already has a `$masked` member (field
 *   `details.$masked`): only the masking layer writes it; `E_POLICY_INVALID` if `policy` was
 *   built by hand and is not valid.
 * @throws TypeError if the policy pseudonymises and `keys.pseudonym` is missing or shorter than
 *   16 bytes (a caller bug).
 */
export function maskEvent(
  event: EventInput,
  policy: Policy,
  keys: MaskKeys,
  options: MaskOptions = {},
): MaskResult {
  const c = compiled(policy);
  if (c.needsKey && !(keys.pseudonym instanceof Uint8Array && keys.pseudonym.length >= 16)) {
    throw new TypeError("maskEvent: the policy pseudonymises: pass keys.pseudonym (16+ bytes)");
  }
  if (event.details !== undefined && Object.hasOwn(event.details, MASKED_FIELD)) {
    throw new LogsealError(
      "E_EVENT_INVALID",
      `details.${MASKED_FIELD} is written by logseal's masking: rename the producer's field`,
      { location: { field: `details.${MASKED_FIELD}` } },
    );
  }
  const m = new Masker(event, c, keys, options.salt ?? newSalt);

  // actor.id and actor.role: whole-value rules only.
  let actor = event.actor;
  for (const field of ["id", "role"] as const) {
    const v = event.actor[field];
    if (v === undefined) continue;
    const rule = m.ruleFor(["actor", field]);
    if (rule === undefined || rule.action === "keep") continue;
    if (actor === event.actor) actor = { ...event.actor };
    if (rule.action === "drop") delete actor.role;
    else {
      const where: Where = {
        up: { up: undefined, step: "actor", inIndex: -1 },
        step: field,
        inIndex: -1,
      };
      actor[field] = m.whole(v, where, rule.action, rule);
    }
  }

  let details: JsonValue | typeof DROP | undefined;
  if (event.details !== undefined) {
    const states = c.matchers.map((x) => x.next(x.start(), "details"));
    details = m.walk(
      event.details,
      undefined,
      "details",
      -1,
      states,
      c.policy.detect ? "detect" : "keep",
      undefined,
      undefined,
    );
  }
  // Nothing masked, dropped or pseudonymised: the event itself (measured: most events of the
  // clean corpus, where copying the top level was 5% of maskEvent's profile).
  if (m.records.length === 0 && actor === event.actor && details === event.details) {
    return { event, secrets: m.secrets };
  }
  // A spread of the whole event, then details replaced: (measured) with an object rest
  // pattern (`{ details, ...rest }`) instead, maskEvent's own code was 7% of its CPU profile on
  // the planted corpus, 4% without. The leaf encodes members sorted, so their order is free.
  const out: EventInput = { ...event, actor };
  if (m.records.length > 0) {
    // A copy when the walk returned the input's own object (only actor.* was masked).
    const d: JsonObject =
      details === undefined || details === DROP
        ? {}
        : details === event.details
          ? { ...event.details }
          : (details as JsonObject);
    d[MASKED_FIELD] = m.records as unknown as JsonValue;
    out.details = d;
  } else if (details !== undefined && details !== DROP) {
    out.details = details as JsonObject;
  } else delete out.details;
  return { event: out, secrets: m.secrets };
}

const DROP = Symbol("drop");

interface Replaced {
  text: string;
  masks: string[];
}
const NONE: Finding[] = [];
/** No masks (shared, never changed). */
const NO_MASKS: string[] = [];

/**
 * The place of a value in the masked event, as a chain up to `details` or `actor`: `step` is
 * the member name (masked, if it was) or the index in the output array; `inIndex` the index in
 * the input array (for `[*]` in subject paths), -1 for members.
 */
interface Where {
  up: Where | undefined;
  step: Step;
  inIndex: number;
}

/** `details.rows[2].ip`, `details["e-mail"]`, as memberPath writes paths. */
function pathOf(where: Where): string {
  const steps: Step[] = [];
  for (let w: Where | undefined = where; w !== undefined; w = w.up) steps.push(w.step);
  let path = "";
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i] as Step;
    path = typeof step === "number" ? `${path}[${step}]` : memberPath(path, step);
  }
  return path;
}

class Masker {
  readonly records: MaskRecord[] = [];
  readonly secrets: MaskedSecret[] = [];
  private readonly event: EventInput;
  private readonly c: Compiled;
  private readonly keys: MaskKeys;
  private readonly salt: () => Uint8Array;
  private readonly kinds: ReadonlySet<Kind> | undefined;

  constructor(event: EventInput, c: Compiled, keys: MaskKeys, salt: () => Uint8Array) {
    this.event = event;
    this.c = c;
    this.keys = keys;
    this.salt = salt;
    this.kinds = c.kinds;
  }

  /** The first rule matching a concrete path outside details. */
  ruleFor(steps: Step[]): CompiledRule | undefined {
    for (let i = 0; i < this.c.rules.length; i++) {
      const mt = this.c.matchers[i] as PathMatcher;
      let s = mt.start();
      for (const step of steps) s = mt.next(s, step);
      if (mt.matched(s)) return this.c.rules[i];
    }
    return undefined;
  }

  /**
   * Walks a value of `details`.
   * @param up, step, inIndex its place: the Where of its container, its member name or index
   *   in the output, its index in the input array (-1 for members). (measured) A Where object
   *   for every value was 48 allocations a clean event; now only containers and values with
   *   findings get one.
   * @param states per rule, the matcher states for this value's path.
   * @param inherited the action inherited from above, set by `inheritedRule` if any.
   * @param key the nearest member name above (context for the detectors).
   */
  walk(
    value: JsonValue,
    up: Where | undefined,
    step: Step,
    inIndex: number,
    states: number[][],
    inherited: Mode,
    inheritedRule: CompiledRule | undefined,
    key: string | undefined,
  ): JsonValue | typeof DROP {
    let mode = inherited;
    let rule = inheritedRule;
    for (let i = 0; i < states.length; i++) {
      if ((this.c.matchers[i] as PathMatcher).matched(states[i] as number[])) {
        rule = this.c.rules[i] as CompiledRule;
        mode = rule.action;
        break;
      }
    }
    if (mode === "drop") return DROP;
    if (typeof value === "string") return this.text(value, up, step, inIndex, mode, rule, key);
    if (typeof value === "number") return this.number(value, up, step, inIndex, mode, rule);
    if (value === null || typeof value === "boolean") return value;
    const live = states.length > 0 && states.some((x) => x.length > 0);
    // Nothing below can change: no rule can match deeper, and nothing is detected.
    if (mode === "keep" && !live) return value;
    const where: Where = { up, step, inIndex };
    // Copy on write: a container is copied only when something in it changes, and an unchanged
    // one is returned as it came (shared with the input, which nothing changes). (measured)
    // Copying every object and array was a quarter of maskEvent's CPU profile on the clean
    // corpus, most of it in allocation and garbage collection.
    if (Array.isArray(value)) {
      let out: JsonValue[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item = value[i] as JsonValue;
        const child = this.walk(
          item,
          where,
          out === undefined ? i : out.length,
          i,
          live ? this.step(states, i) : states,
          mode,
          rule,
          key,
        );
        if (out === undefined) {
          if (child === item) continue;
          out = value.slice(0, i);
        }
        if (child !== DROP) out.push(child);
      }
      return out ?? value;
    }
    const keys = Object.keys(value);
    // Member names are data too (`{"jane@example.com": 3}`): scan them unless kept. A masked
    // name must not collide with another name of the object, masked or not.
    let found: Finding[][] | undefined;
    if (mode !== "keep") {
      for (let i = 0; i < keys.length; i++) {
        const f = this.detectName(keys[i] as string);
        if (f.length === 0) continue;
        found ??= new Array<Finding[]>(keys.length).fill(NONE);
        found[i] = f;
      }
    }
    let taken: Set<string> | undefined;
    if (found !== undefined) {
      taken = new Set<string>();
      for (let i = 0; i < keys.length; i++) {
        if (found[i]?.length === 0) taken.add(keys[i] as string);
      }
    }
    let out: JsonObject | undefined;
    // Copied with a spread (the input's own members, in order) when no member name is masked:
    // (measured) building the copy one member at a time was 3.7% of maskEvent's profile on
    // the planted corpus. A dropped member is then deleted from the copy.
    let spread = false;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const nameFindings = found === undefined ? NONE : (found[i] as Finding[]);
      let name = k;
      let masks = NO_MASKS;
      if (nameFindings.length > 0) {
        const r = this.replaced(k, nameFindings, mode === "pseudonymise");
        name = unique(taken as Set<string>, r.text);
        masks = r.masks;
        taken?.add(name);
      }
      const childStates = live ? this.step(states, k) : states;
      const item = value[k] as JsonValue;
      const child = this.walk(item, where, name, -1, childStates, mode, rule, k);
      if (out === undefined) {
        if (child === item && name === k) continue;
        if (found === undefined) {
          out = { ...value };
          spread = true;
        } else {
          out = {};
          for (let j = 0; j < i; j++) setOwn(out, keys[j] as string, value[keys[j] as string]);
        }
      }
      if (child === DROP) {
        if (spread) delete out[k];
        continue;
      }
      if (nameFindings.length > 0 && mode !== "pseudonymise") {
        this.record(k, nameFindings, masks, { up: where, step: name, inIndex: -1 }, rule, true);
      }
      // The spread copied the members as they are (no name is masked there): only a changed
      // value needs writing.
      if (!spread || child !== item) setOwn(out, name, child);
    }
    return out ?? value;
  }

  /** Findings in a member name. */
  private detectName(name: string): Finding[] {
    // detectIn finds nothing in fewer than 6 code units (most member names).
    if (name.length < 6) return NONE;
    const clean = this.c.cleanNames;
    if (clean.has(name)) return NONE;
    const found = detectIn(name, undefined, this.kinds);
    if (found.length === 0) {
      if (clean.size >= CLEAN_NAMES_MAX) clean.clear();
      clean.add(name);
    }
    return found;
  }

  private step(states: number[][], step: Step): number[][] {
    return states.map((s, i) =>
      s.length === 0 ? s : (this.c.matchers[i] as PathMatcher).next(s, step),
    );
  }

  private text(
    v: string,
    up: Where | undefined,
    step: Step,
    inIndex: number,
    mode: Mode,
    rule: CompiledRule | undefined,
    key: string | undefined,
  ): string {
    if (mode === "keep" || v === "") return v;
    if (mode === "mask" || mode === "pseudonymise") {
      return this.whole(v, { up, step, inIndex }, mode, rule);
    }
    const findings = detectIn(v, key, this.kinds);
    if (findings.length === 0) return v;
    const { text, masks } = this.replaced(v, findings, false);
    this.record(v, findings, masks, { up, step, inIndex }, rule, false);
    return text;
  }

  private number(
    n: number,
    up: Where | undefined,
    step: Step,
    inIndex: number,
    mode: Mode,
    rule: CompiledRule | undefined,
  ): JsonValue {
    if (mode === "keep") return n;
    if (mode === "mask" || mode === "pseudonymise") {
      return this.whole(JSON.stringify(n), { up, step, inIndex }, mode, rule);
    }
    // An integer may be a card number sent as a JSON number: 13 digits or more. Of 13 digits
    // only Visa (4) and Maestro (5018…, 6304…) numbers: so none below 4·10^12, where epoch
    // milliseconds are (until 2096), (measured) one or two an event of the corpora, each a
    // String() and a Luhn check before.
    if (!Number.isSafeInteger(n) || n < 4e12) return n;
    const s = String(n);
    // The Luhn check first: detectCards reports a bare run of digits only if isCardNumber
    // holds, which needs it; (measured) 1.2 integers an event of the clean corpus (epoch
    // milliseconds) went through detectCards and its allocations.
    if (!luhn(s)) return n;
    const where: Where = { up, step, inIndex };
    const found: Finding[] = [];
    detectCards({ text: s, key: undefined }, found);
    if (found.length === 0 || found[0]?.value !== s) return n;
    const mask = displayMask("card", s);
    this.record(s, found, [mask], where, rule, false);
    return mask;
  }

  /** A whole value under a mask or pseudonymise rule. */
  whole(
    v: string,
    where: Where,
    mode: "mask" | "pseudonymise",
    rule: CompiledRule | undefined,
  ): string {
    if (mode === "pseudonymise") return pseudonym(v, this.keys.pseudonym as Uint8Array);
    // The kind is the detector's when the whole value is one finding, "value" otherwise.
    const found = detect(v);
    const kind: MaskKind =
      found.length === 1 && found[0]?.start === 0 && found[0].end === v.length
        ? found[0].kind
        : "value";
    const masked = displayMask(kind, v);
    this.add(pathOf(where), where, [0, utf8Length(masked)], false, kind, v, rule);
    return masked;
  }

  /** `v` with each finding replaced by its mask (or its pseudonym), and the masks. */
  private replaced(v: string, findings: Finding[], pseudonymise: boolean): Replaced {
    let text = "";
    let last = 0;
    const masks: string[] = [];
    for (const f of findings) {
      const mask = pseudonymise
        ? pseudonym(f.value, this.keys.pseudonym as Uint8Array)
        : displayMask(f.kind, f.value);
      masks.push(mask);
      text += v.slice(last, f.start) + mask;
      last = f.end;
    }
    return { text: text + v.slice(last), masks };
  }

  /** Records the findings of `v`, at the places `replaced` put their masks. */
  private record(
    v: string,
    findings: Finding[],
    masks: string[],
    where: Where,
    rule: CompiledRule | undefined,
    key: boolean,
  ): void {
    const path = pathOf(where);
    let bytes = 0;
    let last = 0;
    for (let i = 0; i < findings.length; i++) {
      const f = findings[i] as Finding;
      bytes += utf8Length(v.slice(last, f.start));
      const len = utf8Length(masks[i] as string);
      this.add(path, where, [bytes, bytes + len], key, f.kind, f.value, rule);
      bytes += len;
      last = f.end;
    }
  }

  private add(
    path: string,
    where: Where,
    at: [number, number],
    key: boolean,
    kind: MaskKind,
    value: string,
    rule: CompiledRule | undefined,
  ): void {
    const salt = this.salt();
    const commit = commitValue(value, salt);
    const record: MaskRecord = { path, kind, at, commit };
    if (key) record.key = true;
    this.records.push(record);
    const secret: MaskedSecret = {
      path,
      at: [at[0], at[1]],
      kind,
      value,
      salt,
      commit,
      subject: this.subject(value, where, rule),
    };
    if (key) secret.key = true;
    this.secrets.push(secret);
  }

  /** The first subject path (the rule's, else the policy's) present, or the value itself. */
  private subject(value: string, where: Where, rule: CompiledRule | undefined): string {
    const paths = rule?.subjectSegments ?? this.c.subject;
    if (paths.length === 0) return value;
    const indexes: number[] = [];
    for (let w: Where | undefined = where; w !== undefined; w = w.up) {
      if (w.inIndex >= 0) indexes.unshift(w.inIndex);
    }
    for (const segs of paths) {
      const s = resolve(this.event, segs, indexes);
      if (s !== undefined) return s;
    }
    return value;
  }
}

/** The string or number at a concrete path of the event, `[*]` bound to `indexes` in order. */
function resolve(event: EventInput, segs: PathSegment[], indexes: number[]): string | undefined {
  let cur: unknown = event;
  let star = 0;
  for (const seg of segs) {
    if (typeof cur !== "object" || cur === null) return undefined;
    if (seg.t === "key") {
      if (Array.isArray(cur) || !Object.hasOwn(cur, seg.name)) return undefined;
      cur = (cur as Record<string, unknown>)[seg.name];
    } else if (seg.t === "index" || seg.t === "anyIndex") {
      const i = seg.t === "index" ? seg.index : indexes[star++];
      if (!Array.isArray(cur) || i === undefined || i >= cur.length) return undefined;
      cur = cur[i];
    } else return undefined;
  }
  if (typeof cur === "string" && cur !== "") return cur;
  if (typeof cur === "number") return JSON.stringify(cur);
  return undefined;
}

/** `name`, or `name#2`, `name#3`… if another member already has it (names masked alike). */
function unique(taken: ReadonlySet<string>, name: string): string {
  if (!taken.has(name) && name !== MASKED_FIELD) return name;
  for (let n = 2; ; n++) {
    const candidate = `${name}#${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}
