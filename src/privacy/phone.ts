/**
 * Telephone numbers, in E.164 form and the common national layouts, without matching
 * timestamps, dates, version strings, decimal numbers or numeric ids.
 *
 * A candidate is a run of digits and the separators ` `, `-`, `.`, `(`, `)` (at most two in a
 * row), optionally starting with `+`, 32 characters at most, standing alone: not glued to a
 * letter, digit, `_`, `.`, `-`, `/` or `+` on its left, nor to a letter, digit or `_` on its
 * right, nor followed by `.digit` or `-digit`. It is a phone number when one of these holds:
 *
 * - international: `+` or `00`, then 8..15 digits (E.164) whose first digit is 1..9; groups
 *   after the second have at least two digits (the second may be one digit, `+33 1 23 45 67 89`,
 *   or a `(0)` trunk marker, `+44 (0)20 …`);
 * - NANP: `1`? then 3-3-4 digit groups (`(415) 555-2671`, `415.555.2671`, `1-800-555-0199`),
 *   area code and exchange starting with 2..9;
 * - trunk-prefixed national: starting with `0` then 1..9, 10..12 digits in at least two groups
 *   of two or more (`020 7946 0958`, `07700 900123`, `01 23 45 67 89`, `030-12345678`).
 *
 * A bare run of digits without `+` is never a phone number: it is more likely an id or a time.
 * One pass over the text; each candidate is bounded, so the scan is linear.
 */

import { at, isDigit, isWord } from "./chars.js";
import { type Finding, push, type Scan } from "./finding.js";

const MAX_RUN = 32;

const isSep = (c: number): boolean =>
  c === 0x20 || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29;

/** Characters that glue a candidate to what is on its left. */
const gluedLeft = (c: number): boolean =>
  isWord(c) || c === 0x2e || c === 0x2d || c === 0x2f || c === 0x2b;

/** Finds telephone numbers. */
export function detectPhones(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!(c === 0x2b || c === 0x28 || isDigit(c)) || gluedLeft(at(text, i - 1))) {
      i++;
      continue;
    }
    // The run: digits and separators, at most two separators in a row, at most MAX_RUN + 1
    // characters (longer is not a phone number; the bound keeps restarts below linear).
    let e = i + 1;
    let seps = isDigit(c) ? 0 : 1;
    while (e < n && e - i <= MAX_RUN) {
      const d = text.charCodeAt(e);
      if (isDigit(d)) seps = 0;
      else if (isSep(d) && seps < 2) seps++;
      else break;
      e++;
    }
    const found = e - i <= MAX_RUN ? phoneIn(text, i, e) : null;
    if (found !== null) {
      push(out, "phone", text, found[0], found[1]);
      i = found[1];
      continue;
    }
    // Not a phone number as a whole: start again after the run's first space, so that a
    // number next to another one ("12 415-555-2671", "… 6/4/2023") is still found.
    let space = i + 1;
    while (space < e && text.charCodeAt(space) !== 0x20) space++;
    i = space < e ? space + 1 : Math.max(e, i + 1);
  }
}

/**
 * The phone number at the start of the run [i, e): the whole run, else the run cut after one
 * of its digit groups (longest first); without a leading "(" when it has no closing one.
 * A group of one digit after the second group fits no format, so no cut goes past one
 * (this keeps runs like "1 1 1 1 …" to a few steps).
 */
function phoneIn(text: string, i: number, e: number): [number, number] | null {
  const ends: number[] = [];
  const counts: number[] = []; // digits up to and including each group
  let digits = 0;
  for (let k = i; k < e; ) {
    if (!isDigit(text.charCodeAt(k))) {
      k++;
      continue;
    }
    const s = k;
    while (k < e && isDigit(text.charCodeAt(k))) k++;
    if (k - s < 2 && ends.length >= 2) break;
    digits += k - s;
    ends.push(k);
    counts.push(digits);
  }
  for (let g = ends.length - 1; g >= 0; g--) {
    if ((counts[g] as number) < 8) return null;
    if ((counts[g] as number) > 17) continue;
    const end = ends[g] as number;
    if (!standsAlone(text, end)) continue;
    if (isPhone(text.slice(i, end))) return [i, end];
    if (text.charCodeAt(i) === 0x28 && isPhone(text.slice(i + 1, end))) return [i + 1, end];
  }
  return null;
}

function standsAlone(text: string, e: number): boolean {
  const c = at(text, e);
  if (isWord(c)) return false;
  if ((c === 0x2e || c === 0x2d || c === 0x2c) && isDigit(at(text, e + 1))) return false;
  return true;
}

interface Group {
  digits: string;
  paren: boolean;
}

/** Splits `s` (digits, separators, an optional leading `+`) into digit groups. */
function groupsOf(s: string): Group[] | null {
  const groups: Group[] = [];
  let cur = "";
  let open = false;
  let paren = false;
  for (let k = s.charCodeAt(0) === 0x2b ? 1 : 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (isDigit(c)) {
      cur += s[k];
      continue;
    }
    if (cur !== "") {
      groups.push({ digits: cur, paren: paren && c === 0x29 });
      cur = "";
      paren = false;
    }
    if (c === 0x28) {
      if (open) return null;
      open = true;
      paren = true;
    } else if (c === 0x29) {
      if (!open) return null;
      open = false;
    }
  }
  if (open) return null;
  if (cur !== "") groups.push({ digits: cur, paren: false });
  return groups;
}

/** True if the candidate `s` (as the scanner cut it) is a telephone number. */
export function isPhone(s: string): boolean {
  if (!isDigit(s.charCodeAt(s.length - 1))) return false;
  // Cheap rejections first: 8..17 digits (E.164 with a 00 prefix), and a bare run of digits
  // is a phone number only after "+".
  let digits = 0;
  for (let k = 0; k < s.length; k++) if (isDigit(s.charCodeAt(k))) digits++;
  if (digits < 8 || digits > 17) return false;
  if (digits === s.length) return false;
  let groups = groupsOf(s);
  if (groups === null || groups.length === 0) return false;
  if (s.charCodeAt(0) === 0x2b) return international(groups);
  const first = groups[0] as Group;
  if (first.digits.startsWith("00")) {
    // 00 is the international call prefix: 0044 20 7946 0958, 00 44 20 7946 0958.
    if (groups.length < 2 || first.paren) return false;
    const rest = first.digits.slice(2);
    groups = rest === "" ? groups.slice(1) : [{ digits: rest, paren: false }, ...groups.slice(1)];
    return international(groups);
  }
  if (groups.length < 2) return false; // a bare run of digits is an id, not a phone number
  return nanp(groups) || trunk(groups);
}

function international(groups: Group[]): boolean {
  const digits = groups.map((g) => g.digits).join("");
  if (digits.length < 8 || digits.length > 15 || digits.charCodeAt(0) === 0x30) return false;
  if ((groups[0] as Group).paren) return false;
  for (let k = 1; k < groups.length; k++) {
    const g = groups[k] as Group;
    if (g.digits === "0" && g.paren && k === 1) continue; // +44 (0)20 …
    if (g.digits.length < 2 && !(k === 1 && g.digits !== "0")) return false; // +33 1 23 45 67 89
  }
  return true;
}

/** North American Numbering Plan: 1? (NXX) NXX-XXXX. */
function nanp(groups: Group[]): boolean {
  let g = groups;
  if (g.length === 4 && g[0]?.digits === "1" && !g[0].paren) g = g.slice(1);
  if (g.length !== 3) return false;
  const [a, b, c] = g as [Group, Group, Group];
  return (
    a.digits.length === 3 &&
    b.digits.length === 3 &&
    c.digits.length === 4 &&
    !b.paren &&
    !c.paren &&
    a.digits.charCodeAt(0) >= 0x32 &&
    b.digits.charCodeAt(0) >= 0x32
  );
}

/** National numbers with a trunk prefix 0: 020 7946 0958, (030) 1234 5678, 06 12 34 56 78. */
function trunk(groups: Group[]): boolean {
  const digits = groups.map((g) => g.digits).join("");
  if (digits.length < 10 || digits.length > 12) return false;
  if (digits.charCodeAt(0) !== 0x30 || digits.charCodeAt(1) === 0x30) return false;
  for (let k = 0; k < groups.length; k++) {
    const g = groups[k] as Group;
    if (g.digits.length < 2 || (g.paren && k > 0)) return false;
  }
  return true;
}
