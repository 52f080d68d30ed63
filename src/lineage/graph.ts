/**
 * Lineage queries: the upstream (what an asset was derived from) and downstream (what was
 * derived from it) graph of an asset, by breadth-first search over the edge index.
 *
 * Each step reads one key range per node (`x/up/<node> NUL …` or `x/dn/<node> NUL …`), one
 * record per neighbour; the nodes of one BFS level are read concurrently. Every node is
 * expanded once, so cycles end and a diamond's shared ancestor appears once; every edge
 * (from, to) is listed once, citing the entry that created it. As of a size, an edge exists
 * when the entry that created it is below that size.
 */
import { LogsealError } from "../errors.js";
import type { LevelStore } from "../store/level-store.js";
import { decodeEdge, type EdgeRecord } from "./blocks.js";
import { assetKind } from "./edges.js";
import { readRecords } from "./inventory.js";
import { edgeRange, type Side } from "./keys.js";
import { requireIndex } from "./status.js";

export type Direction = "up" | "down" | "both";

export interface LineageOptions {
  /** `up`: what the asset was derived from (default); `down`: what was derived from it; `both`. */
  direction?: Direction;
  /** Largest distance from the asset, in edges (default 20). 0 gives the asset alone. */
  depth?: number;
  /** Answer as the log was at this size: only entries below it count (default: all). */
  asOf?: number;
}

export interface LineageNode {
  id: string;
  kind: string;
  /** Distance upstream of the asset (0 for the asset itself), when reached upstream. */
  up?: number;
  /** Distance downstream of the asset, when reached downstream. */
  down?: number;
  /** A successful `data.erase` event below the as-of size named it. */
  erased: boolean;
}

export interface LineageEdge {
  /** The input side: `to` was derived from `from`. */
  from: string;
  to: string;
  /** The entry that created the edge: the first that asserts it. */
  index: number;
  ts: number;
  action: string;
  actor: string;
  outcome: string;
}

export interface LineageGraph {
  /** The log's origin. */
  origin: string;
  asset: string;
  direction: Direction;
  depth: number;
  /** The log size the answer is for. */
  asOf: number;
  /** True when some node at the depth bound has edges that were not followed. */
  truncated: boolean;
  /** The asset first, then in breadth-first order. */
  nodes: LineageNode[];
  /** In the order found. */
  edges: LineageEdge[];
}

/** How many node ranges are read at once. */
const CONCURRENCY = 32;

/** The neighbours of `asset` on `side` through edges created below `bound`, in key order. */
async function neighbours(
  store: LevelStore,
  side: Side,
  asset: string,
  bound: number,
  any = false,
): Promise<Array<[string, EdgeRecord]>> {
  const range = edgeRange(side, asset);
  const out: Array<[string, EdgeRecord]> = [];
  for await (const [key, value] of store.iterate(range)) {
    const r = decodeEdge(value);
    if (r === null) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        "a lineage edge record is damaged: run 'logseal reindex'",
        { details: { key } },
      );
    }
    if (r.index >= bound) continue;
    out.push([key.slice(range.gte.length), r]);
    if (any) break;
  }
  return out;
}

async function mapLimited<T, R>(items: T[], fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += CONCURRENCY) {
    out.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map(fn))));
  }
  return out;
}

function checkCount(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new LogsealError(
      "E_USAGE",
      `${name} must be a non-negative integer, got ${JSON.stringify(value)}`,
      { location: { field: name } },
    );
  }
  return value;
}

/**
 * The lineage graph of `asset`.
 * @throws LogsealError E_USAGE (a negative or non-integer depth or as-of size, a bad direction),
 *   E_INDEX_RANGE (an as-of size beyond the log), E_ASSET_UNKNOWN (no entry below the as-of
 *   size names the asset), E_INDEX_STALE (indexes missing or behind: run `logseal reindex`)
 */
export async function lineage(
  store: LevelStore,
  asset: string,
  options: LineageOptions = {},
): Promise<LineageGraph> {
  const direction = options.direction ?? "up";
  if (direction !== "up" && direction !== "down" && direction !== "both") {
    throw new LogsealError(
      "E_USAGE",
      `direction must be up, down or both, got ${String(direction)}`,
      {
        location: { field: "direction" },
      },
    );
  }
  const depth = checkCount(options.depth, "depth", 20);
  const status = await requireIndex(store);
  const asOf = checkCount(options.asOf, "as-of", status.indexed);
  if (asOf > status.indexed) {
    throw new LogsealError(
      "E_INDEX_RANGE",
      `as-of size ${asOf} is beyond the log, which has ${status.indexed} entries`,
      { details: { asOf, size: status.indexed } },
    );
  }
  const [root] = await readRecords(store, [asset]);
  if (root === undefined || root.first >= asOf) {
    throw new LogsealError(
      "E_ASSET_UNKNOWN",
      `no event ${asOf < status.indexed ? `below size ${asOf} ` : ""}names the asset ${JSON.stringify(asset)}: list the assets with 'logseal assets'`,
      { location: { field: "asset" }, details: { asset, asOf } },
    );
  }

  const nodes = new Map<string, LineageNode>();
  const edges = new Map<string, LineageEdge>();
  nodes.set(asset, {
    id: asset,
    kind: assetKind(asset),
    ...(direction !== "down" ? { up: 0 } : {}),
    ...(direction !== "up" ? { down: 0 } : {}),
    erased: false,
  });
  let truncated = false;
  const walks: Array<["up" | "down", Side]> = [];
  if (direction !== "down") walks.push(["up", "up"]);
  if (direction !== "up") walks.push(["down", "dn"]);
  for (const [dir, side] of walks) {
    const seen = new Set([asset]);
    let frontier = [asset];
    for (let d = 0; d < depth && frontier.length > 0; d++) {
      const found = await mapLimited(frontier, (n) => neighbours(store, side, n, asOf));
      const next: string[] = [];
      frontier.forEach((n, k) => {
        for (const [other, hit] of found[k] as Array<[string, EdgeRecord]>) {
          const [from, to] = side === "up" ? [other, n] : [n, other];
          const key = `${from}\u0000${to}`;
          if (!edges.has(key)) edges.set(key, { from, to, ...hit });
          if (seen.has(other)) continue;
          seen.add(other);
          next.push(other);
          const node = nodes.get(other);
          if (node === undefined) {
            nodes.set(other, { id: other, kind: assetKind(other), [dir]: d + 1, erased: false });
          } else if (node[dir] === undefined) node[dir] = d + 1;
        }
      });
      frontier = next;
    }
    if (!truncated && frontier.length > 0) {
      const more = await mapLimited(frontier, (n) => neighbours(store, side, n, asOf, true));
      truncated = more.some((m) => m.length > 0);
    }
  }

  const ids = [...nodes.keys()];
  const records = await readRecords(store, ids);
  records.forEach((r, i) => {
    if (r?.erased && (r.erasedAt ?? 0) < asOf)
      (nodes.get(ids[i] as string) as LineageNode).erased = true;
  });
  return {
    origin: store.origin,
    asset,
    direction,
    depth,
    asOf,
    truncated,
    nodes: [...nodes.values()],
    edges: [...edges.values()],
  };
}
