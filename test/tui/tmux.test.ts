/**
 * End to end in a real terminal: tmux runs `logseal tui` (the built CLI) on a real store, the
 * test types keys and reads the screen with capture-pane, then quits (q, Ctrl-C, SIGTERM) and
 * checks the terminal left the alternate screen. Each run has its own tmux server (-L).
 */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logseal, MAIN } from "../cli/cli.js";
import { makeStore } from "./helpers.js";

function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// CI installs tmux (.ci/run). Without tmux the test fails rather than passing unseen, unless
// it is skipped on purpose (as the Go interop test is).
const SKIP = process.env.LOGSEAL_SKIP_TMUX === "1";
const SOCKET = `logseal-tui-test-${process.pid}`;
const tmux = (...args: string[]) =>
  execFileSync("tmux", ["-L", SOCKET, "-f", "/dev/null", ...args], { encoding: "utf8" });

let s: Awaited<ReturnType<typeof makeStore>>;

async function until<T>(
  read: () => T,
  check: (v: T) => boolean,
  what: string,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last = read();
  while (!check(last)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last:\n${String(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = read();
  }
  return last;
}

const screen = (t: string) => tmux("capture-pane", "-p", "-t", t);
/** The pane's rows (capture-pane ends with a newline). */
const rows = (v: string) => v.replace(/\n$/, "").split("\n");
const alt = (t: string) => tmux("display-message", "-p", "-t", t, "#{alternate_on}").trim();
/** Whether the pane's terminal is in raw mode (the TUI reads keys): before that, C-c is SIGINT. */
const raw = (t: string) => {
  const tty = tmux("display-message", "-p", "-t", t, "#{pane_tty}").trim();
  return / -icanon /.test(
    ` ${execFileSync("stty", ["-F", tty, "-a"], { encoding: "utf8" }).replace(/\s+/g, " ")} `,
  );
};
const cursor = (t: string) => tmux("display-message", "-p", "-t", t, "#{cursor_flag}").trim();

function stop(name: string): void {
  try {
    tmux("kill-session", "-t", name);
  } catch {}
}

// CI=1 as CI runners set it: Ink draws nothing while CI is set, so the TUI must clear it.
function start(name: string, x: number, y: number, pre = "", nodeArgs = ""): void {
  // After the TUI: its exit code, then whether the terminal is back in cooked mode.
  const after =
    "echo TUI-EXIT=$?; echo TTY: $(stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo); sleep 600";
  const cmd = `printf 'BEFORE-TUI\\n'; ${pre} CI=1 NO_COLOR=1 '${process.execPath}' ${nodeArgs} '${MAIN}' tui --store '${s.store}'; ${after}`;
  tmux("new-session", "-d", "-s", name, "-x", String(x), "-y", String(y), cmd);
}

describe.skipIf(SKIP)("logseal tui in tmux", () => {
  beforeAll(async () => {
    if (!hasTmux()) {
      throw new Error(
        "tmux is not installed: install it (apt-get install -y tmux, as .ci/run does) or set LOGSEAL_SKIP_TMUX=1 to skip this test",
      );
    }
    s = await makeStore(600);
    await s.log.close();
  });
  afterAll(async () => {
    try {
      tmux("kill-server");
    } catch {}
    await s.cleanup();
  });

  it("draws, takes keys, redraws on resize, and q gives the terminal back", async () => {
    start("a", 100, 30);
    try {
      let f = await until(
        () => screen("a"),
        (v) => v.includes("[FOLLOW]") && /^> +599 /m.test(v),
        "the first frame",
      );
      expect(alt("a")).toBe("1");
      const lines = f.split("\n");
      // The frame is at most rows - 1 tall: the last row of the pane stays empty.
      expect(lines[29] ?? "").toBe("");
      expect(f).toContain("logseal ❭ events");
      tmux("send-keys", "-t", "a", "k");
      f = await until(
        () => screen("a"),
        (v) => /^> +598 /m.test(v),
        "k to move up",
      );
      expect(f).toContain("[PAUSED]");
      tmux("send-keys", "-t", "a", "/", "n", "e", "e", "d", "l", "e", "Enter");
      await until(
        () => screen("a"),
        (v) => /\/needle\/ 12 hits/.test(v),
        "the search count",
      );
      tmux("send-keys", "-t", "a", "n");
      await until(
        () => screen("a"),
        (v) => /^> +7 /m.test(v) && v.includes("hit 1 of 12"),
        "n to the first hit",
      );
      tmux("send-keys", "-t", "a", "Enter");
      f = await until(
        () => screen("a"),
        (v) => v.includes("✔ verified"),
        "the detail's proof",
      );
      expect(f).toContain('"id": "ev-7"');
      tmux("resize-window", "-t", "a", "-x", "80", "-y", "24");
      f = await until(
        () => screen("a"),
        (v) => rows(v).length === 24 && v.includes("✔ verified"),
        "the redraw at 80x24",
      );
      expect(rows(f)[23]).toBe("");
      for (const l of f.split("\n")) expect(l.length).toBeLessThanOrEqual(80);
      tmux("send-keys", "-t", "a", "Escape");
      await until(
        () => screen("a"),
        (v) => v.includes("logseal ❭ events"),
        "Esc back to events",
      );
      tmux("send-keys", "-t", "a", "q");
      f = await until(
        () => screen("a"),
        (v) => v.includes("TUI-EXIT="),
        "the exit",
      );
      expect(f).toContain("TUI-EXIT=0");
      expect(f).toContain("BEFORE-TUI");
      expect(f).not.toContain("[PAUSED]");
      expect(alt("a")).toBe("0");
    } finally {
      stop("a");
    }
  });

  it("Ctrl-C and SIGTERM quit and restore the screen too", async () => {
    start("b", 100, 30);
    try {
      await until(
        () => screen("b"),
        (v) => v.includes("[FOLLOW]"),
        "the first frame",
      );
      // Ink draws the first frame before it turns raw mode on (an effect after the commit).
      await until(() => raw("b"), Boolean, "raw mode");
      tmux("send-keys", "-t", "b", "C-c");
      const f = await until(
        () => screen("b"),
        (v) => v.includes("TUI-EXIT="),
        "Ctrl-C's exit",
      );
      expect(f).toContain("TUI-EXIT=0");
      expect(alt("b")).toBe("0");
    } finally {
      stop("b");
    }

    start("c", 100, 30);
    try {
      await until(
        () => screen("c"),
        (v) => v.includes("[FOLLOW]"),
        "the first frame",
      );
      const shell = tmux("display-message", "-p", "-t", "c", "#{pane_pid}").trim();
      const node = execFileSync("ps", ["-o", "pid=", "--ppid", shell], { encoding: "utf8" })
        .trim()
        .split(/\s+/)[0];
      expect(node).toMatch(/^\d+$/);
      process.kill(Number(node), "SIGTERM");
      const g = await until(
        () => screen("c"),
        (v) => v.includes("TUI-EXIT="),
        "SIGTERM's exit",
      );
      expect(g).toContain("TUI-EXIT=143");
      expect(g).not.toContain("[FOLLOW]");
      expect(alt("c")).toBe("0");
    } finally {
      stop("c");
    }
  });

  // A crash from a real exception, injected from outside the product code: a module that
  // Node preloads (--import) makes Date#toISOString throw, which the Events rows call while
  // rendering, or throws from a timer callback, as a failing callback in the data layer would.
  // Each waits for a trigger file, so the crash comes after the first frame.
  it("a crash in render or outside it restores the terminal and says what happened", async () => {
    const preload = join(s.dir, "crash.mjs");
    await writeFile(
      preload,
      `import { existsSync } from "node:fs";
const trigger = process.env.CRASH_TRIGGER;
if (process.env.CRASH_IN === "render") {
  const iso = Date.prototype.toISOString;
  Date.prototype.toISOString = function () {
    if (existsSync(trigger)) throw new Error("a crash in render");
    return iso.call(this);
  };
} else {
  const t = setInterval(() => {
    if (existsSync(trigger)) {
      clearInterval(t);
      throw new Error("a crash outside render");
    }
  }, 50);
  t.unref();
}
`,
    );
    for (const where of ["render", "timer"]) {
      const name = `crash-${where}`;
      const trigger = join(s.dir, `${name}.now`);
      start(name, 100, 30, `CRASH_IN=${where} CRASH_TRIGGER='${trigger}'`, `--import '${preload}'`);
      try {
        await until(
          () => screen(name),
          (v) => v.includes("[FOLLOW]"),
          "the first frame",
        );
        expect(alt(name)).toBe("1");
        await writeFile(trigger, "");
        // The render crash needs a frame: k moves the selection.
        if (where === "render") tmux("send-keys", "-t", name, "k");
        const f = await until(
          () => screen(name),
          (v) => v.includes("TTY:"),
          `the exit after a crash (${where})`,
        );
        expect(f).toContain("TUI-EXIT=3");
        expect(f).toContain(
          `logseal tui: E_INTERNAL: Error: a crash ${where === "render" ? "in" : "outside"} render`,
        );
        expect(f).toContain("BEFORE-TUI");
        expect(f).not.toContain("[FOLLOW]");
        // The terminal is back: main screen, cursor shown, cooked mode with echo.
        expect(alt(name)).toBe("0");
        expect(cursor(name)).toBe("1");
        expect(f).toMatch(/^TTY: icanon echo$/m);
      } finally {
        stop(name);
      }
    }
  });

  it("npm start's demo ends by offering the TUI in a terminal, and not in a pipe", async () => {
    const dir = `${s.dir}/demo-store`;
    tmux(
      "new-session",
      "-d",
      "-s",
      "d",
      "-x",
      "120",
      "-y",
      "50",
      `'${process.execPath}' '${MAIN}' demo --store '${dir}'; echo DEMO-EXIT=$?; sleep 600`,
    );
    try {
      const f = await until(
        () => screen("d"),
        (v) => v.includes("DEMO-EXIT="),
        "the demo",
      );
      expect(f).toContain("DEMO-EXIT=0");
      expect(f).toContain(`npx logseal tui --store ${dir}`);
    } finally {
      stop("d");
    }
    const piped = await logseal(["demo", "--store", dir]);
    expect(piped.code).toBe(0);
    expect(piped.stdout).not.toContain("logseal tui");
  });
});
