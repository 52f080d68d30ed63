/**
 * The Events filter language, parsed into terms the data layer runs: `actor=alice`,
 * `action=dataset.*` (a `*` glob), `control=A.8.11`, `outcome=denied`, `asset=dataset:raw/x`,
 * time ranges `since=2026-11-20` / `until=-1h` (ISO 8601 or relative, as `logseal query`
 * reads them), and `!` to exclude (`!actor=alice` or `actor!=alice`). Terms are joined by
 * spaces and must all hold.
 */
import { type Event, LogsealError, parseTime } from "../../src/index.js";

export const FIELDS = ["actor", "action", "asset", "control", "outcome"] as const;
export type Field = (typeof FIELDS)[number];

export interface Term {
  field: Field;
  value: string;
  /** True for `!field=value`: the event must not match. */
  exclude: boolean;
  /** The value holds `*`. */
  glob: boolean;
}

export interface Filter {
  /** The text it was parsed from, as the header shows it. */
  text: string;
  terms: Term[];
  /** `ts` at or after, ms. */
  since?: number;
  /** `ts` before, ms. */
  until?: number;
}

const TERM_RE = /^(!?)([a-z]+)(!?=)(.+)$/;

/**
 * Parses a filter line.
 * @throws LogsealError E_USAGE naming the term (its 1-based position as `line`'s column is not
 *   meaningful here, so the field is the term itself)
 */
export function parseFilter(text: string, now: number = Date.now()): Filter | undefined {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "");
  if (words.length === 0) return undefined;
  const filter: Filter = { text: words.join(" "), terms: [] };
  for (const word of words) {
    const m = TERM_RE.exec(word);
    if (m === null) {
      throw new LogsealError(
        "E_USAGE",
        `filter term ${JSON.stringify(word)} is not FIELD=VALUE (fields: ${[...FIELDS, "since", "until"].join(", ")}; ! excludes)`,
        { location: { field: word } },
      );
    }
    const [, bang, name, op, value] = m as unknown as [string, string, string, string, string];
    const exclude = bang === "!" || op === "!=";
    if (name === "since" || name === "until") {
      if (exclude) {
        throw new LogsealError("E_USAGE", `${name} cannot be excluded: use the other bound`, {
          location: { field: word },
        });
      }
      filter[name] = parseTime(value, now, name);
      continue;
    }
    if (!(FIELDS as readonly string[]).includes(name)) {
      throw new LogsealError(
        "E_USAGE",
        `unknown filter field ${JSON.stringify(name)} (fields: ${[...FIELDS, "since", "until"].join(", ")})`,
        { location: { field: word } },
      );
    }
    filter.terms.push({ field: name as Field, value, exclude, glob: value.includes("*") });
  }
  return filter;
}

function globRe(glob: string): RegExp {
  const body = glob
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`);
}

/** The values of `field` in `event` (asset matches the asset, an input or an output). */
function values(event: Event, field: Field): readonly string[] {
  switch (field) {
    case "actor":
      return [event.actor.id];
    case "action":
      return [event.action];
    case "outcome":
      return [event.outcome];
    case "control":
      return event.controls ?? [];
    case "asset":
      return [
        ...(event.asset === undefined ? [] : [event.asset]),
        ...(event.inputs ?? []),
        ...(event.outputs ?? []),
      ];
  }
}

/** The predicate of a filter: every term holds and `ts` is in the window. */
export function predicate(filter: Filter | undefined): (event: Event) => boolean {
  if (filter === undefined) return () => true;
  const tests = filter.terms.map((t) => {
    const re = t.glob ? globRe(t.value) : undefined;
    const hit = (v: string) => (re === undefined ? v === t.value : re.test(v));
    return (e: Event) => values(e, t.field).some(hit) !== t.exclude;
  });
  const { since, until } = filter;
  return (e) =>
    (since === undefined || e.ts >= since) &&
    (until === undefined || e.ts < until) &&
    tests.every((t) => t(e));
}

/** The terms an index lookup can answer (positive and exact); the rest are checked after. */
export function indexable(filter: Filter): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  for (const t of filter.terms) {
    if (t.exclude || t.glob || out[t.field] !== undefined) continue;
    out[t.field] = t.value;
  }
  return out;
}
