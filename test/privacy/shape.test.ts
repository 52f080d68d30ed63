/**
 * The shape pass (src/privacy/shape.ts) only decides which detectors run: the fast path
 * (detectIn) must find exactly what the slow path (detectEvery: every detector on every
 * string) finds. Checked on generated strings made of the corpus's clean values, its planted
 * values, and the digits, separators and keywords the detectors' patterns are built from.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectEvery, detectIn } from "../../src/privacy/detect.js";
import type { Finding } from "../../src/privacy/finding.js";
import { S_CARD, S_IBAN, S_IPV4, S_PHONE, S_SSN, shapeOf } from "../../src/privacy/shape.js";
import { cleanCorpus, piiCorpus } from "./corpus.js";

const numRuns = Number(process.env.LOGSEAL_PROPERTY_RUNS ?? 3000);

function stringsOf(v: unknown, out: string[]): void {
  if (typeof v === "string") out.push(v);
  else if (typeof v === "number") out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) stringsOf(x, out);
  else if (v !== null && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      stringsOf(x, out);
    }
  }
}

const clean: string[] = [];
for (const e of cleanCorpus({ count: 60, seed: 11 })) stringsOf(e.event.details, clean);
const planted: string[] = [];
for (const e of piiCorpus({ count: 200, seed: 12 }))
  for (const p of e.planted) planted.push(p.value);

const piece = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...clean) },
  { weight: 3, arbitrary: fc.constantFrom(...planted) },
  // A planted value cut: the shape of a value without its validity.
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...planted), fc.nat(), fc.nat())
      .map(([v, a, b]) => v.slice(a % v.length, (a % v.length) + 1 + (b % v.length))),
  },
  {
    weight: 4,
    arbitrary: fc.constantFrom(..."0123456789"),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(" ", "-", ".", "(", ")", "+", "/", ",", ":", "=", "@", "_", "::"),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "a",
      "x",
      "GB",
      "de",
      "é",
      "\n",
      "Bearer ",
      "bearer ",
      "password=",
      "token: ",
      "api_key=",
      "ssn ",
      "aws_secret_access_key=",
      "-----BEGIN ",
      "ghp_",
      "AKIA",
      "eyJ",
      "00",
      "+1 ",
      "(0)",
      "(-",
      "+(",
      ".(",
      "000",
    ),
  },
);

const text = fc.array(piece, { maxLength: 14 }).map((a) => a.join(""));
const key = fc.constantFrom(
  undefined,
  "note",
  "ssn",
  "password",
  "api_key",
  "aws_secret_access_key",
  "max_tokens",
  "message",
);

const same = (f: Finding[]) => f.map((x) => `${x.kind}@${x.start}-${x.end}`);

describe("the shape pass", () => {
  it("lets detectIn find exactly what every detector on every string finds", () => {
    fc.assert(
      fc.property(text, key, (t, k) => {
        expect(same(detectIn(t, k, undefined)), JSON.stringify([t, k])).toEqual(
          same(detectEvery(t, k)),
        );
      }),
      { numRuns: numRuns * 3 },
    );
  });

  it("holds on every string of the two corpora as they are", () => {
    const all: string[] = [];
    for (const e of cleanCorpus({ count: 300, seed: 5 })) stringsOf(e.event.details, all);
    for (const e of piiCorpus({ count: 300, seed: 6 })) stringsOf(e.event.details, all);
    for (const t of all) {
      for (const k of [undefined, "ssn", "password"]) {
        expect(same(detectIn(t, k, undefined)), JSON.stringify([t, k])).toEqual(
          same(detectEvery(t, k)),
        );
      }
    }
  });

  it("wakes the detector each planted value needs, and not the others on clean values", () => {
    expect(shapeOf("call +44 20 7946 0958 now")).not.toBe(0);
    expect(shapeOf("2026-03-29")).toBe(0);
    const digits = S_CARD | S_SSN | S_PHONE | S_IBAN;
    const path = "/mnt/ckpt/llama-3-8b/step-32556/model-00001-of-00005.safetensors";
    expect(shapeOf(path) & digits).toBe(0);
    expect(shapeOf("4242 4242 4242 4242") & S_CARD).toBe(S_CARD);
    expect(shapeOf("ssn 123-45-6789") & S_SSN).toBe(S_SSN);
    expect(shapeOf("GB82 WEST 1234 5698 7654 32") & S_IBAN).toBe(S_IBAN);
    expect(shapeOf("llama-3.1-70b-instruct")).toBe(0);
  });

  it("wakes the token detector for the shortest tokens, alone in their string", () => {
    // `xoxb-` and ten characters is a Slack token of 15: a length test of 20 missed it.
    for (const t of ["xoxp-3300625219", "xoxb-12345678901234"]) {
      expect(detectIn(t, undefined, undefined).map((f) => f.kind)).toEqual(["slack-token"]);
    }
  });

  it("wakes the IPv4 detector from the digit runs alone", () => {
    for (const t of ["10.0.0.1", "host 192.168.1.20:8080", "::ffff:10.1.2.3", "(8.8.8.8)"]) {
      expect(detectIn(t, undefined, undefined).length, t).toBe(1);
    }
    expect(shapeOf("v1.2.3.4") & S_IPV4).toBe(0);
    expect(shapeOf("1.2.3") & S_IPV4).toBe(0);
    expect(shapeOf("1234.1.2.3") & S_IPV4).toBe(0);
  });

  it("wakes the phone detector for a number opened by a sign and a separator", () => {
    // The phone detector's candidate may start with `(` or `+` and one separator more.
    for (const t of ["call (-020) 7946 0958 now", "x +-44 20 7946 0958"]) {
      expect(detectIn(t, undefined, undefined).map((f) => f.kind)).toEqual(["phone"]);
    }
  });

  it("finds the generic secret after 'Bearer' without ':' or '=' (the census gate missed it)", () => {
    const t = "sent Bearer Zx9qT4mLp2Vr8sKw7";
    expect(same(detectIn(t, undefined, undefined))).toEqual(same(detectEvery(t, undefined)));
    expect(detectIn(t, undefined, undefined).map((f) => f.kind)).toEqual(["secret"]);
  });
});
