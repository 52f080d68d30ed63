/**
 * Paths into an event, as policy rules write them:
 *
 *     details.customer.email     a member, by name
 *     details["e-mail"]          a member whose name is not an identifier (a JSON string)
 *     details.rows[2]            an array element
 *     details.rows[*].ip         every element of an array
 *     details.*.email            every member of an object
 *     details.**.password        any number (zero or more) of members and elements
 *
 * The same syntax, without wildcards, names values in error messages and in the masking
 * records (`memberPath` in src/event/schema.ts writes it).
 */

/** One step of a path pattern. */
export type PathSegment =
  | { t: "key"; name: string }
  | { t: "index"; index: number }
  | { t: "anyKey" }
  | { t: "anyIndex" }
  | { t: "deep" };

/** A step of a concrete path: a member name or an array index. */
export type Step = string | number;

const NAME_START = /[A-Za-z_$]/;
const NAME_CHAR = /[A-Za-z0-9_$]/;
const MAX_INDEX = 1_000_000;

/**
 * Parses a path pattern.
 * @returns the segments, or an error message with the 0-based position of the problem.
 */
export function parsePath(text: string): PathSegment[] | { error: string } {
  const segs: PathSegment[] = [];
  let i = 0;
  const fail = (what: string) => ({ error: `${what} at position ${i}` });
  const name = (): string | null => {
    const s = i;
    if (!NAME_START.test(text[i] ?? "")) return null;
    while (i < text.length && NAME_CHAR.test(text[i] as string)) i++;
    return text.slice(s, i);
  };
  const root = name();
  if (root === null) return fail("a path starts with a field name (details, actor)");
  segs.push({ t: "key", name: root });
  while (i < text.length) {
    const c = text[i];
    if (c === ".") {
      i++;
      if (text.startsWith("**", i)) {
        i += 2;
        segs.push({ t: "deep" });
      } else if (text[i] === "*") {
        i++;
        segs.push({ t: "anyKey" });
      } else {
        const n = name();
        if (n === null) return fail('expected a name, "*" or "**" after "."');
        segs.push({ t: "key", name: n });
      }
    } else if (c === "[") {
      i++;
      if (text[i] === "*") {
        i++;
        segs.push({ t: "anyIndex" });
      } else if (text[i] === '"') {
        const s = i;
        i++;
        while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
        if (i >= text.length) return fail("unterminated string");
        i++;
        let key: unknown;
        try {
          key = JSON.parse(text.slice(s, i));
        } catch {
          return { error: `bad JSON string at position ${s}` };
        }
        segs.push({ t: "key", name: key as string });
      } else {
        const m = /^(?:0|[1-9][0-9]{0,6})/.exec(text.slice(i, i + 8));
        if (m === null) return fail('expected an index, "*" or a JSON string after "["');
        const index = Number(m[0]);
        if (index > MAX_INDEX) return fail(`an index is at most ${MAX_INDEX}`);
        i += m[0].length;
        segs.push({ t: "index", index });
      }
      if (text[i] !== "]") return fail('expected "]"');
      i++;
    } else {
      return fail(`unexpected ${JSON.stringify(c)}`);
    }
  }
  return segs;
}

/** True if a pattern has a wildcard (`*`, `[*]` or `**`). */
export function hasWildcard(segs: readonly PathSegment[]): boolean {
  return segs.some((s) => s.t === "anyKey" || s.t === "anyIndex" || s.t === "deep");
}

/**
 * A path pattern compiled for matching step by step while walking a value: `start()` gives
 * the states before any step, `next(states, step)` the states after one, `matched(states)`
 * says whether the path walked so far matches. An empty state list means that nothing below
 * can match.
 */
export class PathMatcher {
  private readonly segs: readonly PathSegment[];

  constructor(segs: readonly PathSegment[]) {
    this.segs = segs;
  }

  start(): number[] {
    return this.closure([0]);
  }

  next(states: readonly number[], step: Step): number[] {
    const out: number[] = [];
    for (const s of states) {
      const seg = this.segs[s];
      if (seg === undefined) continue;
      if (seg.t === "deep") out.push(s);
      else if (stepMatches(seg, step)) out.push(s + 1);
    }
    return this.closure(out);
  }

  matched(states: readonly number[]): boolean {
    return states.includes(this.segs.length);
  }

  /** Adds the states reachable by letting each `**` match nothing; sorted, no duplicates. */
  private closure(states: number[]): number[] {
    const set = new Set<number>();
    for (let s of states) {
      set.add(s);
      while (this.segs[s]?.t === "deep") set.add(++s);
    }
    return [...set].sort((a, b) => a - b);
  }
}

function stepMatches(seg: PathSegment, step: Step): boolean {
  switch (seg.t) {
    case "key":
      return typeof step === "string" && step === seg.name;
    case "index":
      return typeof step === "number" && step === seg.index;
    case "anyKey":
      return typeof step === "string";
    case "anyIndex":
      return typeof step === "number";
    default:
      return true;
  }
}
