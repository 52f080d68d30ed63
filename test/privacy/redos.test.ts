/**
 * Safety against catastrophic backtracking: every detector, and `detect` as a whole, on
 * 100 KB adversarial inputs (long runs of near misses for each pattern). The bound, 5 s per
 * 100 KB, is a safety property, not a benchmark: a linear scan takes milliseconds here (the
 * slowest timings are printed at the end), while a quadratic one makes 10^10 steps on these
 * inputs (tens of seconds) and an exponential one never ends. (500 ms was too tight: one
 * detector took 842 ms on a machine at load 12.)
 */
import { afterAll, describe, expect, it } from "vitest";
import { detectCards } from "../../src/privacy/card.js";
import { detect } from "../../src/privacy/detect.js";
import { detectEmails } from "../../src/privacy/email.js";
import type { Detector, Finding } from "../../src/privacy/finding.js";
import { detectGenericSecrets } from "../../src/privacy/generic.js";
import { detectIbans } from "../../src/privacy/iban.js";
import { detectIpv4, detectIpv6 } from "../../src/privacy/ip.js";
import { detectPhones } from "../../src/privacy/phone.js";
import { detectSsns } from "../../src/privacy/ssn.js";
import { detectAwsSecrets, detectPrivateKeys, detectTokens } from "../../src/privacy/tokens.js";
import { prng } from "./corpus.js";

const SIZE = 100_000;
const BOUND_MS = 5_000;

/** `s` repeated to at least SIZE characters (inputs are cut to SIZE before use). */
const rep = (s: string): string => s.repeat(Math.ceil(SIZE / s.length));
const rnd = prng(7);
const random = (alphabet: string): string => {
  let s = "";
  for (let i = 0; i < SIZE; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
};
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Adversarial inputs, by the detector they aim at. */
const INPUTS: Record<string, string> = {
  "email a@": rep("a@"),
  "email a@a.": rep("a@a."),
  "email .@": rep(".@"),
  "email long local": `${"a".repeat(SIZE - 6)}@x.com`,
  "email long domain": `a@${rep("a.")}`,
  "email many": rep("j@ex.co "),
  "phone 1-": rep("1-"),
  "phone 1 ": rep("1 "),
  "phone +1 ": rep("+1 "),
  "phone (1) ": rep("(1) "),
  "phone ((": rep("(("),
  "digits 0": rep("0"),
  "digits 9": rep("9"),
  "card 4242 ": rep("4242 "),
  "card 4-": rep("4-"),
  "ssn 123-45-": rep("123-45-"),
  "ipv4 1.": rep("1."),
  "ipv4 1.1.1.1.": rep("1.1.1.1."),
  "ipv4 255.": rep("255."),
  "ipv6 ::": rep("::"),
  "ipv6 1:": rep("1:"),
  "ipv6 f:": rep("ffff:"),
  "ipv6 1::1:": rep("1::1:"),
  hex: random("0123456789abcdef"),
  "hex with colons": random("0123456789abcdef:"),
  "base64url, no dots": random(B64URL),
  "jwt eyJ": rep("eyJ"),
  "jwt eyJa.": rep("eyJaaaaaaaaa."),
  "jwt header then no second dot": `eyJhbGciOiJIUzI1NiJ9.${random(B64URL)}`,
  "pem BEGIN, no END": rep("-----BEGIN RSA PRIVATE KEY-----"),
  "pem BEGIN ": rep("-----BEGIN "),
  "pem dashes": rep("-"),
  "pem BEGIN…END mismatched": rep("-----BEGIN PRIVATE KEY-----x-----END "),
  "aws AKIA": rep("AKIA"),
  "aws secret keyword": `aws_secret_access_key=${random("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}`,
  "github ghp_ + alnum": `ghp_${random("abcXYZ0129")}`,
  "github ghp_": rep("ghp_"),
  "github_pat_ + _": `github_pat_${rep("_")}`,
  "slack xoxb-": rep("xoxb-"),
  "slack xoxb- + dashes": `xoxb-${rep("-")}`,
  "slack webhook": rep("https://hooks.slack.com/services/"),
  "stripe sk_live_": `sk_live_${rep("a")}`,
  "google AIza + dashes": `AIza${rep("-")}`,
  "iban GB82 ": rep("GB82 "),
  "iban GB82 + zeros": `GB82${rep("0")}`,
  "iban AB12": rep("AB12"),
  "generic password=": rep("password="),
  "generic password= + value": `password=${rep("a1")}`,
  "generic token ": rep("token "),
  'generic api_key: "': rep('api_key: "'),
  "generic Bearer ": rep("Bearer "),
  "generic keyword soup": rep("passwordsecrettokenauthapi_key"),
  "mixed punctuation": random("0123456789 -.:+()@/=_aeAKIxyzGBghp\n\"'"),
};

const DETECTORS: Record<string, Detector> = {
  email: detectEmails,
  phone: detectPhones,
  card: detectCards,
  iban: detectIbans,
  ssn: detectSsns,
  ipv4: detectIpv4,
  ipv6: detectIpv6,
  tokens: detectTokens,
  "aws-secret": detectAwsSecrets,
  "private-key": detectPrivateKeys,
  generic: detectGenericSecrets,
};

const timings: Array<[string, number]> = [];

function timed(label: string, f: () => void): number {
  const t0 = performance.now();
  f();
  const ms = performance.now() - t0;
  timings.push([label, ms]);
  return ms;
}

describe("adversarial inputs (100 KB each)", () => {
  for (const [name, input] of Object.entries(INPUTS)) {
    it(`${name}: every detector and detect() stay under ${BOUND_MS} ms`, () => {
      expect(input.length).toBeGreaterThanOrEqual(SIZE);
      const text = input.slice(0, SIZE);
      for (const [d, run] of Object.entries(DETECTORS)) {
        // The member name is context for the keyword detectors only.
        const keyed = d === "generic" || d === "aws-secret" || d === "ssn";
        for (const key of keyed ? [undefined, "password"] : [undefined]) {
          const out: Finding[] = [];
          const ms = timed(`${name} / ${d}${key ? " (key)" : ""}`, () => run({ text, key }, out));
          expect(ms, `${d} on ${name}`).toBeLessThan(BOUND_MS);
        }
      }
      const ms = timed(`${name} / detect()`, () => detect(text, { key: "api_key" }));
      expect(ms, `detect() on ${name}`).toBeLessThan(BOUND_MS);
    });
  }
});

afterAll(() => {
  const worst = [...timings].sort((a, b) => b[1] - a[1]).slice(0, 8);
  const total = timings.reduce((s, [, ms]) => s + ms, 0);
  console.log(
    `adversarial: ${timings.length} runs over ${Object.keys(INPUTS).length} inputs of 100 KB, ` +
      `total ${total.toFixed(0)} ms; slowest:\n` +
      worst.map(([l, ms]) => `  ${ms.toFixed(1).padStart(7)} ms  ${l}`).join("\n"),
  );
});
