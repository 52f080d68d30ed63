/**
 * Policy files: strict parsing and validation, with errors that name the rule and the field;
 * path patterns; and what each action does to an event.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { LogsealError } from "../../src/errors.js";
import { type EventInput, validateEvent } from "../../src/event/index.js";
import {
  DEFAULT_POLICY,
  MASKED_FIELD,
  type MaskRecord,
  maskEvent,
  type Policy,
  parsePolicy,
  pseudonym,
  validatePolicy,
} from "../../src/privacy/index.js";
import { PathMatcher, parsePath, type Step } from "../../src/privacy/path.js";

const KEY_A = new Uint8Array(32).fill(1);
const KEY_B = new Uint8Array(32).fill(2);

/** Expects validatePolicy(value) to fail with E_POLICY_INVALID on `field`. */
function invalid(value: unknown, field: string | undefined, message?: RegExp): LogsealError {
  let caught: unknown;
  try {
    validatePolicy(value, "policy.json");
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LogsealError);
  const err = caught as LogsealError;
  expect(err.code).toBe("E_POLICY_INVALID");
  expect(err.location?.field).toBe(field);
  expect(err.location?.file).toBe("policy.json");
  if (field !== undefined) expect(err.message.startsWith(`${field}: `)).toBe(true);
  if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}

const rule = (r: Record<string, unknown>) => ({ v: 1, rules: [r] });

describe("policy validation", () => {
  it("accepts a full policy and fills in defaults", () => {
    const p = validatePolicy({
      v: 1,
      subject: "details.subject",
      rules: [{ path: "details.rows[*].ip", action: "mask", subject: "details.rows[*].user" }],
    });
    expect(p).toEqual({
      v: 1,
      detect: true,
      kinds: DEFAULT_POLICY.kinds,
      subject: ["details.subject"],
      rules: [{ path: "details.rows[*].ip", action: "mask", subject: "details.rows[*].user" }],
    });
    expect(validatePolicy({ v: 1, rules: [] })).toEqual(DEFAULT_POLICY);
  });

  it("names the field for top-level errors", () => {
    invalid([], undefined, /JSON object/);
    invalid({ rules: [] }, "v");
    invalid({ v: 2, rules: [] }, "v");
    invalid({ v: 1 }, "rules", /missing/);
    invalid({ v: 1, rules: {} }, "rules");
    invalid({ v: 1, rules: [], colour: 1 }, "colour", /unknown field/);
    invalid({ v: 1, rules: [], detect: "yes" }, "detect");
    invalid({ v: 1, rules: [], kinds: [] }, "kinds");
    invalid({ v: 1, rules: [], kinds: ["email", "passport"] }, "kinds[1]", /unknown kind/);
    invalid({ v: 1, rules: [], kinds: ["email", "email"] }, "kinds[1]", /twice/);
    invalid({ v: 1, rules: [], subject: 3 }, "subject");
    invalid({ v: 1, rules: [], subject: ["details.a", "details.**.b"] }, "subject[1]");
    invalid({ v: 1, rules: [], subject: "outcome" }, "subject", /starts with/);
    invalid({ v: 1, rules: Array.from({ length: 1001 }, () => ({})) }, "rules", /limit/);
  });

  it("names the rule index and the field for rule errors", () => {
    const e = invalid(
      {
        v: 1,
        rules: [
          { path: "details.a", action: "keep" },
          { path: "details.b", action: "hide" },
        ],
      },
      "rules[1].action",
      /one of mask, pseudonymise, drop, keep/,
    );
    expect(e.details).toEqual({ rule: 1, field: "action" });
    invalid(rule({ path: "details.a" }), "rules[0].action");
    invalid(rule({ action: "mask" }), "rules[0].path");
    invalid(rule({ path: "", action: "mask" }), "rules[0].path");
    invalid(rule({ path: "details.a", action: "mask", colour: 1 }), "rules[0].colour");
    invalid({ v: 1, rules: ["details.a"] }, "rules[0]", /must be an object/);
    invalid(rule({ path: "details.a[", action: "mask" }), "rules[0].path", /position 10/);
    invalid(rule({ path: "details..a", action: "mask" }), "rules[0].path", /position 8/);
    invalid(rule({ path: 'details["a', action: "mask" }), "rules[0].path", /unterminated/);
    invalid(rule({ path: "details.a b", action: "mask" }), "rules[0].path");
    invalid(rule({ path: "asset", action: "mask" }), "rules[0].path", /fixed formats/);
    invalid(rule({ path: "actor.kind", action: "mask" }), "rules[0].path");
    invalid(rule({ path: "actor.id", action: "drop" }), "rules[0].action", /cannot be/);
    invalid(rule({ path: "details.a", action: "keep", subject: "actor.id" }), "rules[0].subject");
    invalid(rule({ path: "details.a", action: "mask", subject: "details.*" }), "rules[0].subject");
    invalid(
      {
        v: 1,
        rules: [
          { path: "details.a", action: "mask" },
          { path: "details.b", action: "keep" },
          { path: "details.a", action: "drop" },
        ],
      },
      "rules[2].path",
      /repeats the path of rules\[0\]/,
    );
  });

  it("parses text strictly: syntax errors carry the line, duplicate keys are refused", () => {
    const bad = (text: string, line: number) => {
      try {
        parsePolicy(text, "p.json");
        expect.unreachable();
      } catch (e) {
        expect((e as LogsealError).code).toBe("E_POLICY_INVALID");
        expect((e as LogsealError).location).toEqual({ file: "p.json", line });
      }
    };
    bad('{\n  "v": 1,\n  "rules": [\n    {"path": "details.a",}\n  ]\n}', 4);
    bad('{"v": 1, "rules": [], "v": 1}', 1);
    bad("", 1);
    expect(parsePolicy('{"v": 1, "rules": []}')).toEqual(DEFAULT_POLICY);
  });

  it("reproduces the example of formats/privacy-policy.md", () => {
    const doc = readFileSync(
      resolve(import.meta.dirname, "../../formats/privacy-policy.md"),
      "utf8",
    );
    const [policyText, eventText, maskedText] = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map(
      (m) => m[1] as string,
    );
    const policy = parsePolicy(policyText as string);
    const salt = Uint8Array.from({ length: 16 }, (_, i) => i);
    const { event, secrets } = maskEvent(
      validateEvent(JSON.parse(eventText as string)),
      policy,
      { pseudonym: new Uint8Array(32).fill(7) },
      { salt: () => salt.slice() },
    );
    expect(event).toEqual(JSON.parse(maskedText as string));
    expect(secrets.map((x) => [x.path, x.kind, x.value, x.subject])).toEqual([
      ["details.customer.email", "email", "jane.doe@example.com", "cust-8812"],
      ["details.rows[0].ip", "ipv4", "192.168.1.20", "u-17"],
      ["details.note", "phone", "+44 7700 900789", "cust-8812"],
    ]);
  });
});

describe("path patterns", () => {
  const matches = (pattern: string, steps: Step[]) => {
    const segs = parsePath(pattern);
    if (!Array.isArray(segs)) throw new Error(segs.error);
    const m = new PathMatcher(segs);
    let s = m.start();
    for (const step of steps) s = m.next(s, step);
    return m.matched(s);
  };
  it("matches names, indexes, quoted names and wildcards", () => {
    expect(matches("details.customer.email", ["details", "customer", "email"])).toBe(true);
    expect(matches("details.customer.email", ["details", "customer", "phone"])).toBe(false);
    expect(matches("details.rows[*].ip", ["details", "rows", 3, "ip"])).toBe(true);
    expect(matches("details.rows[*].ip", ["details", "rows", "x", "ip"])).toBe(false);
    expect(matches("details.rows[2]", ["details", "rows", 2])).toBe(true);
    expect(matches("details.rows[2]", ["details", "rows", 1])).toBe(false);
    expect(matches('details["e-mail"]', ["details", "e-mail"])).toBe(true);
    expect(matches("details.*.email", ["details", "a", "email"])).toBe(true);
    expect(matches("details.*.email", ["details", 0, "email"])).toBe(false);
    expect(matches("details.**.password", ["details", "password"])).toBe(true);
    expect(matches("details.**.password", ["details", "a", 3, "b", "password"])).toBe(true);
    expect(matches("details.**", ["details", "a", 1])).toBe(true);
    expect(matches("details.**.a.**.b", ["details", "x", "a", "y", "z", "b"])).toBe(true);
    expect(matches("details.**.a.**.b", ["details", "x", "b"])).toBe(false);
  });
});

const base: EventInput = validateEvent({
  actor: { id: "jane@example.com", role: "annotator", kind: "user" },
  action: "annotation.submit",
  outcome: "success",
  details: {
    subject: "subj-1",
    customer: { email: "jane.doe@example.com", phone: "+44 7700 900789", tier: "gold" },
    rows: [
      { ip: "192.168.1.20", user: "u1" },
      { ip: "8.8.8.8", user: "u2" },
    ],
    debug: { raw: "card 4242 4242 4242 4242" },
    sha256: "9f86d081884c7d659a2feaea0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0",
    note: "from 10.1.2.3",
  },
});

const records = (e: EventInput) => (e.details?.[MASKED_FIELD] ?? []) as unknown as MaskRecord[];

describe("actions", () => {
  it("default policy: detect and mask inside details only", () => {
    const { event, secrets } = maskEvent(base, DEFAULT_POLICY, {});
    expect(event.actor.id).toBe("jane@example.com");
    expect(event.details?.customer).toEqual({
      email: "j***@example.com",
      phone: "+44 **** ***789",
      tier: "gold",
    });
    expect(event.details?.note).toBe("from 10.1.*.*");
    expect(secrets.map((s) => s.kind)).toEqual(["email", "phone", "ipv4", "ipv4", "card", "ipv4"]);
    expect(secrets.every((s) => s.subject === s.value)).toBe(true);
  });

  it("mask, pseudonymise, drop and keep; the deepest rule wins, drop is final", () => {
    const policy = validatePolicy({
      v: 1,
      subject: ["details.subject"],
      rules: [
        { path: "details.customer", action: "keep" },
        { path: "details.customer.email", action: "pseudonymise" },
        { path: "details.rows[*].ip", action: "mask", subject: "details.rows[*].user" },
        { path: "details.debug", action: "drop" },
        { path: "details.debug.raw", action: "keep" },
        { path: "details.customer.tier", action: "mask" },
        { path: "actor.id", action: "pseudonymise" },
        { path: "actor.role", action: "drop" },
      ],
    });
    const { event, secrets } = maskEvent(base, policy, { pseudonym: KEY_A });
    expect(event.actor).toEqual({ id: pseudonym("jane@example.com", KEY_A), kind: "user" });
    expect(event.details?.customer).toEqual({
      email: pseudonym("jane.doe@example.com", KEY_A),
      phone: "+44 7700 900789", // kept by details.customer
      tier: "****",
    });
    expect(event.details?.debug).toBeUndefined();
    expect(event.details?.rows).toEqual([
      { ip: "192.168.*.*", user: "u1" },
      { ip: "8.8.*.*", user: "u2" },
    ]);
    expect(event.details?.note).toBe("from 10.1.*.*"); // no rule: detected
    expect(secrets.map((s) => [s.path, s.kind, s.subject])).toEqual([
      ["details.customer.tier", "value", "subj-1"],
      ["details.rows[0].ip", "ipv4", "u1"],
      ["details.rows[1].ip", "ipv4", "u2"],
      ["details.note", "ipv4", "subj-1"],
    ]);
    expect(validateEvent(event)).toEqual(event);
  });

  it("masks whole values outside details with a record in details", () => {
    const policy = validatePolicy(rule({ path: "actor.id", action: "mask" }));
    const { event, secrets } = maskEvent(base, policy, {});
    expect(event.actor.id).toBe("j***@example.com");
    expect(records(event)[0]).toMatchObject({ path: "actor.id", kind: "email", at: [0, 16] });
    expect(secrets[0]?.value).toBe("jane@example.com");
  });

  it("drops array elements and whole details, keeping the records", () => {
    const noDetails = validatePolicy({
      v: 1,
      rules: [
        { path: "details", action: "drop" },
        { path: "actor.id", action: "mask" },
      ],
    });
    const { event } = maskEvent(base, noDetails, {});
    expect(Object.keys(event.details ?? {})).toEqual([MASKED_FIELD]);
    const firstRow = validatePolicy(rule({ path: "details.rows[0]", action: "drop" }));
    const r = maskEvent(base, firstRow, {});
    expect(r.event.details?.rows).toEqual([{ ip: "8.8.*.*", user: "u2" }]);
    expect(records(r.event).find((x) => x.kind === "ipv4")?.path).toBe("details.rows[0].ip");
  });

  it("detect: false keeps details as they are unless a rule says otherwise", () => {
    const policy = validatePolicy({
      v: 1,
      detect: false,
      rules: [{ path: "details.note", action: "mask" }],
    });
    const { event } = maskEvent(base, policy, {});
    expect(event.details?.customer).toEqual(base.details?.customer);
    expect(event.details?.note).toBe("****");
  });

  it("kinds limits the detectors", () => {
    const policy = validatePolicy({ v: 1, kinds: ["ipv4"], rules: [] });
    const { secrets } = maskEvent(base, policy, {});
    expect(new Set(secrets.map((s) => s.kind))).toEqual(new Set(["ipv4"]));
  });

  it("pseudonyms are stable per key and differ across keys", () => {
    const policy = validatePolicy(rule({ path: "details.customer.email", action: "pseudonymise" }));
    const a1 = maskEvent(base, policy, { pseudonym: KEY_A }).event.details?.customer;
    const a2 = maskEvent(base, policy, { pseudonym: KEY_A }).event.details?.customer;
    const b = maskEvent(base, policy, { pseudonym: KEY_B }).event.details?.customer;
    const email = (x: unknown) => (x as { email: string }).email;
    expect(email(a1)).toBe(email(a2));
    expect(email(a1)).not.toBe(email(b));
    expect(email(a1)).toMatch(/^pn_[A-Za-z0-9_-]{22}$/);
    expect(pseudonym("x", KEY_A)).not.toBe(pseudonym("y", KEY_A));
    expect(() => maskEvent(base, policy, {})).toThrow(TypeError);
    expect(() => maskEvent(base, policy, { pseudonym: new Uint8Array(8) })).toThrow(TypeError);
  });

  it("refuses producer data under details.$masked, and hand-made invalid policies", () => {
    const forged = validateEvent({ ...base, details: { [MASKED_FIELD]: [] } });
    expect(() => maskEvent(forged, DEFAULT_POLICY, {})).toThrow(
      expect.objectContaining({ code: "E_EVENT_INVALID", location: { field: "details.$masked" } }),
    );
    const handMade = {
      v: 1,
      detect: true,
      kinds: [],
      subject: [],
      rules: [{ path: "id", action: "mask" }],
    };
    expect(() => maskEvent(base, handMade as unknown as Policy, {})).toThrow(
      expect.objectContaining({ code: "E_POLICY_INVALID" }),
    );
  });
});
