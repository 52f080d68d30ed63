/**
 * Display masks: what a reader of the log sees in place of a sensitive value. A mask keeps
 * just enough to tell values apart in a review (the e-mail domain, the last four card digits,
 * the network half of an IP address) and never the value itself; credentials keep only their
 * public prefix (`ghp_****`). The commitment next to it, not the mask, is what binds the value.
 */

import { isDigit } from "./chars.js";
import type { Kind } from "./finding.js";
import { ipv6Groups } from "./ip.js";

/** What a value masked by a policy rule, not by a detector, is recorded as. */
export type MaskKind = Kind | "value";

const STARS = "****";

/** The display mask of `value`, a value of kind `kind` (as a detector reported it). */
export function displayMask(kind: MaskKind, value: string): string {
  switch (kind) {
    case "email": {
      const a = value.lastIndexOf("@");
      return `${value.slice(0, 1)}***${value.slice(a)}`;
    }
    case "phone":
      return maskPhone(value);
    case "card": {
      const d = value.replace(/[^0-9]/g, "");
      return `${groups4("*".repeat(d.length - 4))} ${d.slice(-4)}`;
    }
    case "iban": {
      const s = value.replaceAll(" ", "").toUpperCase();
      return groups4(s.slice(0, 2) + "*".repeat(s.length - 6) + s.slice(-4));
    }
    case "ssn":
      return `***-**-${value.replace(/[^0-9]/g, "").slice(-4)}`;
    case "ipv4": {
      const [addr, prefix] = value.split("/") as [string, string | undefined];
      const o = addr.split(".");
      return `${o[0]}.${o[1]}.*.*${prefix === undefined ? "" : `/${prefix}`}`;
    }
    case "ipv6": {
      const [addr, prefix] = value.split("/") as [string, string | undefined];
      const g = ipv6Groups(addr) ?? [0, 0];
      const head = `${(g[0] as number).toString(16)}:${(g[1] as number).toString(16)}`;
      return `${head}:*:*:*:*:*:*${prefix === undefined ? "" : `/${prefix}`}`;
    }
    case "aws-access-key":
    case "google-api-key":
      return value.slice(0, 4) + STARS;
    case "github-token":
    case "stripe-key":
      return value.slice(0, value.lastIndexOf("_") + 1) + STARS;
    case "slack-token":
      return value.startsWith("https://")
        ? `https://hooks.slack.com/${STARS}`
        : value.slice(0, value.indexOf("-") + 1) + STARS;
    case "jwt":
      return `eyJ${STARS}.${STARS}.${STARS}`;
    case "private-key": {
      const label = /^-----BEGIN ([A-Z0-9 ]*)-----/.exec(value)?.[1] ?? "PRIVATE KEY";
      return `-----BEGIN ${label}-----${STARS}-----END ${label}-----`;
    }
    default:
      return STARS;
  }
}

/** `abcdefgh…` → `abcd efgh …`. */
function groups4(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i += 4) out += i === 0 ? s.slice(0, 4) : ` ${s.slice(i, i + 4)}`;
  return out;
}

/** ITU-T E.164 country codes of one and two digits; all others have three. */
const CC1 = new Set(["1", "7"]);
const CC2 = new Set(
  (
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 " +
    "64 65 66 81 82 84 86 90 91 92 93 94 95 98"
  ).split(" "),
);

/** `+44 7700 900789` → `+44 **** ***789`: the country code and the last three digits stay. */
function maskPhone(value: string): string {
  let keepHead = 0;
  if (value.startsWith("+")) {
    const m = /^\+([0-9]+)/.exec(value)?.[1] ?? "";
    const cc =
      m.length <= 3 ? m.length : CC1.has(m.slice(0, 1)) ? 1 : CC2.has(m.slice(0, 2)) ? 2 : 3;
    keepHead = cc;
  }
  let total = 0;
  for (let k = 0; k < value.length; k++) if (isDigit(value.charCodeAt(k))) total++;
  let seen = 0;
  let out = "";
  for (let k = 0; k < value.length; k++) {
    const c = value[k] as string;
    if (!isDigit(value.charCodeAt(k))) {
      out += c;
      continue;
    }
    seen++;
    out += seen <= keepHead || seen > total - 3 ? c : "*";
  }
  return out;
}
