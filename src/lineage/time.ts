/**
 * Times as people and producers write them, to ms since the Unix epoch:
 *
 *   now                          the current time
 *   -24h  -7d  -30m  -90s  -2w   that long before now (units ms, s, m, h, d, w)
 *   2026-11-26                   midnight UTC
 *   2026-11-26T08:00             (seconds and a fraction optional; T or one space)
 *   2026-11-26T08:00:00.123Z     with Z or an offset (+02:00, -0500, +02)
 *
 * A date-time without Z or an offset is read as UTC, never as the machine's local time, so the
 * same text means the same instant everywhere. Fractions beyond milliseconds are truncated.
 */
import { LogsealError } from "../errors.js";
import { MAX_TIMESTAMP } from "../event/index.js";

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const RELATIVE_RE = /^-(\d{1,12})(ms|s|m|h|d|w)$/;
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Reads an ISO 8601 date or date-time; `null` when it is not one (never throws). Without an
 * offset the time is UTC.
 */
export function parseIsoTime(text: string): number | null {
  const m = ISO_RE.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Number(frac.slice(0, 3).padEnd(3, "0"));
  let t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 31 April over to 1 May: reject days the month does not have.
  if (new Date(t).getUTCDate() !== day) return null;
  if (zone !== undefined && zone.toUpperCase() !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || "0");
    if (oh > 23 || om > 59) return null;
    t -= sign * (oh * 60 + om) * 60_000;
  }
  return t;
}

/**
 * Reads a time for a query bound.
 * @param text `now`, a relative time (`-24h`) or ISO 8601
 * @param now the current time (default `Date.now()`)
 * @param field the option it came from, for the error
 * @returns ms since the epoch, clamped to 0 … 8640000000000000
 * @throws LogsealError E_USAGE naming the field and the accepted forms
 */
export function parseTime(text: string, now: number = Date.now(), field = "time"): number {
  const t = text.trim();
  let ms: number | null = null;
  if (t === "now") ms = now;
  else {
    const rel = RELATIVE_RE.exec(t);
    if (rel !== null) ms = now - Number(rel[1]) * (UNITS[rel[2] as string] as number);
    else ms = parseIsoTime(t);
  }
  if (ms === null || !Number.isFinite(ms)) {
    throw new LogsealError(
      "E_USAGE",
      `cannot read ${JSON.stringify(text)} as a time: use ISO 8601 (2026-11-26, 2026-11-26T08:00:00Z) or a time relative to now (now, -30m, -24h, -7d)`,
      { location: { field } },
    );
  }
  return Math.min(Math.max(ms, 0), MAX_TIMESTAMP);
}
