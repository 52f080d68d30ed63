/**
 * United States Social Security numbers: `AAA-GG-SSSS` or `AAA GG SSSS` (one separator,
 * used twice), or nine bare digits when the member name or the 32 characters before them say
 * `ssn` or `social security`.
 *
 * Validation (SSA numbering rules): area 001..899 except 666; group 01..99; serial
 * 0001..9999; not one digit repeated; not a number known from advertising and documentation
 * (078-05-1120, 219-09-9999, 123-45-6789). The run of digits and separators must be exactly
 * that shape and stand alone (no word character, `.`, `-` or `/` glued to it: `x123-45-6789`,
 * `123-45-6789-AB` and `123-45-6789.5` are something else).
 */

import { at, isDigit, isWord } from "./chars.js";
import { type Finding, push, type Scan } from "./finding.js";

const KEYWORD = /ssn|social[ _-]?security/i;
const BLOCKED: ReadonlySet<string> = new Set(["078051120", "219099999", "123456789"]);

const glued = (c: number): boolean => isWord(c) || c === 0x2e || c === 0x2d || c === 0x2f;

/** Finds US Social Security numbers. */
export function detectSsns(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i)) || glued(at(text, i - 1))) {
      i++;
      continue;
    }
    let e = i;
    while (e < n) {
      const c = text.charCodeAt(e);
      if (isDigit(c) || ((c === 0x20 || c === 0x2d) && isDigit(at(text, e + 1)))) e++;
      else break;
    }
    // The run as a whole, then each of its space-separated pieces ("123-45-6789 6/4/2023").
    if (!candidate(scan, i, e, out)) {
      let s = i;
      for (let k = i; k <= e; k++) {
        if (k < e && text.charCodeAt(k) !== 0x20) continue;
        if (k - s === 11 && (s > i || k < e)) candidate(scan, s, k, out);
        s = k + 1;
      }
    }
    i = e;
  }
}

/** Reports [s, e) if it stands alone and is an SSN; true if it did. */
function candidate(scan: Scan, s: number, e: number, out: Finding[]): boolean {
  const text = scan.text;
  const c = at(text, e);
  const alone =
    !isWord(c) &&
    !((c === 0x2e || c === 0x2f) && isDigit(at(text, e + 1))) &&
    !(c === 0x2d && isWord(at(text, e + 1)));
  const len = e - s;
  if (!alone || (len !== 11 && len !== 9)) return false;
  const v = text.slice(s, e);
  const shaped =
    len === 9
      ? /^[0-9]{9}$/.test(v) && nearKeyword(scan, s)
      : /^[0-9]{3}([ -])[0-9]{2}\1[0-9]{4}$/.test(v);
  if (!shaped || !isSsn(v)) return false;
  push(out, "ssn", text, s, e);
  return true;
}

function nearKeyword(scan: Scan, start: number): boolean {
  if (scan.key !== undefined && KEYWORD.test(scan.key)) return true;
  return KEYWORD.test(scan.text.slice(Math.max(0, start - 32), start));
}

/** True if `s` (`AAA-GG-SSSS`, `AAA GG SSSS` or nine digits) follows the SSA numbering rules. */
export function isSsn(s: string): boolean {
  const d = s.replace(/[ -]/g, "");
  if (!/^[0-9]{9}$/.test(d)) return false;
  const area = Number(d.slice(0, 3));
  const group = Number(d.slice(3, 5));
  const serial = Number(d.slice(5));
  if (area === 0 || area === 666 || area >= 900) return false;
  if (group === 0 || serial === 0) return false;
  if (/^(.)\1{8}$/.test(d)) return false;
  return !BLOCKED.has(d);
}
