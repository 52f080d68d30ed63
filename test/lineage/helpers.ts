/** Real LevelDB logs in temporary directories, appended with the lineage indexer. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Appended, type Event, init, type Log, lineageIndexer } from "../../src/index.js";

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
 * Appends, then writes the indexer's puts for the new entries, as `Log` will do inside the
 * append batch once its contributor hook exists.
 */
export async function appendIndexed(
  log: Log,
  events: readonly unknown[],
  options: { now?: number } = {},
): Promise<Appended[]> {
  const results = await log.append(events, options);
  const fresh = results.filter((r) => !r.duplicate).map((r) => r.index);
  const entries: Array<{ index: number; event: Event }> = [];
  for (const index of fresh) entries.push({ index, event: (await log.get(index)).event });
  await log.store.write(await lineageIndexer.puts(entries, log.store));
  return results;
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
