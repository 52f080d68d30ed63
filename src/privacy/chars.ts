/**
 * Character classes on UTF-16 code units, and Shannon entropy. The detectors scan strings
 * with these instead of open-ended regular expressions, so that every scan is linear in the
 * length of its input (security: the input is attacker-controlled).
 */

/** `[0-9]`. */
export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** `[A-Z]`. */
export const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
/** `[a-z]`. */
export const isLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
/** `[A-Za-z]`. */
export const isAlpha = (c: number): boolean => isUpper(c) || isLower(c);
/** `[A-Za-z0-9]`. */
export const isAlnum = (c: number): boolean => isDigit(c) || isAlpha(c);
const UNICODE_WORD = /[\p{L}\p{M}\p{N}]/u;
/**
 * A letter, mark or digit outside ASCII (`ë`, `я`, `例`): what internationalised e-mail
 * addresses (RFC 6531) and IDN host names hold besides `[A-Za-z0-9]`. BMP code units only: a
 * surrogate half is never one. The scanners call it only on non-ASCII code units next to an
 * anchor (`@`), so its regular expression costs nothing on ASCII text.
 */
export const isUnicodeWord = (c: number): boolean =>
  c >= 0x80 && (c < 0xd800 || c > 0xdfff) && UNICODE_WORD.test(String.fromCharCode(c));
/** `[A-Za-z0-9_]`: the characters of an identifier. */
export const isWord = (c: number): boolean => isAlnum(c) || c === 0x5f;
/** `[0-9A-Fa-f]`. */
export const isHex = (c: number): boolean =>
  isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
/** Space, tab, CR, LF, NBSP. */
export const isSpace = (c: number): boolean =>
  c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xa0;

/** The code unit at `i`, or -1 outside the string (so class tests on it are false). */
export function at(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}

/** Counts of the characters that the detectors need, from one pass over a text. */
export interface Census {
  digits: number;
  /**
   * Digits in runs of digits with no word character (`[A-Za-z0-9_]`) on either side. Every
   * digit of a card number, phone number, SSN or IPv4 address is one (they stand alone and
   * hold only digit groups and separators), while few digits of hex hashes, UUIDs, base64 or
   * identifiers are.
   */
  freeDigits: number;
  /**
   * The most free digits in one chain: free digit runs joined by one or two of ` `, `-`, `.`,
   * `(`, `)`. A card number (13+ digits, single spaces or dashes), an SSN (9) and a phone
   * number (8+, at most two of those separators in a row) each lie in one chain, while the
   * digits of a path, a sentence or a date (`step-81983/model-00001-of-00008`, `2026-03-29`)
   * are spread over short ones.
   */
  chain: number;
  /** Words that start with two letters and two digits, as an IBAN does. */
  ibanStarts: number;
  dots: number;
  colons: number;
  equals: number;
  ats: number;
}

/**
 * One pass over a text, so that `detect` can skip the detectors that cannot match. detectIn
 * now uses shapeOf (shape.ts), whose conditions are tighter and per detector; this stays for
 * the tests of the digit chain it defines. Measured
 * on the test corpus: most strings in events are ids, hashes, paths and timestamps that no
 * detector's inner loop needs to see; skipping them made masking about four times faster.
 * Returns the same object on every call (overwritten by the next).
 */
export function census(text: string): Census {
  let digits = 0;
  let freeDigits = 0;
  let ibanStarts = 0;
  let dots = 0;
  let colons = 0;
  let equals = 0;
  let ats = 0;
  let run = 0; // length of the current run of digits
  let runFree = false; // the current run has no word character on its left
  let chain = 0; // free digits in the current chain
  let maxChain = 0;
  let gap = -1; // separators since the last free run of the chain; -1: no chain to extend
  let joined = false; // the current run continues the chain
  let word = 0; // length of the current word (run of word characters)
  let letters = 0; // letters at the start of the current word
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (run === 0) {
        runFree = word === 0;
        joined = gap > 0;
      }
      if (word === 2 && letters === 2) ibanStarts++;
      run++;
      digits++;
      word++;
      continue;
    }
    const isLetter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
    const isWordChar = isLetter || c === 0x5f;
    if (run > 0) {
      if (runFree && !isWordChar) {
        freeDigits += run;
        chain = joined ? chain + run : run;
        if (chain > maxChain) maxChain = chain;
        gap = 0;
      } else gap = -1;
      run = 0;
    }
    if (gap >= 0) {
      gap =
        gap < 2 && (c === 0x20 || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29)
          ? gap + 1
          : -1;
    }
    if (isWordChar) {
      if (isLetter && letters === word) letters++;
      word++;
      continue;
    }
    word = 0;
    letters = 0;
    if (c === 0x2e) dots++;
    else if (c === 0x3a) colons++;
    else if (c === 0x3d) equals++;
    else if (c === 0x40) ats++;
  }
  if (run > 0 && runFree) {
    freeDigits += run;
    chain = joined ? chain + run : run;
    if (chain > maxChain) maxChain = chain;
  }
  const out = CENSUS;
  out.chain = maxChain;
  out.digits = digits;
  out.freeDigits = freeDigits;
  out.ibanStarts = ibanStarts;
  out.dots = dots;
  out.colons = colons;
  out.equals = equals;
  out.ats = ats;
  return out;
}

const CENSUS: Census = {
  digits: 0,
  freeDigits: 0,
  chain: 0,
  ibanStarts: 0,
  dots: 0,
  colons: 0,
  equals: 0,
  ats: 0,
};

/**
 * Shannon entropy of `s` in bits per character: −Σ p·log2(p) over the frequencies of its
 * UTF-16 code units. Random base62 of length 32 scores about 4.7, hex about 3.8, English
 * words about 3, a repeated character 0.
 */
export function entropy(s: string): number {
  if (s.length === 0) return 0;
  const ascii = COUNTS;
  ascii.fill(0);
  let other: Map<number, number> | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) ascii[c] = (ascii[c] as number) + 1;
    else {
      other ??= new Map();
      other.set(c, (other.get(c) ?? 0) + 1);
    }
  }
  let h = 0;
  const add = (n: number) => {
    const p = n / s.length;
    h -= p * Math.log2(p);
  };
  for (let c = 0; c < 128; c++) if ((ascii[c] as number) > 0) add(ascii[c] as number);
  if (other !== undefined) for (const n of other.values()) add(n);
  return h;
}

const COUNTS = new Uint32Array(128);
