/**
 * Payment card numbers (PAN): 13..19 digits, optionally in groups separated by one space or
 * one `-` (the same separator throughout), with a known issuer prefix (IIN) and a valid Luhn
 * check digit (ISO/IEC 7812-1 Annex B).
 *
 * Groups, when present, are the printed layouts: fours with a shorter last group
 * (`4242 4242 4242 4242`, `6011-0009-9013-9424`, 19-digit `4-4-4-4-3`), or 4-6-5 (American
 * Express) and 4-6-4 (Diners Club). The run must stand alone: not glued to a word character,
 * `.`, `-`, `+` or `/` on the left (`v1.4242…`, `-4242…`), nor to a word character or
 * `.digit` on the right (a decimal fraction).
 *
 * Issuer prefixes (length): Visa 4 (13, 16, 19); Mastercard 51–55, 2221–2720 (16); American
 * Express 34, 37 (15); Discover 6011, 644–649, 65 (16–19); Diners Club 300–305, 36, 38–39
 * (14–19); JCB 3528–3589 (16–19); UnionPay 62 (16–19); Maestro 5018, 5020, 5038, 5893, 6304,
 * 6759, 6761–6763 (12–19, here 13–19).
 */

import { at, isDigit, isWord } from "./chars.js";
import { type Finding, push, type Scan } from "./finding.js";

const gluedLeft = (c: number): boolean =>
  isWord(c) || c === 0x2e || c === 0x2d || c === 0x2b || c === 0x2f;

/** Finds payment card numbers. */
export function detectCards(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i)) || gluedLeft(at(text, i - 1))) {
      i++;
      continue;
    }
    let e = i;
    let count = 0;
    let sep = 0;
    let mixed = false;
    while (e < n) {
      const c = text.charCodeAt(e);
      if (isDigit(c)) {
        count++;
        e++;
      } else if ((c === 0x20 || c === 0x2d) && isDigit(at(text, e + 1)) && count < 20) {
        if (sep !== 0 && sep !== c) mixed = true;
        sep = c;
        e++;
      } else break;
    }
    const c = at(text, e);
    const alone =
      !isWord(c) && !((c === 0x2e || c === 0x2c || c === 0x2d) && isDigit(at(text, e + 1)));
    // Every printed layout starts with a group of four (a cheap test before the others).
    let first = i;
    while (first < e && isDigit(text.charCodeAt(first))) first++;
    if (!mixed && count >= 13 && (first === e || first - i === 4)) {
      // The whole run, then without its trailing groups (a card followed by "12 28").
      let end = e;
      let ok = alone;
      while (end - i >= 13 && !(ok && isCardNumber(text.slice(i, end)))) {
        // The last separator inside the run (lastIndexOf could scan the whole text: quadratic).
        let cut = end - 1;
        while (cut > i && isDigit(text.charCodeAt(cut))) cut--;
        if (cut <= i) {
          end = i;
          break;
        }
        end = cut;
        ok = true;
      }
      if (end - i >= 13) {
        push(out, "card", text, i, end);
        i = end;
        continue;
      }
    }
    // Not a card as a whole: start again after the run's first separator, so that a card
    // after another number ("order 12 4242 4242 4242 4242") is still found. A run holds at
    // most 20 digit groups, so no character is scanned more than about 20 times.
    i = first < e ? first + 1 : e;
  }
}

/** True if `s` (digits, maybe grouped) is a plausible card number: layout, IIN and Luhn. */
export function isCardNumber(s: string): boolean {
  const groups = s.split(/[ -]/);
  const digits = groups.join("");
  if (!/^[0-9]{13,19}$/.test(digits)) return false;
  if (groups.length > 1 && !printedLayout(groups.map((g) => g.length))) return false;
  return knownIssuer(digits) && luhn(digits);
}

function printedLayout(lengths: number[]): boolean {
  const key = lengths.join("-");
  if (key === "4-6-5" || key === "4-6-4") return true;
  for (let k = 0; k < lengths.length - 1; k++) if (lengths[k] !== 4) return false;
  const last = lengths[lengths.length - 1] as number;
  return last >= 1 && last <= 4;
}

/** The Luhn mod-10 check over a string of ASCII digits. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let k = digits.length - 1; k >= 0; k--) {
    let d = digits.charCodeAt(k) - 0x30;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function knownIssuer(d: string): boolean {
  const len = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  if (d[0] === "4") return len === 13 || len === 16 || len === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return len === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return len === 15; // American Express
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65) return len >= 16; // Discover
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return len >= 14; // Diners
  if (p4 >= 3528 && p4 <= 3589) return len >= 16; // JCB
  if (p2 === 62) return len >= 16; // UnionPay
  return [5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763].includes(p4); // Maestro
}
