/**
 * The detectors, run together over one string.
 *
 * `detect` runs every enabled detector, then resolves overlaps: when two findings overlap, the
 * one whose kind comes first in KINDS wins (a JWT inside `Authorization: Bearer …` is a `jwt`,
 * not a generic `secret`; an IPv4 address inside an IPv6 one is part of the `ipv6`), and among
 * findings of the same kind the one that starts first. The result is sorted by position and
 * its findings do not overlap.
 *
 * Every detector is linear in the length of the text: they scan with loops whose lookahead
 * is bounded, and each of their regular expressions either scans the text with a literal
 * prefix and bounded quantifiers (no nesting), or runs only on a candidate of bounded length
 * (a member name of at most 64 characters, a value of at most 256). test/privacy/redos.test.ts
 * runs each detector on 100 KB adversarial inputs. One pass over the text (shapeOf, shape.ts)
 * first skips the detectors that cannot match.
 */

import { detectCards } from "./card.js";
import { detectEmails } from "./email.js";
import { type Finding, KINDS, type Kind, type Scan } from "./finding.js";
import { detectGenericSecrets, secretName } from "./generic.js";
import { detectIbans } from "./iban.js";
import { detectIpv4, detectIpv6 } from "./ip.js";
import { detectPhones } from "./phone.js";
import {
  S_AWS_SECRET,
  S_CARD,
  S_EMAIL,
  S_IBAN,
  S_IPV4,
  S_IPV6,
  S_PHONE,
  S_PRIVATE_KEY,
  S_SECRET_TEXT,
  S_SSN,
  S_TOKENS,
  shapeOf,
} from "./shape.js";
import { detectSsns } from "./ssn.js";
import { detectAwsSecrets, detectPrivateKeys, detectTokens } from "./tokens.js";

/** Options of `detect`. */
export interface DetectOptions {
  /**
   * The JSON member name the text is the value of. Generic secrets and AWS secret keys use it
   * as context (`{"password": "…"}`); SSNs without separators need it or a keyword in the text.
   */
  key?: string;
  /** Kinds to look for (default: all of KINDS). */
  kinds?: Iterable<Kind>;
}

const RANK: ReadonlyMap<Kind, number> = new Map(KINDS.map((k, i) => [k, i]));

interface Family {
  kinds: readonly Kind[];
  /** The bit of shapeOf (shape.ts) without which the family cannot find anything. */
  shape: number;
  run: (scan: Scan, out: Finding[]) => void;
}

const FAMILIES: readonly Family[] = [
  // detectIn also tests for `-----BEGIN ` before this one runs.
  { kinds: ["private-key"], shape: S_PRIVATE_KEY, run: detectPrivateKeys },
  {
    kinds: ["jwt", "aws-access-key", "github-token", "slack-token", "stripe-key", "google-api-key"],
    // detectTokens first searches the rules' prefixes, all at once.
    shape: S_TOKENS,
    run: detectTokens,
  },
  { kinds: ["aws-secret-key"], shape: S_AWS_SECRET, run: detectAwsSecrets },
  { kinds: ["iban"], shape: S_IBAN, run: detectIbans },
  { kinds: ["card"], shape: S_CARD, run: detectCards },
  { kinds: ["ssn"], shape: S_SSN, run: detectSsns },
  { kinds: ["email"], shape: S_EMAIL, run: detectEmails },
  { kinds: ["ipv6"], shape: S_IPV6, run: detectIpv6 },
  { kinds: ["ipv4"], shape: S_IPV4, run: detectIpv4 },
  { kinds: ["phone"], shape: S_PHONE, run: detectPhones },
  // Under a member name that says secret, the generic detector runs whatever the shape.
  { kinds: ["secret"], shape: S_SECRET_TEXT, run: detectGenericSecrets },
];

/**
 * Finds the sensitive values in `text`.
 * @param text any string (attacker-controlled; linear time in its length).
 * @returns non-overlapping findings sorted by `start`; empty when there are none. Never throws.
 */
export function detect(text: string, options: DetectOptions = {}): Finding[] {
  const kinds = options.kinds === undefined ? undefined : new Set(options.kinds);
  const found = detectIn(text, options.key, kinds);
  return found === NONE ? [] : found;
}

/**
 * `detect` without the options object, for the masking walk (one call per string). The
 * result may be a shared empty array: read it, never change it.
 */
export function detectIn(
  text: string,
  key: string | undefined,
  kinds: ReadonlySet<Kind> | undefined,
): Finding[] {
  if (text.length < 6) return NONE;
  const keyed = key !== undefined && secretName(key) !== "none";
  // Under a member name that says secret, any value is one: a timestamp too.
  if (!keyed && (isIsoTime(text) || isHexId(text))) return NONE;
  // Under a member name that says secret, the generic detector runs whatever the shape.
  let shape = shapeOf(text);
  if (keyed) shape |= S_SECRET_TEXT;
  if (shape === 0) return NONE;
  if ((shape & S_PRIVATE_KEY) !== 0 && !text.includes("-----BEGIN ")) shape &= ~S_PRIVATE_KEY;
  if (kinds !== undefined) shape &= familiesOf(kinds);
  if (shape === 0) return NONE;
  const scan: Scan = { text, key };
  const found: Finding[] = [];
  // (measured) A test of each family's bit, where a loop over the families called a closure
  // for some: the dispatch was a sixth of detectIn's own time on the planted corpus.
  for (let i = 0; i < FAMILIES.length; i++) {
    const f = FAMILIES[i] as Family;
    if ((shape & f.shape) !== 0) f.run(scan, found);
  }
  if (found.length === 0) return NONE;
  const wanted = kinds === undefined ? found : found.filter((x) => kinds.has(x.kind));
  return resolveOverlaps(wanted);
}

/** The shape bits of the families that report one of `kinds` (cached by the set's identity). */
function familiesOf(kinds: ReadonlySet<Kind>): number {
  let bits = FAMILY_BITS.get(kinds);
  if (bits === undefined) {
    bits = 0;
    for (const f of FAMILIES) if (f.kinds.some((k) => kinds.has(k))) bits |= f.shape;
    FAMILY_BITS.set(kinds, bits);
  }
  return bits;
}
const FAMILY_BITS = new WeakMap<ReadonlySet<Kind>, number>();

/**
 * The slow path, for tests: every detector on `text` (after the same ISO-time and hex-id
 * skip as detectIn), with no shape test. test/privacy/shape.test.ts checks that detectIn finds
 * exactly what this finds.
 */
export function detectEvery(text: string, key: string | undefined): Finding[] {
  if (text.length < 6) return NONE;
  const keyed = key !== undefined && secretName(key) !== "none";
  if (!keyed && (isIsoTime(text) || isHexId(text))) return NONE;
  const found: Finding[] = [];
  for (const f of FAMILIES) f.run({ text, key }, found);
  return found.length === 0 ? NONE : resolveOverlaps(found);
}

/**
 * True when the whole text is an ISO 8601 date or date-time: `YYYY-MM-DD` (a year 1000..9999),
 * optionally `T` or a
 * space, `hh:mm`, `:ss`, a fraction of 1..3 digits, and `Z` or `±hh:mm`. Unless its member name
 * says secret, such a text holds nothing any detector reports (test/privacy/detect.test.ts runs
 * every detector on them), and
 * (measured) timestamps were a third of the strings in which the phone and SSN detectors ran
 * on the clean corpus, the most frequent shape of all.
 */
function isIsoTime(t: string): boolean {
  const n = t.length;
  if (n < 10 || n > 35 || t.charCodeAt(4) !== 0x2d || t.charCodeAt(7) !== 0x2d) return false;
  // Years 1000..9999: `0010-00-00 00:00` is a trunk-prefixed phone number to the detector.
  if (t.charCodeAt(0) === 0x30) return false;
  if (!digitsAt(t, 0, 4) || !digitsAt(t, 5, 2) || !digitsAt(t, 8, 2)) return false;
  if (n === 10) return true;
  const sep = t.charCodeAt(10);
  if ((sep !== 0x54 && sep !== 0x20) || n < 16 || t.charCodeAt(13) !== 0x3a) return false;
  if (!digitsAt(t, 11, 2) || !digitsAt(t, 14, 2)) return false;
  let i = 16;
  if (i < n && t.charCodeAt(i) === 0x3a) {
    if (!digitsAt(t, i + 1, 2)) return false;
    i += 3;
    if (i < n && t.charCodeAt(i) === 0x2e) {
      let k = i + 1;
      // At most milliseconds: `00:00:00.10000000` holds `00.10000000`, to the phone
      // detector an international number (00, then eight digits).
      while (k < n && k - i <= 3 && isDigitCode(t.charCodeAt(k))) k++;
      if (k === i + 1) return false;
      i = k;
    }
  }
  if (i === n) return true;
  const z = t.charCodeAt(i);
  if (z === 0x5a) return i + 1 === n;
  if (z !== 0x2b && z !== 0x2d) return false;
  return (
    i + 6 === n && digitsAt(t, i + 1, 2) && t.charCodeAt(i + 3) === 0x3a && digitsAt(t, i + 4, 2)
  );
}

const isDigitCode = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLowerHexLetter = (c: number): boolean => c >= 0x61 && c <= 0x66;

/**
 * True when the whole text is an id in hex: a UUID (`8-4-4-4-12` hex digits, either case), or
 * lower-case hex with at least one letter (a SHA-256 or git hash) that does not start like an
 * IBAN (two letters, two digits: `de89…` is a lower-case German IBAN in hex digits). Unless its
 * member name says secret, such a text holds nothing any detector reports: a digit run in it is
 * glued to a letter or a dash (no card, phone, SSN or IP address stands alone), it has no `@`,
 * `:`, `_`, upper-case letter, nor any letter of a token prefix or of a secret keyword
 * (test/privacy/detect.test.ts runs every detector on them). One result changes: the phone
 * detector alone takes the start of a UUID such as `00600000-0000-…` for a number after the
 * international prefix 00, a false positive that detect() no longer reports. (measured) Hashes
 * and UUIDs were a fifth of the strings of the clean corpus; skipping them took 3-4 µs of about
 * 28 an event off detection.
 */
function isHexId(t: string): boolean {
  const n = t.length;
  if (n === 36 && t.charCodeAt(8) === 0x2d && t.charCodeAt(13) === 0x2d) {
    for (let k = 0; k < n; k++) {
      const c = t.charCodeAt(k);
      if (k === 8 || k === 13 || k === 18 || k === 23) {
        if (c !== 0x2d) return false;
      } else if (!(isDigitCode(c) || isLowerHexLetter(c | 0x20))) return false;
    }
    return true;
  }
  if (n < 16) return false;
  let letter = false;
  for (let k = 0; k < n; k++) {
    const c = t.charCodeAt(k);
    if (isLowerHexLetter(c)) letter = true;
    else if (!isDigitCode(c)) return false;
  }
  // Two letters then two digits at the start: maybe a lower-case IBAN.
  const ibanLike =
    isLowerHexLetter(t.charCodeAt(0)) &&
    isLowerHexLetter(t.charCodeAt(1)) &&
    isDigitCode(t.charCodeAt(2)) &&
    isDigitCode(t.charCodeAt(3));
  return letter && !ibanLike;
}

function digitsAt(t: string, from: number, count: number): boolean {
  if (from + count > t.length) return false;
  for (let k = from; k < from + count; k++) if (!isDigitCode(t.charCodeAt(k))) return false;
  return true;
}

/** The empty result, shared (callers never mutate findings). */
const NONE: Finding[] = [];

function resolveOverlaps(found: Finding[]): Finding[] {
  if (found.length <= 1) return found;
  const byPriority = [...found].sort(
    (a, b) => (RANK.get(a.kind) as number) - (RANK.get(b.kind) as number) || a.start - b.start,
  );
  // Findings of one kind never overlap each other, so marking the taken code units costs at
  // most one pass over the text per kind: linear, where comparing pairs would be quadratic.
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const f of found) {
    lo = Math.min(lo, f.start);
    hi = Math.max(hi, f.end);
  }
  const taken = new Uint8Array(hi - lo);
  const kept: Finding[] = [];
  for (const f of byPriority) {
    let free = true;
    for (let k = f.start; k < f.end && free; k++) if (taken[k - lo] === 1) free = false;
    if (!free) continue;
    taken.fill(1, f.start - lo, f.end - lo);
    kept.push(f);
  }
  return kept.sort((a, b) => a.start - b.start);
}
