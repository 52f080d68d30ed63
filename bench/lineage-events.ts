/**
 * The synthetic lineage workload of bench:lineage (and bench/lineage-ab.ts): events over
 * `assets` assets in chains of {@link DEPTH}, from a seeded PRNG, so that every run and every
 * version appends the same events.
 *
 * Two shapes of the same events (same store shape, same access pattern, same indexed fields):
 *   - `minimal` (the default): only what lineage reads (ts, actor id, action, outcome, asset,
 *     inputs, outputs, controls). The core log appends these fastest, so the indexer weighs
 *     most: the headline worst case.
 *   - `pipeline`: the events as pipelines record them, like the demo scenario's (bench:large):
 *     `v`, a unique `id`, actors with `kind` and `role`, and `details` with run parameters, row
 *     and byte counts, a schema hash and a commit (transforms), the rows read and the purpose
 *     (reads), the detectors and findings (PII scans), the reason and source address (denials).
 */
import { prng } from "../src/demo/random.js";

export const DEPTH = 20;
export type Pattern = "pipeline" | "uniform";
export type Shape = "minimal" | "pipeline";

export interface Workload {
  chains: number;
  assetName(chain: number, level: number): string;
  actorName(r: number): string;
  /** Input events [from, from + n). */
  generate(from: number, n: number): object[];
}

const T0 = Date.UTC(2026, 0, 1);
export const ACTORS = 500;

export function workload(assets: number, pattern: Pattern, shape: Shape = "minimal"): Workload {
  const CHAINS = Math.max(1, Math.floor(assets / DEPTH));
  const assetName = (chain: number, level: number): string =>
    level === 0
      ? `source:s3/landing/c${chain}`
      : level === DEPTH - 1
        ? `model:c${chain}@1`
        : `dataset:c${chain}/l${String(level).padStart(2, "0")}`;

  /** The fixed parents of (chain, level): its predecessor, and for 1 in 10 one in another chain. */
  function parents(chain: number, level: number): string[] {
    if (level === 0) return [];
    const own = assetName(chain, level - 1);
    const h = (chain * 2654435761 + level * 40503) >>> 0;
    if (h % 10 !== 0) return [own];
    const other = (chain + 1 + (h % (CHAINS - 1 || 1))) % CHAINS;
    return other === chain ? [own] : [own, assetName(other, level - 1)];
  }

  const actorName = (r: number): string =>
    `user-${String(Math.floor(r ** 1.5 * ACTORS)).padStart(3, "0")}`;

  /** Event `i`'s producer time: one second apart. */
  const tsOf = (i: number) => T0 + i * 1000;

  /**
   * `pipeline` (the default): runs of a pipeline. A run takes one chain from a random level to
   * its end under one service actor, deriving each asset from its parents, and after each step
   * analysts read the new asset (two reads on average), a PII scan runs on one in five, and one
   * in fifty reads is denied. `uniform`: every event picks its chain, level, actor and kind at
   * random (no locality at all: the worst case for grouping postings by block).
   *
   * The `minimal` shape draws exactly the numbers it always did, so its events are those
   * earlier runs appended; `pipeline` draws its details from a second PRNG.
   */
  function generate(from: number, n: number): object[] {
    const rnd = prng(from + 1);
    const extra = prng(from + 0x5eed);
    const full = shape === "pipeline";
    const hex = (len: number) => {
      let s = "";
      while (s.length < len)
        s += Math.floor(extra() * 2 ** 32)
          .toString(16)
          .padStart(8, "0");
      return s.slice(0, len);
    };
    const int = (lo: number, hi: number) => lo + Math.floor(extra() * (hi - lo + 1));
    const inputs: object[] = [];
    const push = (e: Record<string, unknown>, details: () => Record<string, unknown>) => {
      if (!full) inputs.push(e);
      else {
        const actor = e.actor as { id: string };
        const service = actor.id.startsWith("svc-");
        inputs.push({
          v: 1,
          id: `evt-${String(from + inputs.length).padStart(9, "0")}`,
          ...e,
          actor: service
            ? { id: actor.id, kind: "service" }
            : { id: actor.id, role: "analyst", kind: "user" },
          details: details(),
        });
      }
    };
    const read = (i: number, asset: string) => {
      const r = rnd();
      const actor = { id: actorName(rnd()) };
      if (r < 0.02) {
        push({ ts: tsOf(i), actor, action: "access.denied", outcome: "denied", asset }, () => ({
          reason: "role analyst may not read this dataset",
          ip: `203.0.113.${int(1, 254)}`,
        }));
      } else if (r < 0.22) {
        push(
          {
            ts: tsOf(i),
            actor: { id: "svc-pii-scanner" },
            action: "pii.scan",
            outcome: "success",
            asset,
            inputs: [asset],
            controls: ["A.8.11"],
          },
          () => ({ detectors: ["email", "phone", "iban", "ipv4"], findings: int(0, 400) }),
        );
      } else {
        push({ ts: tsOf(i), actor, action: "dataset.read", outcome: "success", asset }, () => ({
          rows: int(100, 50_000),
          purpose: ["dashboard", "error-analysis", "labeling-qa"][int(0, 2)],
        }));
      }
    };
    const derive = (i: number, chain: number, level: number, actor: string) => {
      const out = assetName(chain, level);
      push(
        {
          ts: tsOf(i),
          actor: { id: actor },
          action: "dataset.transform",
          outcome: "success",
          asset: out,
          inputs: parents(chain, level),
          outputs: [out],
          controls: ["A.8.32"],
        },
        () => {
          const rows = int(20_000, 400_000);
          return {
            job: `job:build-c${chain}`,
            commit: hex(12),
            params: { partitions: int(1, 64), dedupe: extra() < 0.5, window: "1d" },
            rows,
            bytes: rows * int(300, 2_000),
            schema: hex(64),
            format: "parquet",
          };
        },
      );
    };
    let i = from;
    if (pattern === "uniform") {
      for (; i < from + n; i++) {
        const chain = Math.floor(rnd() * CHAINS);
        if (rnd() < 0.5) derive(i, chain, 1 + Math.floor(rnd() * (DEPTH - 1)), actorName(rnd()));
        else read(i, assetName(chain, Math.floor(rnd() * DEPTH)));
      }
      return inputs;
    }
    while (i < from + n) {
      const chain = Math.floor(rnd() * CHAINS);
      const service = `svc-pipeline-${chain % 20}`;
      for (
        let level = 1 + Math.floor(rnd() * (DEPTH - 1));
        level < DEPTH && i < from + n;
        level++
      ) {
        derive(i++, chain, level, service);
        for (let k = Math.floor(rnd() * 5); k > 0 && i < from + n; k--) {
          read(i++, assetName(chain, level));
        }
      }
    }
    return inputs;
  }

  return { chains: CHAINS, assetName, actorName, generate };
}
