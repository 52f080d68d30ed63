/**
 * One pass over a string that says which detector families could find something in it, so
 * that `detectIn` wakes only those (the rest never look at the string).
 *
 * Each bit is a NECESSARY condition of its detector's pattern: when a detector would report a
 * value, the bit is set. The reverse need not hold (a set bit only means "run it"). Why each
 * condition is necessary is written next to its bit, from the detector's own code;
 * test/privacy/shape.test.ts checks on generated strings that running only the woken families
 * finds exactly what running every family finds.
 *
 * (measured) On the clean corpus the previous gate (a census of the text's characters, now
 * removed) let the phone detector run on 3.9 strings an event, the IBAN one on 2.2, IPv6 on
 * 2.0, the SSN one on 1.8, the AWS secret one on 5.4 and the generic secret one on 5.3, each a
 * scan of its own; the census itself cost 4-6 µs of CPU an event. This pass costs less and keeps most of those scans away.
 *
 * No allocation: the state is in locals, the result a small integer.
 */

import { IBAN_LENGTHS } from "./iban.js";

export const S_PRIVATE_KEY = 1 << 0;
export const S_TOKENS = 1 << 1;
export const S_AWS_SECRET = 1 << 2;
export const S_IBAN = 1 << 3;
export const S_CARD = 1 << 4;
export const S_SSN = 1 << 5;
export const S_EMAIL = 1 << 6;
export const S_IPV6 = 1 << 7;
export const S_IPV4 = 1 << 8;
export const S_PHONE = 1 << 9;
export const S_SECRET_TEXT = 1 << 10;

// Character classes of ASCII code units (none for the rest: every detector's classes are ASCII).
const DIGIT = 1;
const LETTER = 2; // [A-Za-z]
const WORD = 4; // [A-Za-z0-9_]
const B64 = 8; // [A-Za-z0-9/+], AWS secret keys
const TW = 16; // [A-Za-z0-9_.-], every shaped token
const V6 = 32; // [0-9A-Fa-f:.], IPv6 candidates
const PSEP = 64; // [ -.()], the phone detector's separators
const UPPER = 128;
const UNDERSCORE = 256;

// Every code unit has an entry (0 beyond ASCII), so the hot loop needs no range test; 0xFFFF
// (a noncharacter, class 0) stands for the end of the text.
const CLS = new Uint16Array(0x10000);
/** The bit of a letter (folded to lower case) in a set of letters; 0 for the rest. */
const LBIT = new Int32Array(0x10000);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let k = 0;
  if (/[0-9]/.test(ch)) k |= DIGIT | WORD | B64 | TW | V6;
  if (/[A-Za-z]/.test(ch)) k |= LETTER | WORD | B64 | TW;
  if (/[A-Z]/.test(ch)) k |= UPPER;
  if (/[A-Fa-f]/.test(ch)) k |= V6;
  if (ch === "_") k |= WORD | TW | UNDERSCORE;
  if (ch === "/" || ch === "+") k |= B64;
  if (ch === "." || ch === "-") k |= TW;
  if (ch === ":" || ch === ".") k |= V6;
  if (" -.()".includes(ch)) k |= PSEP;
  CLS[c] = k;
  if ((k & LETTER) !== 0) LBIT[c] = 1 << ((c | 0x20) - 0x61);
}

const cls = (c: number): number => (c >= 0 ? (CLS[c] as number) : 0);

/** IBAN length per country, indexed by (first letter × 26 + second), upper case; 0: none. */
const IBAN_LEN = new Uint8Array(26 * 26);
for (const [cc, len] of Object.entries(IBAN_LENGTHS)) {
  IBAN_LEN[(cc.charCodeAt(0) - 0x41) * 26 + (cc.charCodeAt(1) - 0x41)] = len;
}

const bit = (ch: string): number => 1 << (ch.charCodeAt(0) - 0x61);
const set = (s: string): number => {
  let m = 0;
  for (const ch of s) m |= bit(ch);
  return m;
};
/**
 * The letters of each stem of KEYWORD_IN_TEXT (generic.ts), matched case-insensitively (no `u`
 * flag, so only ASCII letters fold: a stem can match only where its letters occur).
 * `private[_-]?key` is left out: its letters include those of `api key`, which is in.
 */
const STEMS = [
  "passw",
  "passphrase",
  "pwd",
  "secret",
  "token",
  "apikey",
  "accesskey",
  "credential",
  "creds",
  "auth",
  "bearer",
  "cookie",
].map(set);
const BEARER = set("bearer");
/**
 * The letters (folded to lower case) of each prefix of tokens.ts's HINTS, by what else the
 * prefix needs: an upper-case letter (AKIA ASIA ABIA ACCA AIza eyJ), a `_` (gh[pousr]_
 * github_pat_ k_live_ k_test_), or neither (xox xapp- hooks.slack.com). `gh[pousr]_` counts
 * as `gh` and `_`, whatever its third letter.
 */
const HINTS_UPPER = ["aki", "asi", "abi", "ac", "aiz", "eyj"].map(set);
const HINTS_UNDERSCORE = ["gh", "klive", "ktest"].map(set);
const HINTS_PLAIN = ["xo", "xap", "hookslackcm"].map(set);

/**
 * The families that may find something in `text` (bits S_*), from one pass. `keyed` is not an
 * input: the generic detector runs on every value under a secret member name, whatever this says.
 *
 * The pass does little per character (a class, the letter set, a digit-run counter); the work
 * of each digit run is done once at its end, and the work of a punctuation mark when it is
 * met. IPv4 addresses are recognised from the digit runs (four of 1..3 digits joined by dots);
 * IPv6 candidates are looked at only when the text has 2 colons.
 */
export function shapeOf(text: string): number {
  const n = text.length;
  const st = ST;
  st.out = 0;
  st.prevEnd = -1;
  st.cardActive = false;
  st.cardChain = 0;
  st.p1Len = 0;
  st.p1Gap = -1;
  st.p2Len = 0;
  st.p2Ok = false;
  st.p1Ok = false;
  st.phActive = false;
  st.phDigits = 0;
  st.phRuns = 0;
  st.phZero = false;
  st.phPlus = false;
  st.phNanp = false;
  st.ph1 = 0;
  st.ph2 = 0;
  st.v4 = 0;
  let letters = 0; // bit per ASCII letter (folded to lower case) present
  let any = 0; // union of the classes seen
  let colons = 0;
  let dashes = 0;
  let equals = false;
  let spaces = false;
  let ats = false;
  let twStart = 0;
  let twMax = 0;
  let b64Start = 0;
  let runStart = -2; // the current (or last) digit run is [runStart, last + 1)
  let last = -2;
  // (measured) The loop does as little as it can per character, and the least for letters,
  // the most frequent: a branch taken on the character's class costs a misprediction on
  // text that mixes classes (hex, ids), and the previous pass with a test at every
  // character for the end of a digit run cost twice as much. A digit run is handled when the
  // next one starts, or after the loop.
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const k = CLS[c] as number;
    letters |= LBIT[c] as number;
    any |= k;
    if ((k & LETTER) !== 0) continue;
    if ((k & DIGIT) !== 0) {
      if (i !== last + 1) {
        if (last >= 0) digitRun(text, st, runStart, last + 1);
        runStart = i;
      }
      last = i;
      continue;
    }
    // Punctuation, `_`, white space, anything not ASCII.
    // Tokens (tokens.ts): every rule's match, and `hooks.slack.com`, is a run of at least 15
    // characters of [A-Za-z0-9_.-].
    if ((k & TW) === 0) {
      if (i - twStart > twMax) twMax = i - twStart;
      twStart = i + 1;
    }
    // AWS secret keys (tokens.ts AWS_SECRET): a maximal run of exactly 40 of [A-Za-z0-9/+]
    // (`_` is a word character but not one of base64: it ends such a run).
    if ((k & B64) === 0) {
      if (i - b64Start === 40) st.out |= S_AWS_SECRET;
      b64Start = i + 1;
    }
    if (c === 0x2d) dashes++;
    else if (c === 0x3a) colons++;
    else if (c === 0x20) spaces = true;
    else if (c === 0x3d) equals = true;
    else if (c === 0x40) ats = true;
  }
  if (last >= 0) digitRun(text, st, runStart, last + 1);
  if (n - twStart > twMax) twMax = n - twStart;
  if (n - b64Start === 40) st.out |= S_AWS_SECRET;
  let out = st.out;
  // Private keys (tokens.ts): `-----BEGIN ` (detect.ts then tests for it).
  if (dashes >= 5) out |= S_PRIVATE_KEY;
  // E-mail (email.ts): scans out from each `@`.
  if (ats) out |= S_EMAIL;
  if (colons >= 2 && ipv6Shaped(text)) out |= S_IPV6;
  // Tokens: a match of a rule holds one of the prefixes of HINTS (tokens.ts), so all the
  // letters of one (HINTS_*), and an upper-case letter or a `_` if the prefix has one.
  // (measured) Testing for any upper-case letter, `_`, `x` or `k` instead woke the token
  // rules on 2.6 strings an event of the planted corpus, for about one token.
  // (The text's length needs no test of its own: the shortest token, `xoxb-` and 10
  // characters, is 15 long; a test for 20 here missed it when it was the whole text.)
  if (
    twMax >= 15 &&
    (hasAll(letters, HINTS_PLAIN) ||
      ((any & UPPER) !== 0 && hasAll(letters, HINTS_UPPER)) ||
      ((any & UNDERSCORE) !== 0 && hasAll(letters, HINTS_UNDERSCORE)))
  ) {
    out |= S_TOKENS;
  }
  // Generic secrets in text (generic.ts): a stem of KEYWORD_IN_TEXT, then valueAfter needs
  // `=` or `:`, or a space after `bearer`.
  if (((equals || colons > 0) && hasStem(letters)) || (spaces && (letters & BEARER) === BEARER)) {
    out |= S_SECRET_TEXT;
  }
  return out;
}

/** The state of the digit-run chains of one shapeOf call (one object, reused: no allocation). */
interface RunState {
  out: number;
  prevEnd: number; // end of the previous digit run, -1: none
  // Card chain.
  cardActive: boolean;
  cardChain: number;
  // SSN: the two previous runs.
  p1Len: number;
  p1Gap: number; // the single character between p2 and p1, -1 if not one character
  p2Len: number;
  p2Ok: boolean;
  p1Ok: boolean;
  // Phone chain.
  phActive: boolean;
  phDigits: number;
  phRuns: number;
  phZero: boolean;
  phPlus: boolean;
  phNanp: boolean;
  ph1: number; // lengths of the two previous runs of the chain
  ph2: number;
  // IPv4: runs of at most 3 digits joined by single dots, in the current chain.
  v4: number;
}

const ST: RunState = {
  out: 0,
  prevEnd: -1,
  cardActive: false,
  cardChain: 0,
  p1Len: 0,
  p1Gap: -1,
  p2Len: 0,
  p2Ok: false,
  p1Ok: false,
  phActive: false,
  phDigits: 0,
  phRuns: 0,
  phZero: false,
  phPlus: false,
  phNanp: false,
  ph1: 0,
  ph2: 0,
  v4: 0,
};

/** A maximal run of digits [runStart, end) of `text`: the IBAN, card, SSN, phone and IPv4 tests. */
function digitRun(text: string, st: RunState, runStart: number, end: number): void {
  const L = end - runStart;
  const left1 = runStart > 0 ? text.charCodeAt(runStart - 1) : -1;
  const k1 = cls(left1);
  const prevEnd = st.prevEnd;
  st.prevEnd = end;
  if ((k1 & (LETTER | UNDERSCORE)) !== 0) {
    // Glued to a letter or `_` on its left (hex ids, versions, names: most runs), the
    // run starts no card, SSN, phone or IPv4 candidate (all take word characters as glue,
    // see below) and ends any chain; only an IBAN can start here.
    // IBAN (iban.ts): two letters, two digits at a word start (no word character on the
    // left), a country of IBAN_LENGTHS, then that many alphanumerics: so as many characters
    // left in the text from the word's start.
    if (L >= 2 && (k1 & LETTER) !== 0) {
      const left2 = runStart > 1 ? text.charCodeAt(runStart - 2) : -1;
      if ((cls(left2) & LETTER) !== 0 && (cls(at(text, runStart - 3)) & WORD) === 0) {
        const len = IBAN_LEN[((left2 | 0x20) - 0x61) * 26 + ((left1 | 0x20) - 0x61)] as number;
        if (len > 0 && text.length - (runStart - 2) >= len) st.out |= S_IBAN;
      }
    }
    st.cardActive = false;
    st.phActive = false;
    st.v4 = 0;
    st.p2Len = st.p1Len;
    st.p2Ok = st.p1Ok;
    st.p1Len = L;
    st.p1Ok = false;
    st.p1Gap = -1;
    return;
  }
  const left2 = runStart > 1 ? text.charCodeAt(runStart - 2) : -1;
  const gap = prevEnd < 0 ? -1 : runStart - prevEnd;
  const gap1 = gap === 1 ? left1 : -1;
  // Card (card.ts): a candidate starts at a digit not glued on its left (word . - + /),
  // which is the start of a maximal digit run, and takes digits and single ` ` or `-`
  // between digits; it needs 13 digits. So its runs are joined by one ` ` or `-`, and
  // counting from the first startable run of such a chain bounds every candidate's digits.
  const glued = (k1 & WORD) !== 0 || left1 === 0x2e || left1 === 0x2d || left1 === 0x2f;
  const gluedCard = glued || left1 === 0x2b;
  if (gap1 === 0x20 || gap1 === 0x2d) {
    if (st.cardActive) st.cardChain += L;
    else if (!gluedCard) {
      st.cardActive = true;
      st.cardChain = L;
    }
  } else if (!gluedCard) {
    st.cardActive = true;
    st.cardChain = L;
  } else st.cardActive = false;
  if (st.cardActive && st.cardChain >= 13) st.out |= S_CARD;
  // SSN (ssn.ts): the candidate [s, e) is 11 characters `ddd S dd S dddd` (S one ` ` or
  // `-`, the same twice) or 9 bare digits; s is a run start or follows a space, so the
  // character before it is not glued (word . - /), and e is not followed by a digit. So
  // its groups are maximal digit runs of 3, 2, 4 joined by one equal character, or one
  // maximal run of 9.
  const ssnOk = !glued;
  if (L === 9 && ssnOk) st.out |= S_SSN;
  if (L === 4 && st.p1Len === 2 && st.p2Len === 3 && st.p2Ok && gap1 === st.p1Gap) {
    if (gap1 === 0x20 || gap1 === 0x2d) st.out |= S_SSN;
  }
  st.p2Len = st.p1Len;
  st.p2Ok = st.p1Ok;
  st.p1Len = L;
  st.p1Ok = ssnOk;
  st.p1Gap = gap1;
  // IPv4 (ip.ts): a candidate starts at a digit with no word character or `.` on its left
  // (so at a run start), and the address is four runs of 1..3 digits joined by single dots.
  if (gap1 === 0x2e && st.v4 > 0 && L <= 3) st.v4++;
  else st.v4 = L <= 3 && (k1 & WORD) === 0 && left1 !== 0x2e ? 1 : 0;
  if (st.v4 >= 4) st.out |= S_IPV4;
  // Phone (phone.ts): a candidate starts at `+`, `(` or a digit not glued on its left
  // (word . - / +), then holds digits and at most two separators (` -.()`) in a row, the
  // start counting as one when it is `+` or `(`. So its first digit run has on its left a
  // character that is not glued, or `+`/`(`, or a separator after `+`/`(`; its runs are
  // joined by gaps of one or two separators. isPhone needs 8+ digits, and: a `+` start
  // (international), or two groups or more with the first digit 0 (trunk, `00`
  // international) or three groups of 3, 3, 4 (NANP). Counting from the first startable
  // run of a chain bounds the digits of every candidate in it; a restart inside the chain
  // (after a space) begins at a startable run of it, whose first digit is recorded.
  const startable =
    !gluedCard || left1 === 0x2b || ((k1 & PSEP) !== 0 && (left2 === 0x2b || left2 === 0x28));
  const zero = text.charCodeAt(runStart) === 0x30;
  const gapSeps =
    (gap === 1 && (k1 & PSEP) !== 0) ||
    (gap === 2 && (k1 & PSEP) !== 0 && (cls(left2) & PSEP) !== 0);
  if (st.phActive && gapSeps) {
    st.phDigits += L;
    st.phRuns++;
    if (startable && zero) st.phZero = true;
    if (st.ph2 === 3 && st.ph1 === 3 && L === 4) st.phNanp = true;
    st.ph2 = st.ph1;
    st.ph1 = L;
  } else if (startable) {
    st.phActive = true;
    st.phDigits = L;
    st.phRuns = 1;
    st.phZero = zero;
    st.phPlus = left1 === 0x2b || ((k1 & PSEP) !== 0 && left2 === 0x2b);
    st.phNanp = false;
    st.ph2 = 0;
    st.ph1 = L;
  } else st.phActive = false;
  if (
    st.phActive &&
    st.phDigits >= 8 &&
    (st.phPlus || (st.phRuns >= 2 && (st.phZero || st.phNanp)))
  ) {
    st.out |= S_PHONE;
  }
}

/**
 * IPv6 (ip.ts): the detector looks at the maximal run of [0-9A-Fa-f:.] around each colon, with
 * no word character on either side; an address (ipv6Groups) has eight groups, so 7 colons (6
 * when its last two are an IPv4 address), or fewer with a `::`. Times (`12:34:56`) and MAC
 * addresses (five colons) have neither.
 */
function ipv6Shaped(text: string): boolean {
  const n = text.length;
  let from = 0;
  for (;;) {
    const colon = text.indexOf(":", from);
    if (colon < 0) return false;
    let s = colon;
    while (s > 0 && (cls(text.charCodeAt(s - 1)) & V6) !== 0) s--;
    let e = colon + 1;
    let count = 1;
    let double = false;
    while (e < n && (cls(text.charCodeAt(e)) & V6) !== 0) {
      if (text.charCodeAt(e) === 0x3a) {
        count++;
        if (text.charCodeAt(e - 1) === 0x3a) double = true;
      }
      e++;
    }
    from = e;
    if (
      (count >= 6 || double) &&
      (cls(at(text, s - 1)) & WORD) === 0 &&
      (cls(at(text, e)) & WORD) === 0
    ) {
      return true;
    }
  }
}

function hasStem(letters: number): boolean {
  return hasAll(letters, STEMS);
}

/** True if `letters` holds every letter of one of `sets`. */
function hasAll(letters: number, sets: readonly number[]): boolean {
  for (let i = 0; i < sets.length; i++) {
    const s = sets[i] as number;
    if ((letters & s) === s) return true;
  }
  return false;
}

function at(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}
