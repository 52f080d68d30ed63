/**
 * What a detector reports: the kind of sensitive value and where it is in the text.
 * Offsets are UTF-16 code unit indexes into the scanned JavaScript string (`text.slice(start,
 * end) === value`); the masking layer converts them to UTF-8 byte offsets for the leaf.
 */

/** The kinds of sensitive value logseal detects, in the order of their priority on overlap. */
export const KINDS = [
  "private-key",
  "jwt",
  "aws-access-key",
  "github-token",
  "slack-token",
  "stripe-key",
  "google-api-key",
  "aws-secret-key",
  "iban",
  "card",
  "ssn",
  "email",
  "ipv6",
  "ipv4",
  "phone",
  "secret",
] as const;

/** A kind of sensitive value: personal data (`email` … `ssn`) or a credential (the rest). */
export type Kind = (typeof KINDS)[number];

/** One sensitive value found in a string. */
export interface Finding {
  kind: Kind;
  /** Index of the first UTF-16 code unit of the value. */
  start: number;
  /** Index one past its last code unit. */
  end: number;
  /** `text.slice(start, end)`. */
  value: string;
}

/** True for a member of KINDS. */
export function isKind(x: unknown): x is Kind {
  return typeof x === "string" && (KINDS as readonly string[]).includes(x);
}

/** Where a detector looks: the text, and the JSON member name it is the value of, if any. */
export interface Scan {
  text: string;
  /** The name of the nearest JSON object member holding the text (`password`, `api_key`). */
  key: string | undefined;
}

/** A detector appends what it finds in `scan.text` to `out`, in any order; it never throws. */
export type Detector = (scan: Scan, out: Finding[]) => void;

/** Appends the finding `text.slice(start, end)` of `kind` to `out`. */
export function push(out: Finding[], kind: Kind, text: string, start: number, end: number): void {
  out.push({ kind, start, end, value: text.slice(start, end) });
}
