/** Real LevelDB logs in temporary directories; `init` registers the lineage indexer. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { init, Log } from "../../src/index.js";

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
