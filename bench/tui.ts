/**
 * The TUI benchmark: on a large store, the time to the first frame that shows the tail, the
 * keypress-to-frame latency while events are appended and followed, Ink's own render time,
 * and the peak RSS.
 *
 *   npm run bench:tui -- [--events N] [--store DIR] [--keys K] [--rate R] [--json]
 *
 *   --events N   build a temp store of N events (default 1,000,000), removed at the end
 *   --store DIR  use an existing store instead (e.g. one `bench:large -- --dir D` built)
 *   --keys K     key presses to time (default 300): k (detach) and G (re-attach) in turn
 *   --rate R     events appended per second while the keys are pressed (default 5000)
 *   --max-fps N  Ink's frame throttle instead of the one `logseal tui` uses (comparisons)
 *   --no-flush   let a key's frame wait for Ink's throttle, as before tui/frames.ts (comparisons)
 *   --gap MS     a key every MS milliseconds (default 100, a brisk typist; 0: back to back)
 *   --server     read through `logseal serve` (a child process, dist/ built by the npm script)
 *                with the appends POSTed by another child process, as an SRE's TUI follows a
 *                busy log; without it the store is opened here and appended to in this process
 *
 * The App is rendered by Ink itself (not ink-testing-library) at 120x40 with an in-memory
 * stdout and stdin and `onRender` timing; the frame counts only when it shows the key's effect
 * (PAUSED after k, FOLLOW after G), so a frame drawn for an append does not count as the key's.
 * Without --server, appends go through the same Log in this process (the local source's live
 * tail polls the size every 200 ms), so the RSS counts the appender too; with --server this
 * process holds only the TUI. The store's indexes are not needed (nothing here filters).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createToken,
  demoScenario,
  init,
  type Log,
  LogClient,
  open,
  parseVkey,
} from "../src/index.js";

// React's production build, as `logseal tui` runs it (cli/commands/tui.ts sets the same); the
// UI modules are imported after this line for that reason.
process.env.NODE_ENV ??= "production";
// As `logseal tui` does in a terminal: with CI set, Ink (is-in-ci) would draw nothing.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
const { render, Box, Text } = await import("ink");
const { createElement, useState } = await import("react");
const { App } = await import("../tui/app.js");
const { LocalSource } = await import("../tui/data/local.js");
const { ServerSource } = await import("../tui/data/server.js");
const { INK_OPTIONS, readTail } = await import("../tui/main.js");
const { frameFlusher, loadFrameFlusher } = await import("../tui/frames.js");
await loadFrameFlusher();

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const EVENTS = Number(arg("--events") ?? 1_000_000);
const KEYS = Number(arg("--keys") ?? 300);
const RATE = Number(arg("--rate") ?? 5000);
const GAP = Number(arg("--gap") ?? 100);
const JSON_OUT = args.includes("--json");
const SERVER = args.includes("--server");
const MAIN = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const ROWS = 40;
const COLUMNS = 120;

const pool = demoScenario({ days: 60 }).flatMap((d) => d.events);
const SPAN_MS = 60 * 86_400_000;
function generate(from: number, k: number): Record<string, unknown>[] {
  return Array.from({ length: k }, (_, j) => {
    const i = from + j;
    const e = pool[i % pool.length] as Record<string, unknown>;
    return {
      ...e,
      id: `evt-${String(i).padStart(10, "0")}`,
      ts: (e.ts as number) + Math.floor(i / pool.length) * SPAN_MS,
    };
  });
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const load0 = loadavg();
let rssMax = 0;
const sampler = setInterval(() => {
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
}, 50);

async function build(dir: string): Promise<void> {
  const built = await init(dir, { origin: "example.com/logseal/bench-tui" });
  const t = performance.now();
  for (let i = 0; i < EVENTS; i += 10_000) {
    await built.append(generate(i, Math.min(10_000, EVENTS - i)));
    if (i % 200_000 === 0) log(`building: ${i.toLocaleString("en-US")} events`);
  }
  await built.checkpoint();
  await built.close();
  log(
    `built ${EVENTS.toLocaleString("en-US")} events in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
}

const only = arg("--build-only");
if (only !== undefined) {
  if (EVENTS > 0) await build(only);
  // Tokens for --server mode, printed for the parent.
  const l = await open(only);
  const writer = (
    await createToken(l.store, { name: `bench-tui-w-${process.pid}`, role: "writer" })
  ).token;
  const viewer = (
    await createToken(l.store, { name: `bench-tui-v-${process.pid}`, role: "auditor" })
  ).token;
  await l.close();
  process.stdout.write(`${JSON.stringify({ writer, viewer })}\n`);
  process.exit(0);
}

let dir = arg("--store");
let temp: string | undefined;
if (dir === undefined) {
  temp = await mkdtemp(join(tmpdir(), "logseal-bench-tui-"));
  dir = join(temp, "store");
}
// Built (and tokens made) in a child process, so this one's memory is only the TUI's.
const prepared = spawnSync(
  process.execPath,
  [
    ...process.execArgv,
    fileURLToPath(import.meta.url),
    "--build-only",
    dir,
    "--events",
    temp === undefined ? "0" : String(EVENTS),
  ],
  { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" },
);
if (prepared.status !== 0) throw new Error(`preparing the store failed (exit ${prepared.status})`);
const tokens = JSON.parse(prepared.stdout.trim().split("\n").at(-1) as string) as {
  writer: string;
  viewer: string;
};
const children: ChildProcess[] = [];

function serve(store: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      "serve",
      "--store",
      store,
      "--listen",
      "127.0.0.1:0",
      "--json",
      "--rate-limit",
      "1000000",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
    });
    child.on("exit", (code) => reject(new Error(`logseal serve exited with ${code}`)));
  });
}

/**
 * A child process POSTing RATE events a second to the server, ten requests a second. Each
 * request carries what the schedule owes (RATE × elapsed - sent), so a slow response is made
 * up by the next request instead of lowering the rate (the first version slept 100 ms minus the
 * request's time and reached 4,494/s of 5,000 on a loaded machine).
 */
function appendLoop(url: string): void {
  const script = `
    const t0 = Date.now();
    let n = 0;
    for (;;) {
      const owed = Math.max(1, Math.round((${RATE} * (Date.now() - t0)) / 1000) - n);
      const body = Array.from({ length: owed }, () => JSON.stringify({ actor: { id: "svc-load" }, action: "dataset.read", outcome: "success", asset: "dataset:bench/" + (n++ % 1000) })).join("\\n");
      const r = await fetch(${JSON.stringify(url)} + "/v1/events", { method: "POST", headers: { Authorization: "Bearer ${tokens.writer}", "Content-Type": "application/x-ndjson" }, body });
      if (!r.ok) { console.error("append failed", r.status, await r.text()); process.exit(1); }
      await new Promise((res) => setTimeout(res, Math.max(0, 100 - ((Date.now() - t0) % 100))));
    }`;
  children.push(
    spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "ignore", "inherit"],
    }),
  );
}
const rssBefore = process.memoryUsage().rss;
rssMax = rssBefore;

class Out extends EventEmitter {
  /** A terminal, as Ink sees it: throttled frames (maxFps), log-update's redraws. */
  isTTY = true;
  columns = COLUMNS;
  rows = ROWS;
  frame = "";
  waiters: Array<{ test: (f: string) => boolean; resolve: () => void }> = [];
  write = (f: string) => {
    this.frame = f;
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(f)) return true;
      w.resolve();
      return false;
    });
    return true;
  };
  next(test: (f: string) => boolean): Promise<void> {
    if (test(this.frame)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
}
class In extends EventEmitter {
  isTTY = true;
  data: string | null = null;
  write(d: string) {
    this.data = d;
    this.emit("readable");
  }
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

// 0. Baseline: plain Ink drawing 38 rows of 120 characters, one row changing per frame, on
// this machine under its present load (what any Ink list costs here; the App adds its own).
let bump: (n: number) => void = () => {};
const line =
  "2026-11-26 10:00:00 alice        dataset.read    dataset:raw/support-… ok      A.8.10,A.5.34";
function Plain() {
  const [n, setN] = useState(0);
  bump = setN;
  return createElement(
    Box,
    { flexDirection: "column" },
    Array.from({ length: 38 }, (_, i) =>
      createElement(
        Text,
        { key: i, inverse: i === n % 38 },
        `${String(i + n).padStart(7)} ${line}`,
      ),
    ),
  );
}

async function baseline(): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  const out = new Out();
  const app = render(createElement(Plain), {
    stdout: out as unknown as NodeJS.WriteStream,
    debug: true,
    patchConsole: false,
    onRender: ({ renderTime }) => times.push(renderTime),
  });
  for (let i = 1; i <= 200; i++) {
    bump(i);
    await new Promise((r) => setTimeout(r, 5));
  }
  app.unmount();
  return { p50: +pct(times, 50).toFixed(2), p95: +pct(times, 95).toFixed(2) };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

const plain = await baseline();
rssMax = process.memoryUsage().rss;

// 1. First frame: from opening the store to a frame showing the tail row.
const url = SERVER ? await serve(dir) : undefined;
const t0 = performance.now();
const opened: Log | undefined = SERVER ? undefined : await open(dir);
const source =
  url !== undefined
    ? await ServerSource.connect(new LogClient(url, { token: tokens.viewer }), tokens.viewer)
    : new LocalSource(opened as Log, { owned: false });
const size = source.size();
// As `logseal tui` does before its first frame (tui/main.tsx).
await readTail(source, ROWS);
const stdout = new Out();
const stdin = new In();
const renderTimes: number[] = [];
const tail = new RegExp(`^> +${size - 1} `, "m");
const first = stdout.next((f) => tail.test(f));
// As `logseal tui` does (tui/main.tsx): a key's frame is not held back by Ink's throttle;
// --no-flush measures without it.
let flush = () => {};
const ink = render(
  createElement(App, {
    source,
    keys: { verifiers: [parseVkey(source.vkey)], pinned: false },
    size: { rows: ROWS, columns: COLUMNS },
    color: false,
    onKey: () => flush(),
  }),
  {
    // The options `logseal tui` renders with (not debug mode, which draws every commit at
    // once): a key's frame may wait for Ink's frame throttle, as in a real terminal.
    ...INK_OPTIONS,
    ...(arg("--max-fps") === undefined ? {} : { maxFps: Number(arg("--max-fps")) }),
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    onRender: ({ renderTime }) => renderTimes.push(renderTime),
  },
);
if (!args.includes("--no-flush")) flush = frameFlusher(stdout);
await first;
const firstFrameMs = performance.now() - t0;
log(
  `first frame with the tail of ${size.toLocaleString("en-US")} events: ${firstFrameMs.toFixed(0)} ms`,
);

// 2. Keys while following appends.
let appended = 0;
let appending = true;
const appender = (async () => {
  if (url !== undefined) {
    appendLoop(url);
    return;
  }
  let next = size;
  const perTick = Math.max(1, Math.round(RATE / 10));
  while (appending) {
    const t = performance.now();
    await (opened as Log).append(generate(next, perTick));
    next += perTick;
    appended += perTick;
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - t))));
  }
})();
// Through the server: the keys start once the appender's events arrive (a child process takes
// a second or more to start on a loaded machine), and the rate is the server's tree growth
// over the key phase, read from `GET /v1/log`.
const serverSize = async () =>
  url === undefined ? 0 : (await new LogClient(url, { token: tokens.viewer }).info()).size;
if (url !== undefined) {
  const end = Date.now() + 60_000;
  while (source.size() === size && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}
const sizeAtKeys = await serverSize();
const renderFrom = renderTimes.length;
// CPU time of this process over the key phase (the TUI alone with --server): unlike the wall
// times, it hardly moves with the other work on a shared machine.
const cpu0 = process.cpuUsage();
const latencies: number[] = [];
const tKeys = performance.now();
for (let i = 0; i < KEYS; i++) {
  const key = i % 2 === 0 ? "k" : "G";
  const want = key === "k" ? /\[PAUSED\]|new \(G follows\)/ : /\[FOLLOW\]/;
  const t = performance.now();
  const shown = stdout.next((f) => want.test(f));
  stdin.write(key);
  await shown;
  latencies.push(performance.now() - t);
  // A person's pace: the next key comes GAP ms after this one, not the moment its frame is
  // drawn (keys sent back to back would each wait for Ink's frame throttle, 34 ms at 30 fps,
  // and measure the throttle rather than the app).
  await new Promise((r) => setTimeout(r, Math.max(0, GAP - (performance.now() - t))));
}
const keysSeconds = (performance.now() - tKeys) / 1000;
const cpu = process.cpuUsage(cpu0);
const sizeAfterKeys = await serverSize();
appending = false;
await appender;
if (url !== undefined) appended = sizeAfterKeys - sizeAtKeys;
ink.unmount();
await source.close();
await opened?.close();
for (const c of children) c.kill("SIGTERM");
await new Promise((r) => setTimeout(r, 500));
clearInterval(sampler);
if (temp !== undefined) await rm(temp, { recursive: true, force: true });

const renders = renderTimes.slice(renderFrom);
const result = {
  bench: "tui",
  date: new Date().toISOString(),
  machine: {
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    loadAvgAtStart: load0,
    loadAvgAtEnd: loadavg(),
  },
  params: {
    events: size,
    keys: KEYS,
    gapMs: GAP,
    rate: RATE,
    rows: ROWS,
    columns: COLUMNS,
    via: SERVER ? "server" : "store",
  },
  firstFrameMs: Math.round(firstFrameMs),
  keyToFrameMs: {
    p50: +pct(latencies, 50).toFixed(2),
    p95: +pct(latencies, 95).toFixed(2),
    max: +pct(latencies, 100).toFixed(2),
  },
  inkRenderMs: {
    p50: +pct(renders, 50).toFixed(2),
    p95: +pct(renders, 95).toFixed(2),
    frames: renders.length,
  },
  plainInkRenderMs: plain,
  /** CPU ms of this process per frame drawn in the key phase (keys' and appends' frames). */
  cpuMsPerFrame: +(
    (cpu.user + cpu.system) /
    1000 /
    Math.max(1, renderTimes.length - renderFrom)
  ).toFixed(2),
  cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / keysSeconds) * 100),
  appendedWhileKeys: appended,
  appendRate: Math.round(appended / keysSeconds),
  rssMB: { beforeOpen: Math.round(rssBefore / 2 ** 20), peak: Math.round(rssMax / 2 ** 20) },
};
if (JSON_OUT) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  console.log(
    `logseal tui benchmark (${result.date}, Node ${process.version}, ${result.machine.cores}x ${result.machine.cpu}, load ${load0.map((l) => l.toFixed(2)).join(" ")})`,
  );
  console.log(
    `store: ${size.toLocaleString("en-US")} events, read ${SERVER ? "through logseal serve" : "directly"}; terminal ${COLUMNS}x${ROWS}`,
  );
  console.log(`first frame (open + tail rows): ${result.firstFrameMs} ms`);
  console.log(
    `key -> frame while following ${result.appendRate.toLocaleString("en-US")} appends/s: p50 ${result.keyToFrameMs.p50} ms, p95 ${result.keyToFrameMs.p95} ms, max ${result.keyToFrameMs.max} ms (${KEYS} keys)`,
  );
  console.log(
    `Ink render time: p50 ${result.inkRenderMs.p50} ms, p95 ${result.inkRenderMs.p95} ms (${result.inkRenderMs.frames} frames)`,
  );
  console.log(`baseline, plain Ink drawing 38 rows here: p50 ${plain.p50} ms, p95 ${plain.p95} ms`);
  console.log(
    `CPU of the TUI process while keys and appends are drawn: ${result.cpuPercent}% of a core, ${result.cpuMsPerFrame} ms per frame`,
  );
  console.log(`RSS: ${result.rssMB.beforeOpen} MB before opening, peak ${result.rssMB.peak} MB`);
}
process.exit(0);
