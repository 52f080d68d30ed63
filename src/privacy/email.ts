/**
 * E-mail addresses: `local@domain.tld`, found by scanning outwards from each `@`.
 *
 * - local part: 1..64 of `[A-Za-z0-9._%+-]` or non-ASCII letters, marks and digits (RFC 6531:
 *   `zoë@…`, `用户@…`), not starting or ending with `.`, no `..`;
 * - domain: 2..127 labels of `[A-Za-z0-9-]` or non-ASCII letters, marks and digits (IDN host
 *   names as people write them: `exämple.de`), 1..63 each, no `-` at either end, 253
 *   characters at most;
 * - top-level domain: any two letters (country codes), `xn--…`, a common generic TLD
 *   (GENERIC_TLDS), or an internationalised one of two letters or more, at least one of them
 *   non-ASCII (`рф`, `中国`), so that `key@2024.parquet` or `weights@step.ckpt` are not
 *   addresses;
 * - `user@host:path` (scp-style git remotes) is not an address.
 *
 * Each `@` scans at most 64 characters left and 253 right, and a scan stops at the next `@`,
 * so the whole pass is linear in the text.
 */

import { at, isAlnum, isAlpha, isUnicodeWord } from "./chars.js";
import { type Finding, push, type Scan } from "./finding.js";

const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;

/** Generic top-level domains accepted besides every two-letter one and `xn--` (IDN). */
const GENERIC_TLDS: ReadonlySet<string> = new Set(
  (
    "com org net edu gov mil int info biz name pro mobi aero coop museum jobs travel tel " +
    "app dev io ai cloud online site tech store shop blog email mail xyz top club live life " +
    "world today news media agency company solutions services systems digital network " +
    "group global team work works studio design art page space website web host " +
    "academy center consulting support software data codes engineering finance bank " +
    "capital health care clinic law legal insurance money fund ventures partners " +
    "example test invalid localhost internal local corp home lan intranet"
  ).split(" "),
);

/** `[A-Za-z0-9]` or a non-ASCII letter, mark or digit. */
const isWordChar = (c: number): boolean => isAlnum(c) || isUnicodeWord(c);
const isLocalChar = (c: number): boolean =>
  isWordChar(c) || c === 0x2e || c === 0x5f || c === 0x25 || c === 0x2b || c === 0x2d;
const isDomainChar = (c: number): boolean => isWordChar(c) || c === 0x2d || c === 0x2e;

/** Finds e-mail addresses. */
export function detectEmails(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  let from = 0;
  for (;;) {
    const sign = text.indexOf("@", from);
    if (sign < 0) return;
    from = sign + 1;
    let s = sign;
    while (s > 0 && sign - s < LOCAL_MAX && isLocalChar(text.charCodeAt(s - 1))) s--;
    if (isLocalChar(at(text, s - 1))) continue; // local part over 64 characters
    while (s < sign && text.charCodeAt(s) === 0x2e) s++; // a sentence's "." is not the address
    if (s === sign) continue;
    let e = sign + 1;
    let dot = false;
    for (; e < text.length && e - sign - 1 < DOMAIN_MAX; e++) {
      const c = text.charCodeAt(e);
      if (!isDomainChar(c)) break;
      if (c === 0x2e) dot = true;
    }
    if (!dot || isDomainChar(at(text, e))) continue; // no dot, or over 253 characters
    while (e > sign + 1 && (at(text, e - 1) === 0x2e || at(text, e - 1) === 0x2d)) e--;
    if (at(text, e) === 0x3a && at(text, e + 1) > 0x20) continue; // git@host:org/repo
    if (validLocal(text, s, sign) && validDomain(text.slice(sign + 1, e))) {
      push(out, "email", text, s, e);
      from = e;
    }
  }
}

function validLocal(text: string, s: number, e: number): boolean {
  if (text.charCodeAt(e - 1) === 0x2e) return false;
  return !text.slice(s, e).includes("..");
}

/** A host name with at least two labels and an accepted top-level domain. */
export function validDomain(domain: string): boolean {
  if (domain.length === 0 || domain.length > DOMAIN_MAX) return false;
  const labels = domain.split(".");
  if (labels.length < 2) return false;
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) return false;
    if (!isWordChar(label.charCodeAt(0)) || !isWordChar(label.charCodeAt(label.length - 1))) {
      return false;
    }
  }
  const tld = (labels[labels.length - 1] as string).toLowerCase();
  if (tld.startsWith("xn--")) return tld.length > 4;
  let international = false;
  for (let i = 0; i < tld.length; i++) {
    const c = tld.charCodeAt(i);
    if (isAlpha(c)) continue;
    if (!isUnicodeWord(c) || /\p{N}/u.test(tld[i] as string)) return false;
    international = true;
  }
  return tld.length === 2 || (international && tld.length >= 2) || GENERIC_TLDS.has(tld);
}
