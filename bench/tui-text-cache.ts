/**
 * The memory Ink keeps per distinct line of text, with and without tui/fixed-lines.ts.
 *
 *   npx tsx bench/tui-text-cache.ts [FRAMES]
 *
 * Ink 6.8 caches the measured size of every text it lays out in a Map it never empties; a
 * list following a log shows new rows all the time. This renders a 36-row list FRAMES times
 * (default 2000) with every row new in each frame, as the Events list does while it follows a
 * busy log, then prints the heap kept per row text after a full GC, for plain Text rows and
 * for rows sized by `useFixedLines`, and whether both drew the same bytes.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
process.env.NODE_ENV ??= "production";
delete process.env.CI;
const { render, Box, Text } = await import("ink");
const { createElement, useRef, useState } = await import("react");
const { useFixedLines } = await import("../tui/fixed-lines.js");
type DOMElement = import("ink").DOMElement;

const FRAMES = Number(process.argv[2] ?? 2000);
const ROWS = 36;
const COLUMNS = 120;

class Out extends EventEmitter {
  isTTY = true;
  columns = COLUMNS;
  rows = 40;
  /**
   * A digest of each frame by its first row (kept whole, the output would weigh in the heap);
   * two commits may share a frame when the machine is slow, so frames are compared by row.
   */
  frames = new Map<string, string>();
  write = (s: string) => {
    this.frames.set(s.slice(0, 12), createHash("sha256").update(s).digest("hex").slice(0, 16));
    return true;
  };
}

let bump: (n: number) => void = () => {};
let fixed = false;
const none = { current: null };
function List() {
  const [n, setN] = useState(0);
  bump = setN;
  const ref = useRef<DOMElement>(null);
  useFixedLines(fixed ? ref : none, COLUMNS);
  return createElement(
    Box,
    { flexDirection: "column", ref },
    Array.from({ length: ROWS }, (_, i) =>
      createElement(
        Text,
        { key: i },
        `${String(n * ROWS + i).padStart(9)} 2026-11-26 10:00:00 svc-load     dataset.read    dataset:bench/${(n * ROWS + i) % 1000}    ok      A.8.15`,
      ),
    ),
  );
}
async function run(sized: boolean): Promise<{ perText: number; out: Record<string, string> }> {
  fixed = sized;
  const out = new Out();
  const app = render(createElement(List), {
    stdout: out as unknown as NodeJS.WriteStream,
    patchConsole: false,
    // Every commit drawn in full, so the two variants can be compared byte for byte.
    debug: true,
  });
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const h0 = process.memoryUsage().heapUsed;
  for (let i = 1; i <= FRAMES; i++) {
    bump(i);
    await new Promise((r) => setTimeout(r, 1));
  }
  await new Promise((r) => setTimeout(r, 50));
  gc();
  const h1 = process.memoryUsage().heapUsed;
  app.unmount();
  return { perText: (h1 - h0) / (FRAMES * ROWS), out: Object.fromEntries(out.frames) };
}

// Each variant in its own process: Ink's cache, and its cursor state, are per process.
const mode = process.argv[3];
if (mode === "plain" || mode === "sized") {
  process.stdout.write(`${JSON.stringify(await run(mode === "sized"))}\n`);
  process.exit(0);
}
const child = (m: string) =>
  JSON.parse(
    execFileSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), String(FRAMES), m],
      {
        encoding: "utf8",
      },
    ),
  ) as { perText: number; out: Record<string, string> };
const plain = child("plain");
const sized = child("sized");
const both = Object.keys(plain.out).filter((k) => k in sized.out);
const differ = both.filter((k) => plain.out[k] !== sized.out[k]).length;
console.log(
  `${FRAMES} frames x ${ROWS} new rows: plain Text ${plain.perText.toFixed(0)} bytes kept per row text (${((plain.perText * FRAMES * ROWS) / 2 ** 20).toFixed(1)} MB); sized rows ${sized.perText.toFixed(0)} bytes (${((sized.perText * FRAMES * ROWS) / 2 ** 20).toFixed(1)} MB); frames compared ${both.length}, differing ${differ}`,
);
process.exit(0);
