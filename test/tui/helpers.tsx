/** Shared by the TUI tests: real stores in temp dirs, the App under ink-testing-library, waitFor. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { render } from "ink-testing-library";
import { init, type Log, parseVkey, reindex, type Soa } from "../../src/index.js";
import { App } from "../../tui/app.js";
import type { DataSource } from "../../tui/data/source.js";

export const ORIGIN = "example.com/logseal/tui-test";
export const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);

/** Event n: alternating actors, actions, outcomes, controls and a lineage chain. */
export function ev(n: number): Record<string, unknown> {
  const actors = ["alice", "bob", "svc-ingest"];
  return {
    id: `ev-${n}`,
    ts: T0 + n * 60_000,
    actor: { id: actors[n % 3], kind: n % 3 === 2 ? "service" : "user" },
    action:
      n % 4 === 0
        ? "dataset.read"
        : n % 4 === 1
          ? "dataset.transform"
          : n % 4 === 2
            ? "model.train"
            : "access.denied",
    outcome: n % 4 === 3 ? "denied" : "success",
    ...(n % 4 === 1
      ? { inputs: [`dataset:raw/d${n}`], outputs: [`dataset:clean/d${n}`] }
      : { asset: `dataset:raw/d${n - (n % 4) + 1}` }),
    controls: n % 4 === 3 ? ["A.8.3"] : n % 4 === 0 ? ["A.8.15"] : ["A.8.11"],
    details: { note: n % 50 === 7 ? "needle here" : "hay" },
  };
}

export async function makeStore(count: number, options: { index?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "logseal-tui-"));
  const store = join(dir, "store");
  const log = await init(store, { origin: ORIGIN });
  const all = Array.from({ length: count }, (_, i) => ev(i));
  for (let i = 0; i < all.length; i += 1000) await log.append(all.slice(i, i + 1000));
  await log.checkpoint();
  if (options.index !== false) await reindex(log);
  return {
    dir,
    store,
    log,
    cleanup: async () => {
      await log.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function keysOf(log: Log) {
  return { verifiers: [parseVkey(log.vkey)], pinned: false };
}

export interface Rendered {
  lastFrame: () => string | undefined;
  stdin: { write: (s: string) => void };
  unmount: () => void;
  quits: () => number;
}

export function renderApp(
  source: DataSource,
  log: Log,
  size = { rows: 24, columns: 100 },
  soa?: Soa,
): Rendered {
  let quit = 0;
  const r = render(
    <App
      source={source}
      keys={keysOf(log)}
      size={size}
      color={false}
      soa={soa}
      onQuit={() => quit++}
    />,
  );
  return { lastFrame: r.lastFrame, stdin: r.stdin, unmount: r.unmount, quits: () => quit };
}

/** Polls until `check` holds (never sleep-then-assert), failing with the last frame. */
export async function waitFor(
  frame: () => string | undefined,
  check: (f: string) => boolean,
  timeout = 20_000,
): Promise<string> {
  const end = Date.now() + timeout;
  let last = "";
  while (Date.now() < end) {
    last = frame() ?? "";
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out; last frame:\n${last}`);
}

export const KEY = {
  up: "\u001B[A",
  down: "\u001B[B",
  pgup: "\u001B[5~",
  pgdn: "\u001B[6~",
  enter: "\r",
  esc: "\u001B",
  tab: "\t",
  ctrlC: "\u0003",
  backspace: "\u007F",
};

/** Sends keys one at a time, letting Ink read each (a burst is one chunk). */
export async function type(stdin: { write: (s: string) => void }, ...keys: string[]) {
  for (const k of keys) {
    stdin.write(k);
    await new Promise((r) => setTimeout(r, 15));
  }
}
