/**
 * Credentials with a recognisable shape: cloud and SaaS keys, JSON Web Tokens, PEM private key
 * blocks. Written from the providers' documented formats; gitleaks' rules
 * (`../shared/data/pii/gitleaks-rules-subset.json`) served as a checklist of what to cover.
 *
 * Every pattern here is a fixed prefix followed by one character class with a bounded count,
 * anchored by a lookbehind, so a failed attempt at one position costs at most the bound and
 * a scan is linear in the text (no nested quantifiers, no overlapping alternatives).
 */

import { entropy } from "./chars.js";
import { type Finding, type Kind, push, type Scan } from "./finding.js";

interface Rule {
  kind: Kind;
  /** Substrings of which every match contains one, tested before the regex runs. */
  prefilter: readonly string[];
  re: RegExp;
  /** Extra check on the match. */
  valid?: (m: string) => boolean;
}

const hasDigit = (m: string): boolean => /[0-9]/.test(m);

const RULES: readonly Rule[] = [
  {
    // AWS access key ids: AKIA (long-term), ASIA (STS temporary), ABIA, ACCA; 20 characters.
    kind: "aws-access-key",
    prefilter: ["AKIA", "ASIA", "ABIA", "ACCA"],
    re: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  {
    // GitHub: ghp_ (classic PAT), gho_ (OAuth), ghu_ (user-to-server), ghs_ (server-to-server),
    // ghr_ (refresh): 36 base62 characters today, up to 255 announced; github_pat_ (fine-grained).
    kind: "github-token",
    prefilter: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    re: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9_])/g,
  },
  {
    kind: "github-token",
    prefilter: ["github_pat_"],
    re: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{82,240}(?![A-Za-z0-9_])/g,
  },
  {
    // Slack: xoxb- (bot), xoxp- (user), xoxa-/xoxr- (app, refresh), xoxe-, xoxs-; xapp- (app-level).
    kind: "slack-token",
    prefilter: ["xox", "xapp-"],
    re: /(?<![A-Za-z0-9_-])(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9_-])/g,
    valid: (m) => hasDigit(m.slice(5)),
  },
  {
    // Slack incoming webhooks: the path is the secret.
    kind: "slack-token",
    prefilter: ["hooks.slack.com"],
    re: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/+-]{20,200}/g,
  },
  {
    // Stripe secret and restricted keys (publishable pk_ keys are public and not reported).
    kind: "stripe-key",
    prefilter: ["k_live_", "k_test_"],
    re: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9_])/g,
  },
  {
    // Google API keys: AIza then 35 characters of [A-Za-z0-9_-].
    kind: "google-api-key",
    prefilter: ["AIza"],
    re: /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g,
  },
  {
    // JSON Web Tokens (RFC 7519, compact JWS RFC 7515 §7.1): BASE64URL(header) "." payload "."
    // signature, the header a JSON object (so it starts with eyJ, base64 of '{"'); see isJwt.
    kind: "jwt",
    prefilter: ["eyJ"],
    re: /(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{8,2048}\.[A-Za-z0-9_-]{2,16384}\.[A-Za-z0-9_-]{0,4096}(?![A-Za-z0-9_-])/g,
    valid: isJwt,
  },
];

/**
 * Every rule's prefix (its `prefilter`), in one expression: each match names the rules it may
 * start. Matches are searched from each match's start + 1, so that overlapping prefixes are all
 * seen. Built from the rules, so that a rule cannot be left out of it.
 */
const HINTS = new RegExp(
  RULES.flatMap((r) => r.prefilter)
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("|"),
  "g",
);

/** The bit of RULES' rules that the prefix `hint` (a match of HINTS) may start. */
function hintRules(hint: string): number {
  let bits = 0;
  for (let r = 0; r < RULES.length; r++) {
    if ((RULES[r] as Rule).prefilter.some((p) => hint.startsWith(p))) bits |= 1 << r;
  }
  return bits;
}
const HINT_RULES = new Map<string, number>();

/**
 * Finds AWS, GitHub, Slack, Stripe and Google keys and JWTs. (measured) One search for every
 * prefix at once instead of a search for each rule's prefixes: the planted corpus wakes this
 * detector on 2.6 strings an event, and the eight searches were most of its time.
 */
export function detectTokens(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  let rules = 0;
  HINTS.lastIndex = 0;
  for (;;) {
    const m = HINTS.exec(text);
    if (m === null) break;
    let bits = HINT_RULES.get(m[0]);
    if (bits === undefined) {
      bits = hintRules(m[0]);
      HINT_RULES.set(m[0], bits);
    }
    rules |= bits;
    HINTS.lastIndex = m.index + 1;
  }
  if (rules === 0) return;
  for (let r = 0; r < RULES.length; r++) {
    if ((rules & (1 << r)) === 0) continue;
    const rule = RULES[r] as Rule;
    rule.re.lastIndex = 0;
    for (const m of text.matchAll(rule.re)) {
      if (rule.valid !== undefined && !rule.valid(m[0])) continue;
      push(out, rule.kind, text, m.index, m.index + m[0].length);
    }
  }
}

/**
 * True if `token` is a compact JWS whose header decodes to a JSON object with a string `alg`
 * and whose payload is valid base64url. The signature is not checked (no key).
 */
export function isJwt(token: string): boolean {
  const parts = token.split(".");
  if (parts.length !== 3) return false;
  const [header, payload] = parts as [string, string, string];
  if (header.length % 4 === 1 || payload.length % 4 === 1) return false;
  try {
    const h: unknown = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
    return typeof h === "object" && h !== null && typeof (h as { alg?: unknown }).alg === "string";
  } catch {
    return false;
  }
}

const PEM_BEGIN = "-----BEGIN ";
const PEM_END = "-----END ";
/** The label of a private key block: `PRIVATE KEY`, `RSA PRIVATE KEY`, `OPENSSH PRIVATE KEY`, … */
const PRIVATE_LABEL = /^[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?$/;

/**
 * Finds PEM private key blocks (RFC 7468): from `-----BEGIN … PRIVATE KEY-----` to the matching
 * `-----END … PRIVATE KEY-----`, or to the end of the text when the block is cut short (a
 * truncated key still leaks key material).
 */
export function detectPrivateKeys(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  let from = 0;
  for (;;) {
    const begin = text.indexOf(PEM_BEGIN, from);
    if (begin < 0) return;
    const labelStart = begin + PEM_BEGIN.length;
    const labelEnd = text.indexOf("-----", labelStart);
    if (labelEnd < 0) return;
    from = labelEnd;
    if (labelEnd - labelStart > 60) continue;
    const label = text.slice(labelStart, labelEnd);
    if (!PRIVATE_LABEL.test(label)) continue;
    // The first END after this BEGIN. One search per block: if there is none, the rest of the
    // text is the block, so the scan stays linear.
    const end = text.indexOf(PEM_END, labelEnd + 5);
    if (end < 0) {
      push(out, "private-key", text, begin, text.length);
      return;
    }
    const close = text.indexOf("-----", end + PEM_END.length);
    const stop = close < 0 || close - end > 80 ? text.length : close + 5;
    push(out, "private-key", text, begin, stop);
    from = stop;
  }
}

/** Keywords that put a 40-character string next to them in the AWS secret key family. */
const AWS_SECRET_KEYWORD = /secret[ _-]?access[ _-]?key|aws[ _-]?secret/i;
const AWS_SECRET = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/**
 * AWS secret access keys: 40 characters of base64 (`[A-Za-z0-9/+]`) with entropy ≥ 4.25 bits
 * per character, when the member name or the 64 characters before say `secret access key` or
 * `aws secret` (`aws_secret_access_key`, `SecretAccessKey`).
 */
export function detectAwsSecrets(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  const keyed = scan.key !== undefined && AWS_SECRET_KEYWORD.test(scan.key);
  if (!keyed && !AWS_SECRET_KEYWORD.test(text)) return;
  AWS_SECRET.lastIndex = 0;
  for (const m of text.matchAll(AWS_SECRET)) {
    if (entropy(m[0]) < 4.25) continue;
    if (!keyed && !AWS_SECRET_KEYWORD.test(text.slice(Math.max(0, m.index - 64), m.index))) {
      continue;
    }
    push(out, "aws-secret-key", text, m.index, m.index + m[0].length);
  }
}
