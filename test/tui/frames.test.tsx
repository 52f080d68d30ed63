/**
 * Frames as `logseal tui` draws them: Ink's own renderer with its frame throttle (not
 * ink-testing-library's debug mode, which draws every update at once), on a real store.
 * - the first frame already shows the tail's rows (tui/main.tsx readTail);
 * - a key's frame is drawn at once, not when Ink's throttle window ends (tui/frames.ts). The
 *   window is set to 5 s here so that the difference cannot be load: without the flush, the
 *   key's frame waits for the end of the window that the first frame opened.
 */
import { EventEmitter } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Ink reads CI when it loads (is-in-ci) and then writes no frame until the app exits; the
// TUI clears it in a terminal (cli/commands/tui.ts). This file runs in its own process.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
const { render } = await import("ink");
const { createElement } = await import("react");
const { App } = await import("../../tui/app.js");
const { LocalSource } = await import("../../tui/data/local.js");
const { frameFlusher, loadFrameFlusher } = await import("../../tui/frames.js");
const { INK_OPTIONS, readTail } = await import("../../tui/main.js");
const { keysOf, makeStore } = await import("./helpers.js");

/** A terminal as Ink sees it: every write kept, with the time it came. */
class Out extends EventEmitter {
  isTTY = true;
  columns = 100;
  rows = 24;
  writes: Array<{ at: number; text: string }> = [];
  write = (text: string) => {
    this.writes.push({ at: performance.now(), text });
    return true;
  };
}
class In extends EventEmitter {
  isTTY = true;
  data: string | null = null;
  send(d: string) {
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

let s: Awaited<ReturnType<typeof makeStore>>;
beforeAll(async () => {
  s = await makeStore(600, { index: false });
  await loadFrameFlusher();
});
afterAll(async () => {
  await s.cleanup();
});

async function until(out: Out, test: (t: string) => boolean, ms: number): Promise<number> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const w = out.writes.find((x) => test(x.text));
    if (w !== undefined) return w.at;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(
    `no such frame in ${ms} ms; writes:\n${out.writes.map((w) => w.text).join("\n---\n")}`,
  );
}

/** Renders the App as main.tsx does, with a 5 s throttle window; `flush` as the TUI sets it. */
async function start(flush: boolean) {
  const source = new LocalSource(s.log, { owned: false });
  await readTail(source, 24);
  const out = new Out();
  const input = new In();
  let flushFrame = () => {};
  const ink = render(
    createElement(App, {
      source,
      keys: keysOf(s.log),
      size: { rows: 24, columns: 100 },
      color: false,
      onKey: () => flushFrame(),
    }),
    {
      ...INK_OPTIONS,
      maxFps: 0.2,
      stdout: out as unknown as NodeJS.WriteStream,
      stdin: input as unknown as NodeJS.ReadStream,
    },
  );
  if (flush) flushFrame = frameFlusher(out);
  return { out, input, stop: () => ink.unmount() };
}

describe("frames through Ink's throttle", () => {
  it("draws the tail in the first frame and a key's frame at once", async () => {
    const { out, input, stop } = await start(true);
    try {
      const first = await until(out, (t) => t.includes("[FOLLOW]"), 10_000);
      // The first frame written has the tail's rows, not placeholders.
      expect(out.writes.find((w) => w.text.includes("[FOLLOW]"))?.text).toMatch(
        /^> +599 .*svc-ingest/m,
      );
      const t = performance.now();
      input.send("k");
      const shown = await until(out, (x) => x.includes("[PAUSED]"), 10_000);
      // The throttle window opened by the first frame ends at first + 5,000 ms.
      expect(shown - t).toBeLessThan(2500);
      expect(shown).toBeLessThan(first + 5000);
    } finally {
      stop();
    }
  });

  it("without the flush, the same key's frame waits for the window's end", async () => {
    const { out, input, stop } = await start(false);
    try {
      const first = await until(out, (t) => t.includes("[FOLLOW]"), 10_000);
      input.send("k");
      const shown = await until(out, (x) => x.includes("[PAUSED]"), 10_000);
      expect(shown - first).toBeGreaterThan(4000);
    } finally {
      stop();
    }
  });
});
