/** Real LevelDB logs in temporary directories; `init` registers the lineage indexer. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  assets,
  fromUtf8,
  INDEX_FORMAT,
  indexStatus,
  init,
  Log,
  lineageEdges,
} from "../../src/index.js";
import { decodeGroups, decodePostings, type Posting } from "../../src/lineage/blocks.js";
import { scanEntries } from "../../src/lineage/entries.js";
import { bucketOf, INDEX_RANGE, trailingIndex } from "../../src/lineage/keys.js";

export const ORIGIN = "example.com/logseal/lineage-test";

export async function newLog(): Promise<{ log: Log; dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "logseal-lineage-"));
  const log = await init(join(dir, "store"), { origin: ORIGIN });
  return {
    log,
    dir,
    cleanup: async () => {
      await log.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A second `Log` over the same store with no hooks: it appends as a logseal from before the
 * indexes did, leaving them behind the log.
 */
export function unindexed(log: Log): Log {
  return new Log(log.store);
}

let n = 0;
/** An event deriving `outputs` from `inputs` (asset: the first output, so I × O edges). */
export function derive(
  inputs: string[],
  outputs: string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  n++;
  return {
    ts: 1_795_000_000_000 + n * 1000,
    actor: { id: "svc-etl", kind: "service" },
    action: "dataset.transform",
    outcome: "success",
    ...(outputs[0] === undefined ? {} : { asset: outputs[0] }),
    inputs,
    outputs,
    ...extra,
  };
}

/** Edges of a graph as sorted "from->to" strings. */
export const edgeSet = (g: { edges: Array<{ from: string; to: string }> }): string[] =>
  g.edges.map((e) => `${e.from}->${e.to}`).sort();

export const nodeSet = (g: { nodes: Array<{ id: string }> }): string[] =>
  g.nodes.map((x) => x.id).sort();

/**
 * The indexes as what they mean, whatever segments the appends cut them into: each (field,
 * value) posting list and each hour's time postings merged over their records, the edge
 * records, the inventory as `assets` reads it, and the index metadata (without
 * `meta/inventory`, which depends on when folds happened).
 */
export async function indexView(log: Log): Promise<string[]> {
  const lists = new Map<string, Posting[]>();
  const add = (name: string, ps: Posting[]) => {
    const l = lists.get(name);
    if (l === undefined) lists.set(name, [...ps]);
    else l.push(...ps);
  };
  const edges: string[] = [];
  for await (const [k, v] of log.store.iterate(INDEX_RANGE)) {
    if (k.startsWith("x/p/")) {
      const [field, bucket] = k.slice(4).split("\u0000") as [string, string];
      const groups = decodeGroups(trailingIndex(k), v);
      if (groups === null) throw new Error(`bad posting record ${k}`);
      for (const [value, ps] of groups) {
        if (bucketOf(value).toString(16).padStart(2, "0") !== bucket) {
          throw new Error(`${value} in the wrong bucket ${bucket}`);
        }
        add(`${field}=${value}`, ps);
      }
    } else if (k.startsWith("x/t/")) {
      const ps = decodePostings(trailingIndex(k), v);
      if (ps === null) throw new Error(`bad time record ${k}`);
      add(`hour=${Number(k.slice(4, 20))}`, ps);
    } else if (k.startsWith("x/up/") || k.startsWith("x/dn/")) {
      edges.push(`${JSON.stringify(k)} ${fromUtf8(v)}`);
    }
  }
  const out = [...lists]
    .map(([name, ps]) => {
      ps.sort((a, b) => a.index - b.index);
      return `${name}: ${ps.map((p) => `${p.index}@${p.ts}`).join(" ")}`;
    })
    .sort();
  out.push(...edges.sort());
  const status = await indexStatus(log.store);
  if (status.current) for (const a of await assets(log.store)) out.push(JSON.stringify(a));
  out.push(`meta/index ${status.format}`, `meta/indexed ${status.indexed}`);
  return out;
}

/**
 * What {@link indexView} must show for the first `size` entries, computed from a scan of the
 * log's entries with none of the indexer's code but `lineageEdges`.
 */
export async function scanView(log: Log, size = log.size): Promise<string[]> {
  const lists = new Map<string, string[]>();
  const add = (name: string, p: string) => {
    const l = lists.get(name);
    if (l === undefined) lists.set(name, [p]);
    else l.push(p);
  };
  const edges = new Map<string, string>();
  const inventory = new Map<string, Record<string, unknown>>();
  for await (const { index: i, event: e } of scanEntries(log.store, 0, size)) {
    const p = `${i}@${e.ts}`;
    add(`actor=${e.actor.id}`, p);
    add(`action=${e.action}`, p);
    add(`outcome=${e.outcome}`, p);
    for (const c of e.controls ?? []) add(`control=${c}`, p);
    add(`hour=${e.ts - (e.ts % 3_600_000)}`, p);
    const named = [
      ...new Set([...(e.asset ? [e.asset] : []), ...(e.inputs ?? []), ...(e.outputs ?? [])]),
    ];
    for (const a of named) {
      add(`asset=${a}`, p);
      const erase = e.action === "data.erase" && e.outcome === "success";
      const r = inventory.get(a);
      if (r === undefined) {
        inventory.set(a, {
          asset: a,
          kind: a.slice(0, a.indexOf(":")),
          first: i,
          firstTs: e.ts,
          last: i,
          lastTs: e.ts,
          events: 1,
          lastActor: e.actor.id,
          erased: erase,
          ...(erase ? { erasedAt: i } : {}),
        });
      } else {
        Object.assign(r, {
          last: i,
          lastTs: e.ts,
          events: (r.events as number) + 1,
          lastActor: e.actor.id,
        });
        if (erase && r.erased === false) Object.assign(r, { erased: true, erasedAt: i });
      }
    }
    for (const { from, to } of lineageEdges(e, i)) {
      if (edges.has(`${from}\u0000${to}`)) continue;
      edges.set(`${from}\u0000${to}`, JSON.stringify([i, e.ts, e.action, e.actor.id, e.outcome]));
    }
  }
  const out = [...lists].map(([name, ps]) => `${name}: ${ps.join(" ")}`).sort();
  const edgeLines: string[] = [];
  for (const [k, v] of edges) {
    const [from, to] = k.split("\u0000") as [string, string];
    edgeLines.push(`${JSON.stringify(`x/up/${to}\u0000${from}`)} ${v}`);
    edgeLines.push(`${JSON.stringify(`x/dn/${from}\u0000${to}`)} ${v}`);
  }
  out.push(...edgeLines.sort());
  const byKey = [...inventory.values()].sort((a, b) =>
    Buffer.compare(Buffer.from(a.asset as string), Buffer.from(b.asset as string)),
  );
  for (const r of byKey) {
    const { asset, kind, first, firstTs, last, lastTs, events, lastActor, erased, erasedAt } = r;
    out.push(
      JSON.stringify({
        asset,
        kind,
        first,
        firstTs,
        last,
        lastTs,
        events,
        lastActor,
        erased,
        ...(erasedAt === undefined ? {} : { erasedAt }),
      }),
    );
  }
  out.push(`meta/index ${INDEX_FORMAT}`, `meta/indexed ${size}`);
  return out;
}
