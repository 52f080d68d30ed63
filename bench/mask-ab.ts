/**
 * `maskEvent` alone, CPU time an event, on the planted and clean corpora
 * (test/privacy/corpus.ts), in one process with the rounds interleaved: on a shared machine
 * whose load swings from one minute to the next, only alternating runs of the same events can
 * tell two versions apart.
 *
 *   flock /work/wt/bench.lock npx tsx bench/mask-ab.ts [OTHER_CHECKOUT|-] [ROUNDS=9] [REPS=3]
 *
 * Each round masks the pool (BENCH_POOL events of each corpus, default 2,000) REPS times with
 * each variant, one after the other: this checkout's maskEvent, OTHER_CHECKOUT's when one is
 * given (`git archive <commit> src test/privacy | tar -x -C /tmp/old; ln -s "$PWD/node_modules"
 * /tmp/old/node_modules`), and this checkout's detection pass alone (`detectIn` on every string
 * and member name of details, as the walk calls it, but without its cache of clean member
 * names). It prints the median of ROUNDS for each (µs of CPU an event) and the median of the
 * rounds' ratios to this checkout's maskEvent.
 */
import { join, resolve } from "node:path";

type Index = typeof import("../src/index.js");
type Detect = typeof import("../src/privacy/detect.js");
type Corpus = typeof import("../test/privacy/corpus.js");

const other = process.argv[2] !== undefined && process.argv[2] !== "-" ? process.argv[2] : null;
const ROUNDS = Number(process.argv[3] ?? 9);
const REPS = Number(process.argv[4] ?? 3);
const POOL = Number(process.env.BENCH_POOL ?? 2_000);
const here = resolve(import.meta.dirname, "..");

const idx = (await import(join(here, "src/index.js"))) as Index;
const det = (await import(join(here, "src/privacy/detect.js"))) as Detect;
const corpus = (await import(join(here, "test/privacy/corpus.js"))) as Corpus;
const otherIdx =
  other === null ? null : ((await import(join(resolve(other), "src/index.js"))) as Index);

interface Variant {
  name: string;
  run: (events: readonly Record<string, unknown>[]) => void;
}

const maskAll =
  (lib: Index, before?: () => void, after?: () => void) =>
  (events: readonly Record<string, unknown>[]) => {
    before?.();
    for (const e of events) lib.maskEvent(e as never, lib.DEFAULT_POLICY, {});
    after?.();
  };

/** The detection pass alone: detectIn on every string and member name of details, as the walk. */
function detectAll(events: readonly Record<string, unknown>[]): void {
  const visit = (v: unknown, key: string | undefined): void => {
    if (typeof v === "string") {
      if (v !== "") det.detectIn(v, key, undefined);
    } else if (Array.isArray(v)) {
      for (const x of v) visit(x, key);
    } else if (typeof v === "object" && v !== null) {
      for (const k of Object.keys(v)) {
        det.detectIn(k, undefined, undefined);
        visit((v as Record<string, unknown>)[k], k);
      }
    }
  };
  for (const e of events) visit(e.details, undefined);
}

const variants: Variant[] = [{ name: "this checkout", run: maskAll(idx) }];
if (otherIdx !== null) variants.push({ name: `other ${other}`, run: maskAll(otherIdx) });
variants.push({ name: "detectIn only (this)", run: detectAll });

function cpu(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

console.log(
  `load average: ${(await import("node:os"))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
for (const [set, events] of [
  ["planted", corpus.piiCorpus({ count: POOL }).map((e) => e.event)],
  ["clean", corpus.cleanCorpus({ count: POOL }).map((e) => e.event)],
] as const) {
  for (const v of variants) for (let r = 0; r < 2; r++) v.run(events); // warm up
  const times = variants.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    variants.forEach((v, i) => {
      const us = cpu(() => {
        for (let r = 0; r < REPS; r++) v.run(events);
      });
      (times[i] as number[]).push(us / (REPS * events.length));
    });
  }
  for (const [i, v] of variants.entries()) {
    const t = times[i] as number[];
    // The ratio to the first variant within each round: the load moves both alike.
    const ratio =
      i === 0
        ? ""
        : ` ratio to the first ${median(t.map((x, r) => x / ((times[0] as number[])[r] as number))).toFixed(3)}`;
    console.log(
      `${set.padEnd(8)} ${v.name.padEnd(36)} ${median(t).toFixed(2).padStart(7)} µs of CPU an event (median of ${ROUNDS}; ${t.map((x) => x.toFixed(1)).join(" ")})${ratio}`,
    );
  }
}
