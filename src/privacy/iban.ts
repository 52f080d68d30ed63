/**
 * International Bank Account Numbers (ISO 13616): a two-letter country code, two check
 * digits, then the country's BBAN, written without spaces or in groups of four separated by
 * one space (`GB82 WEST 1234 5698 7654 32`).
 *
 * Validation: the country is in IBAN_LENGTHS and the IBAN has exactly that length; the
 * check digits are 02..98; and the ISO 7064 MOD 97-10 check holds: move the first four
 * characters to the end, replace each letter by two digits (A = 10 … Z = 35), and the number
 * is 1 modulo 97. Letters may be lower case. The IBAN must stand alone (no word character on
 * either side).
 */

import { at, isAlnum, isAlpha, isDigit, isWord } from "./chars.js";
import { type Finding, push, type Scan } from "./finding.js";

/** IBAN length per country (SWIFT IBAN registry). */
// biome-ignore format: a table reads better in rows
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29,
  BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29,
  ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28,
  LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20,
  MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25,
  QA: 29, RO: 24, RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27,
  SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
};

/** Finds IBANs. */
export function detectIbans(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  const n = text.length;
  for (let i = 0; i + 15 <= n; i++) {
    if (
      !isAlpha(text.charCodeAt(i)) ||
      !isAlpha(text.charCodeAt(i + 1)) ||
      !isDigit(text.charCodeAt(i + 2)) ||
      !isDigit(text.charCodeAt(i + 3)) ||
      isWord(at(text, i - 1))
    ) {
      continue;
    }
    const length = IBAN_LENGTHS[text.slice(i, i + 2).toUpperCase()];
    if (length === undefined) continue;
    // Take `length` alphanumerics, allowing one space after every fourth.
    let e = i;
    let count = 0;
    while (e < n && count < length) {
      const c = text.charCodeAt(e);
      if (isAlnum(c)) {
        count++;
        e++;
      } else if (c === 0x20 && count % 4 === 0 && count > 0 && isAlnum(at(text, e + 1))) {
        e++;
      } else break;
    }
    if (count !== length || isWord(at(text, e))) continue;
    const candidate = text.slice(i, e);
    if (isIban(candidate)) {
      push(out, "iban", text, i, e);
      i = e - 1;
    }
  }
}

/** True if `s` (spaces allowed) is a valid IBAN: country, length, check digits, MOD 97-10. */
export function isIban(s: string): boolean {
  const iban = s.replaceAll(" ", "").toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(iban)) return false;
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const check = Number(iban.slice(2, 4));
  if (check < 2 || check > 98) return false;
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let k = 0; k < moved.length; k++) {
    const c = moved.charCodeAt(k);
    if (isDigit(c)) rem = (rem * 10 + (c - 0x30)) % 97;
    else rem = (rem * 100 + (c - 0x41 + 10)) % 97;
  }
  return rem === 1;
}
