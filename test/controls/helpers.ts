/** Real LevelDB logs in temporary directories for the controls tests. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ControlsPolicy, init, type Log } from "../../src/index.js";

export const ORIGIN = "example.com/logseal/controls-test";

export async function newLog(
  controlsPolicy?: ControlsPolicy,
): Promise<{ log: Log; dir: string; store: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "logseal-controls-"));
  const store = join(dir, "store");
  const log = await init(store, { origin: ORIGIN, ...(controlsPolicy ? { controlsPolicy } : {}) });
  return {
    log,
    dir,
    store,
    cleanup: async () => {
      await log.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An event of schema v1 at `ts` (ms) with `action` and optional controls. */
export function ev(ts: number, action: string, extra: Record<string, unknown> = {}) {
  return {
    v: 1,
    ts,
    actor: { id: "alice" },
    action,
    outcome: action === "access.denied" ? "denied" : "success",
    asset: "dataset:raw/tickets",
    ...extra,
  };
}
