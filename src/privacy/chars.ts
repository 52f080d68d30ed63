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
