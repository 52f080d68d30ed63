/**
 * IP addresses.
 *
 * IPv4: four decimal octets 0..255 without leading zeros, separated by `.`, optionally
 * followed by a prefix length `/0`..`/32`. Not glued to a word character or `.` on the left
 * (`v1.2.3.4`, `a.1.2.3.4`) nor to a word character or `.digit` on the right (`1.2.3.4.5`).
 *
 * IPv6 (RFC 4291 §2.2, RFC 5952): eight groups of 1..4 hex digits separated by `:`, or fewer
 * with one `::`, the last two groups optionally written as an IPv4 address
 * (`::ffff:192.0.2.1`), optionally followed by `/0`..`/128`. A candidate is a maximal run of
 * hex digits, `:` and `.` with at least two `:`, 45 characters at most, not glued to a word
 * character on either side. Times (`08:00:00`) and MAC addresses (six groups) do not parse.
 *
 * Not personal and not reported: the unspecified and loopback addresses (`0.0.0.0`,
 * `127.0.0.0/8`, `::`, `::1`) and `255.x.x.x` (netmasks, broadcast).
 */

import { at, isDigit, isHex, isWord } from "./chars.js";
import { type Finding, push, type Scan } from "./finding.js";

/** Finds IPv4 addresses. */
export function detectIpv4(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (!isDigit(c) || isWord(at(text, i - 1)) || at(text, i - 1) === 0x2e) {
      i++;
      continue;
    }
    let e = i;
    let dots = 0;
    for (; e < n; e++) {
      const d = text.charCodeAt(e);
      if (d === 0x2e) dots++;
      else if (!isDigit(d)) break;
    }
    const runEnd = e;
    if (at(text, e - 1) === 0x2e && !isDigit(at(text, e))) {
      e--; // "… 10.0.0.1." ends a sentence
      dots--;
    }
    if (dots === 3 && e - i <= 15 && !isWord(at(text, e)) && isIpv4(text.slice(i, e))) {
      push(out, "ipv4", text, i, withPrefix(text, e, 32));
    }
    i = runEnd;
  }
}

/** The end of an optional `/N` prefix length (N ≤ max, no leading zero) after `e`. */
function withPrefix(text: string, e: number, max: number): number {
  if (at(text, e) !== 0x2f || !isDigit(at(text, e + 1))) return e;
  let k = e + 1;
  while (k < text.length && k - e <= 3 && isDigit(text.charCodeAt(k))) k++;
  const digits = text.slice(e + 1, k);
  if (isWord(at(text, k)) || (digits.length > 1 && digits[0] === "0")) return e;
  return Number(digits) <= max ? k : e;
}

function octets(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === "0")) return null;
    const v = Number(p);
    if (!(v <= 255)) return null;
    out.push(v);
  }
  return out;
}

/** True if `s` is a dotted-quad IPv4 address that identifies a host. */
export function isIpv4(s: string): boolean {
  const o = octets(s);
  if (o === null) return false;
  const [a] = o as [number];
  if (a === 127 || a === 255) return false;
  return !(a === 0 && o.every((x) => x === 0));
}

const isV6Char = (c: number): boolean => isHex(c) || c === 0x3a || c === 0x2e;

/** Finds IPv6 addresses. */
export function detectIpv6(scan: Scan, out: Finding[]): void {
  const text = scan.text;
  const n = text.length;
  let from = 0;
  for (;;) {
    const colon = text.indexOf(":", from);
    if (colon < 0) return;
    // The maximal run around this colon; the next search starts after it.
    let s = colon;
    while (s > 0 && isV6Char(text.charCodeAt(s - 1))) s--;
    let e = colon + 1;
    while (e < n && isV6Char(text.charCodeAt(e))) e++;
    from = e;
    if (isWord(at(text, s - 1)) || isWord(at(text, e))) continue;
    // Trim a sentence's "." or a single ":" after the address ("… fe80::1: up").
    if (at(text, e - 1) === 0x2e) e--;
    if (at(text, e - 1) === 0x3a && at(text, e - 2) !== 0x3a) e--;
    if (e - s > 45 || e - s < 2) continue;
    const candidate = text.slice(s, e);
    if (isIpv6(candidate)) push(out, "ipv6", text, s, withPrefix(text, e, 128));
  }
}

/** The eight 16-bit groups of an IPv6 address, or null. */
export function ipv6Groups(s: string): number[] | null {
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string, last: boolean): number[] | null => {
    if (part === "") return [];
    const groups = part.split(":");
    const out: number[] = [];
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k] as string;
      if (last && k === groups.length - 1 && g.includes(".")) {
        const o = octets(g);
        if (o === null) return null;
        out.push(
          ((o[0] as number) << 8) | (o[1] as number),
          ((o[2] as number) << 8) | (o[3] as number),
        );
        continue;
      }
      if (g.length === 0 || g.length > 4) return null;
      for (let j = 0; j < g.length; j++) if (!isHex(g.charCodeAt(j))) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  if (halves.length === 1) {
    const all = parse(s, true);
    return all !== null && all.length === 8 ? all : null;
  }
  const head = parse(halves[0] as string, false);
  const tail = parse(halves[1] as string, true);
  if (head === null || tail === null || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** True if `s` is an IPv6 address that identifies a host (not `::` or `::1`). */
export function isIpv6(s: string): boolean {
  const g = ipv6Groups(s);
  if (g === null) return false;
  const zeros = g.slice(0, 7).every((x) => x === 0);
  return !(zeros && ((g[7] as number) === 0 || (g[7] as number) === 1));
}
