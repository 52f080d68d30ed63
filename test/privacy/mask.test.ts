/**
 * The masked event's shape (formats/privacy-policy.md, "The masked event"), the commitment
 * formula, and commitments that verify only for the right value and salt.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { completeEvent, decodeLeaf, encodeLeaf, validateEvent } from "../../src/event/index.js";
import {
  commitValue,
  DEFAULT_POLICY,
  displayMask,
  MASKED_FIELD,
  type MaskRecord,
  maskEvent,
  parsePolicy,
  SALT_LENGTH,
  verifyCommitment,
} from "../../src/privacy/index.js";

const SALT = Uint8Array.from({ length: 16 }, (_, i) => i);
const fixedSalt = () => SALT.slice();

const ev = (details: Record<string, unknown>) =>
  validateEvent({
    actor: { id: "svc-ingest" },
    action: "dataset.ingest",
    outcome: "success",
    details,
  });

const records = (details: unknown) =>
  (details as Record<string, unknown>)[MASKED_FIELD] as MaskRecord[];

describe("commitments", () => {
  it('are SHA-256("logseal-commit/v1\\n" || salt || UTF-8(value)) in base64', () => {
    const want = createHash("sha256")
      .update("logseal-commit/v1\n")
      .update(SALT)
      .update("jane@example.com")
      .digest("base64");
    expect(commitValue("jane@example.com", SALT)).toBe(want);
    expect(want).toHaveLength(44);
    // Values whose UTF-8 is longer than their UTF-16 (2, 3 and 4 bytes a character), and empty.
    for (const v of [
      "",
      "jörg@exämple.com",
      "山田@例え.jp",
      "🙂🙂 ann@example.com",
      "\u{10ffff}".repeat(50),
    ]) {
      const h = createHash("sha256").update("logseal-commit/v1\n").update(SALT).update(v, "utf8");
      expect(commitValue(v, SALT)).toBe(h.digest("base64"));
      expect(verifyCommitment(v, SALT, commitValue(v, SALT))).toBe(true);
    }
  });

  it("verify only with the right value and salt, and return false on garbage", () => {
    const commit = commitValue("4242 4242 4242 4242", SALT);
    expect(verifyCommitment("4242 4242 4242 4242", SALT, commit)).toBe(true);
    expect(verifyCommitment("4242 4242 4242 4241", SALT, commit)).toBe(false);
    expect(verifyCommitment("4242 4242 4242 4242", new Uint8Array(16), commit)).toBe(false);
    expect(verifyCommitment("4242 4242 4242 4242", SALT.subarray(0, 15), commit)).toBe(false);
    expect(verifyCommitment("x", SALT, "not base64")).toBe(false);
    expect(verifyCommitment("x", SALT, commit.slice(0, 40))).toBe(false);
    expect(verifyCommitment("x", SALT, commit.replace("=", ""))).toBe(false);
    expect(verifyCommitment(42 as unknown as string, SALT, commit)).toBe(false);
    expect(verifyCommitment("x", "salt" as unknown as Uint8Array, commit)).toBe(false);
    expect(() => commitValue("x", new Uint8Array(8))).toThrow(RangeError);
    expect(SALT_LENGTH).toBe(16);
  });
});

describe("the masked event", () => {
  it("replaces each finding in place and records path, kind, UTF-8 offsets and commitment", () => {
    const input = ev({ note: "naïve user → jane@example.com, from 10.0.0.1" });
    const { event, secrets } = maskEvent(input, DEFAULT_POLICY, {}, { salt: fixedSalt });
    expect(event.details?.note).toBe("naïve user → j***@example.com, from 10.0.*.*");
    const recs = records(event.details);
    expect(recs).toEqual([
      {
        path: "details.note",
        kind: "email",
        at: [16, 32],
        commit: commitValue("jane@example.com", SALT),
      },
      { path: "details.note", kind: "ipv4", at: [39, 47], commit: commitValue("10.0.0.1", SALT) },
    ]);
    const bytes = Buffer.from(event.details?.note as string, "utf8");
    expect(bytes.subarray(16, 32).toString()).toBe("j***@example.com");
    expect(bytes.subarray(39, 47).toString()).toBe("10.0.*.*");
    expect(secrets).toEqual([
      {
        path: "details.note",
        at: [16, 32],
        kind: "email",
        value: "jane@example.com",
        salt: SALT,
        commit: recs[0]?.commit,
        subject: "jane@example.com",
      },
      {
        path: "details.note",
        at: [39, 47],
        kind: "ipv4",
        value: "10.0.0.1",
        salt: SALT,
        commit: recs[1]?.commit,
        subject: "10.0.0.1",
      },
    ]);
  });

  it("masks member names, keeping names unique, and marks their records", () => {
    const input = ev({
      perUser: { "jane@example.com": 3, "jill@example.com": 4, "j***@example.com": 1 },
    });
    const { event, secrets } = maskEvent(input, DEFAULT_POLICY, {});
    expect(event.details?.perUser).toEqual({
      "j***@example.com#2": 3,
      "j***@example.com#3": 4,
      "j***@example.com": 1, // a producer's own name is never renamed
    });
    expect(records(event.details).map((r) => [r.path, r.key])).toEqual([
      ['details.perUser["j***@example.com#2"]', true],
      ['details.perUser["j***@example.com#3"]', true],
    ]);
    expect(secrets.map((s) => s.value)).toEqual(["jane@example.com", "jill@example.com"]);
  });

  it("masks card numbers sent as JSON numbers, and leaves other numbers alone", () => {
    const input = ev({ pan: 4242424242424242, rows: 1764000000000, n: 4242424242424241 });
    const { event, secrets } = maskEvent(input, DEFAULT_POLICY, {});
    expect(event.details).toMatchObject({ pan: "**** **** **** 4242", rows: 1764000000000 });
    expect(event.details?.n).toBe(4242424242424241);
    expect(secrets[0]?.value).toBe("4242424242424242");
  });

  it("uses a fresh salt per value, and never changes the input", () => {
    const input = ev({
      a: "jane@example.com",
      b: "jane@example.com",
      list: ["x", { mail: "joe@example.org" }],
      kept: { n: 1 },
    });
    const before = structuredClone(input);
    const { event, secrets } = maskEvent(input, DEFAULT_POLICY, {});
    expect(secrets[0]?.salt).not.toEqual(secrets[1]?.salt);
    expect(records(event.details)[0]?.commit).not.toBe(records(event.details)[1]?.commit);
    expect(input).toEqual(before);
    // Copy on write: what holds a mask is new, what masking left alone is shared.
    expect(event.details).not.toBe(input.details);
    expect(event.details?.list).not.toBe(input.details?.list);
    expect(event.details?.kept).toBe(input.details?.kept);
    expect(JSON.stringify(event)).not.toContain("joe@example.org");
  });

  it("copies details before adding $masked when only actor fields were masked", () => {
    const policy = parsePolicy(
      JSON.stringify({ v: 1, rules: [{ path: "actor.id", action: "mask" }] }),
    );
    const input = ev({ n: 1 });
    const before = structuredClone(input);
    const { event } = maskEvent(input, policy, {});
    expect(input).toEqual(before);
    expect(records(event.details)).toHaveLength(1);
    expect(event.details).not.toBe(input.details);
  });

  it("adds no $masked member when nothing is masked, and survives the leaf round trip", () => {
    const clean = ev({
      sha256: "9f86d081884c7d659a2feaea0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0",
    });
    expect(maskEvent(clean, DEFAULT_POLICY, {}).event).toEqual(clean);
    const { event } = maskEvent(ev({ ip: "203.0.113.9" }), DEFAULT_POLICY, {});
    const complete = completeEvent(event, 1_795_000_000_000);
    expect(decodeLeaf(encodeLeaf(complete))).toEqual(complete);
  });

  it("gives every kind a display mask that does not contain the value", () => {
    const samples: Array<[Parameters<typeof displayMask>[0], string, string]> = [
      ["email", "jane.doe@example.com", "j***@example.com"],
      ["phone", "+44 7700 900789", "+44 **** ***789"],
      ["phone", "+447700900789", "+44*******789"],
      ["phone", "(415) 555-2671", "(***) ***-*671"],
      ["card", "4242-4242-4242-4242", "**** **** **** 4242"],
      ["card", "378282246310005", "**** **** *** 0005"],
      ["iban", "GB82 WEST 1234 5698 7654 32", "GB** **** **** **** **54 32"],
      ["ssn", "123-45-6780", "***-**-6780"],
      ["ipv4", "192.168.1.20", "192.168.*.*"],
      ["ipv4", "10.1.0.0/16", "10.1.*.*/16"],
      ["ipv6", "2001:db8::ff00:42:8329", "2001:db8:*:*:*:*:*:*"],
      ["aws-access-key", "AKIAIOSFODNN7EXAMPLE", "AKIA****"],
      ["github-token", `ghp_${"a".repeat(36)}`, "ghp_****"],
      ["github-token", `github_pat_${"a".repeat(82)}`, "github_pat_****"],
      ["slack-token", "xoxb-1-2-abc", "xoxb-****"],
      ["slack-token", "https://hooks.slack.com/services/T/B/x", "https://hooks.slack.com/****"],
      ["stripe-key", "sk_live_abcdef", "sk_live_****"],
      ["google-api-key", "AIzaSyDaGmWKa4JsXZ", "AIza****"],
      ["jwt", "eyJa.eyJb.c", "eyJ****.****.****"],
      [
        "private-key",
        "-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----****-----END EC PRIVATE KEY-----",
      ],
      ["aws-secret-key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "****"],
      ["secret", "hunter22", "****"],
      ["value", "anything", "****"],
    ];
    for (const [kind, value, mask] of samples) expect(displayMask(kind, value), kind).toBe(mask);
  });
});
