/**
 * Generic secrets: a high-entropy value next to a keyword that says it is a secret.
 *
 * Two places name a secret:
 * - the JSON member name holding the string (`password`, `api_key`, `clientSecret`,
 *   `auth-token`): then the whole string, trimmed, is the candidate when it has no white space;
 * - an assignment inside the text (`password=…`, `"api_key": "…"`, `token: …`,
 *   `Authorization: Bearer …`): the identifier around the keyword, then at most three spaces
 *   or quotes, an operator (`=`, `:`, `:=`, `=>`), at most three spaces or quotes, and the value
 *   up to the next space, quote, `,` or `;`.
 *
 * The name is split into words (`max_tokens` → max, tokens; `clientSecret` → client, secret);
 * it names a secret when a word is a keyword (KEYWORDS) or two words form one (`api key`,
 * `private key`), and no word is a stop word (STOP_WORDS: `max_tokens`, `token_count`,
 * `tokenizer`, `auth_method`, `api_key_id` are not secrets).
 *
 * The value must be 8..256 characters (6 for passwords), not a placeholder (`********`,
 * `<redacted>`, `${VAR}`), not a URL (nor a file name, in text), use at least two character
 * classes (lower, upper, digit, other), and have Shannon entropy of at least ENTROPY_MIN bits
 * per character (PASSWORD_ENTROPY_MIN for passwords). The thresholds were tuned on the test
 * corpus.
 */

import { entropy, isAlnum, isDigit, isLower, isSpace, isUpper } from "./chars.js";
import { type Finding, push, type Scan } from "./finding.js";

/** Entropy threshold for tokens, keys and secrets (bits per character). */
export const ENTROPY_MIN = 3.0;
/** Entropy threshold for passwords, which people choose. */
export const PASSWORD_ENTROPY_MIN = 2.5;

const PASSWORD_WORDS: ReadonlySet<string> = new Set([
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "pass",
]);
const KEYWORDS: ReadonlySet<string> = new Set([
  "secret",
  "token",
  "apikey",
  "credential",
  "credentials",
  "creds",
  "bearer",
  "auth",
  "authorization",
  "privatekey",
  "accesskey",
  "secretkey",
  "sessionkey",
  "signingkey",
  "cookie",
]);
/** Words that, joined with the next one, form a keyword: `api key`, `client secret`. */
const KEY_QUALIFIERS: ReadonlySet<string> = new Set([
  "api",
  "access",
  "secret",
  "private",
  "signing",
  "encryption",
  "master",
  "session",
  "auth",
  "client",
  "refresh",
  "bearer",
  "license",
]);
const STOP_WORDS: ReadonlySet<string> = new Set([
  "count",
  "counts",
  "max",
  "min",
  "num",
  "limit",
  "len",
  "length",
  "size",
  "usage",
  "used",
  "budget",
  "type",
  "kind",
  "name",
  "names",
  "url",
  "uri",
  "endpoint",
  "path",
  "file",
  "ttl",
  "expiry",
  "expires",
  "expiration",
  "id",
  "ids",
  "algorithm",
  "alg",
  "format",
  "version",
  "policy",
  "rotation",
  "ref",
  "method",
  "mode",
  "provider",
  "scheme",
  "header",
  "required",
  "enabled",
  "tokens",
  "tokenizer",
  "public",
  "author",
  "fingerprint",
  "label",
  "hint",
  "status",
  "rate",
]);

/** How a name relates to secrets: not at all, a password, or another credential. */
export type SecretName = "none" | "password" | "secret";

/**
 * Splits an identifier into lowercase words: snake, kebab, dotted and camelCase. Callers pass
 * names of at most 64 characters (the second replace backtracks on long runs of capitals).
 */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
}

/** Names already classified: member names repeat from one event to the next. */
const names = new Map<string, SecretName>();
const NAMES_MAX = 4096;

/** Classifies a JSON member name or an identifier in text (`db_password`, `apiKey`). */
export function secretName(name: string): SecretName {
  let cls = names.get(name);
  if (cls === undefined) {
    cls = classify(name);
    if (names.size >= NAMES_MAX) names.clear();
    names.set(name, cls);
  }
  return cls;
}

function classify(name: string): SecretName {
  if (name.length === 0 || name.length > 64) return "none";
  const ws = words(name);
  let found: SecretName = "none";
  for (let k = 0; k < ws.length; k++) {
    const w = ws[k] as string;
    if (STOP_WORDS.has(w)) return "none";
    if (PASSWORD_WORDS.has(w)) found = "password";
    else if (found === "none") {
      const next = ws[k + 1];
      if (KEYWORDS.has(w)) found = "secret";
      else if (
        next !== undefined &&
        KEY_QUALIFIERS.has(w) &&
        (next === "key" || next === "secret" || next === "token")
      ) {
        found = "secret";
      }
    }
  }
  return found;
}

const PLACEHOLDER =
  /^(?:\*+|x+|X+|\.+|-+|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|redacted|null|none|changeme|undefined|true|false)$/i;

/**
 * True if `v` looks like a secret value for a name of class `cls`.
 * @param inText the value was assigned in text (`password=…`), where a file name after the
 *   keyword (`/etc/ml/db-password.txt`) is more likely a reference than a secret.
 */
export function secretValue(v: string, cls: SecretName, inText = false): boolean {
  const min = cls === "password" ? 6 : 8;
  if (v.length < min || v.length > 256 || cls === "none") return false;
  if (PLACEHOLDER.test(v)) return false;
  if (v.includes("://")) return false;
  // A file name (base64 has no "."): password=/etc/ml/db-password.txt names a file.
  if (inText && /^(?:\/|\.\/|~\/)[^ ]*\.[A-Za-z0-9]{1,8}$/.test(v)) return false;
  let classes = 0;
  let lower = false;
  let upper = false;
  let digit = false;
  let other = false;
  for (let k = 0; k < v.length; k++) {
    const c = v.charCodeAt(k);
    if (isSpace(c)) return false;
    if (isLower(c)) lower = true;
    else if (isUpper(c)) upper = true;
    else if (isDigit(c)) digit = true;
    else other = true;
  }
  classes = Number(lower) + Number(upper) + Number(digit) + Number(other);
  if (classes < 2) return false;
  return entropy(v) >= (cls === "password" ? PASSWORD_ENTROPY_MIN : ENTROPY_MIN);
}

/** Keyword stems to look for in text; the identifier around each is then classified. */
const KEYWORD_IN_TEXT =
  /passw|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|creds|auth|bearer|cookie/gi;

const isIdent = (c: number): boolean => isAlnum(c) || c === 0x5f || c === 0x2d || c === 0x2e;
const isQuoteOrSpace = (c: number): boolean =>
  c === 0x20 || c === 0x09 || c === 0x22 || c === 0x27 || c === 0x60;
/** Where an assigned value ends: white space, a quote, `,` or `;` (so `&` and `)` stay in). */
const endsValue = (c: number): boolean =>
  isSpace(c) || c === 0x22 || c === 0x27 || c === 0x60 || c === 0x2c || c === 0x3b;

/** Finds generic secrets (kind `secret`). */
export function detectGenericSecrets(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  if (scan.key !== undefined) {
    const cls = secretName(scan.key);
    if (cls !== "none") {
      let s = 0;
      let e = text.length;
      while (s < e && isSpace(text.charCodeAt(s))) s++;
      while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
      const v = text.slice(s, e);
      const scheme = /^(?:Bearer|Basic|Token) /i.exec(v);
      const vs = scheme === null ? s : s + scheme[0].length;
      if (secretValue(text.slice(vs, e), cls)) {
        push(out, "secret", text, vs, e);
        return;
      }
    }
  }
  KEYWORD_IN_TEXT.lastIndex = 0;
  const run: Run = { from: -1, to: -1 };
  for (;;) {
    const m = KEYWORD_IN_TEXT.exec(text);
    if (m === null) return;
    // The identifier around the keyword, bounded so that the scan stays linear.
    let s = m.index;
    while (s > 0 && m.index - s < 40 && isIdent(text.charCodeAt(s - 1))) s--;
    let e = m.index + m[0].length;
    while (e < text.length && e - m.index < 40 && isIdent(text.charCodeAt(e))) e++;
    KEYWORD_IN_TEXT.lastIndex = e;
    const cls = secretName(text.slice(s, e));
    if (cls === "none") continue;
    const value = valueAfter(text, e, run);
    if (value === null) continue;
    if (secretValue(text.slice(value[0], value[1]), cls, true)) {
      push(out, "secret", text, value[0], value[1]);
      KEYWORD_IN_TEXT.lastIndex = value[1];
    }
  }
}

/** A range [from, to) known to hold no value terminator (so no character is scanned twice). */
interface Run {
  from: number;
  to: number;
}

const MAX_VALUE = 256;

/** The value assigned after an identifier ending at `e`: [start, end), or null. */
function valueAfter(text: string, e: number, run: Run): [number, number] | null {
  let k = e;
  for (let q = 0; q < 3 && isQuoteOrSpace(text.charCodeAt(k)); q++) k++;
  const c = text.charCodeAt(k);
  const d = text.charCodeAt(k + 1);
  if (c === 0x3d && d === 0x3e)
    k += 2; // =>
  else if (c === 0x3a && d === 0x3d)
    k += 2; // :=
  else if (c === 0x3d || c === 0x3a) k += 1;
  else if (!(k > e && text.charCodeAt(k - 1) === 0x20 && /bearer$/i.test(text.slice(e - 6, e)))) {
    return null;
  }
  for (let q = 0; q < 4 && isQuoteOrSpace(text.charCodeAt(k)); q++) k++;
  // "Authorization: Bearer <token>": skip the scheme.
  const scheme = /^(?:Bearer|Basic|Token) /i.exec(text.slice(k, k + 7));
  if (scheme !== null) k += scheme[0].length;
  const s = k;
  if (s >= run.from && s < run.to) k = run.to;
  while (k < text.length && k - s <= MAX_VALUE && !endsValue(text.charCodeAt(k))) k++;
  run.from = s;
  run.to = k;
  if (k - s > MAX_VALUE || k === s) return null;
  // A sentence's full stop is not part of the value.
  while (k > s && text.charCodeAt(k - 1) === 0x2e) k--;
  return [s, k];
}
