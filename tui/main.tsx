/**
 * `logseal tui`: starts Ink on the alternate screen and gives the terminal back on every way
 * out (q, Ctrl-C, SIGTERM, SIGHUP, an uncaught error). Loaded lazily by cli/commands/tui.ts,
 * so other commands never load React.
 */
import { render, useStdout } from "ink";
import { useEffect, useState } from "react";
import type { Log, LogClient, Soa } from "../src/index.js";
import { App } from "./app.js";
import type { Keys } from "./context.js";
import { LocalSource } from "./data/local.js";
import { ServerSource } from "./data/server.js";
import type { DataSource } from "./data/source.js";
import { frameFlusher, loadFrameFlusher } from "./frames.js";

/**
 * How `logseal tui` renders (the benchmark uses the same). Ctrl-C goes through the app's own
 * quit path, console output would tear the frame.
 */
export const INK_OPTIONS = {
  exitOnCtrlC: false,
  patchConsole: false,
  // Ink's frame throttle: at its default of 30 frames a second a key that lands just after a
  // follow tick's frame waits up to 33 ms for its own. At 60 (measured, bench:tui --server,
  // 1M events, 5,000 appends/s, load 1.1–1.5): key to frame p95 15.9, 20.3 and 32.2 ms in
  // three runs against 48.8 at 30, with 18–30% of a core either way (follow ticks are capped
  // at 4 a second and a key draws one frame, so the frame count does not grow).
  maxFps: 60,
} as const;

const ENTER_ALT = "\x1b[?1049h\x1b[H";
const LEAVE_ALT = "\x1b[?1049l\x1b[?25h";

/** The data source for what the CLI opened: the store itself, or the server holding it. */
export { TilesSource } from "./data/tiles.js";

export async function sourceFor(
  src: { log: Log; client?: undefined } | { log?: undefined; client: LogClient },
  token: string | undefined,
): Promise<DataSource> {
  return src.log !== undefined
    ? new LocalSource(src.log, { owned: false })
    : ServerSource.connect(src.client, token);
}

/**
 * Reads the rows the first frame shows (the tail) before it is drawn: the first frame then has
 * them, instead of a frame of placeholders, a read and a second frame.
 */
export async function readTail(source: DataSource, rows: number): Promise<void> {
  const size = source.size();
  if (size > 0) await source.rows(Math.max(0, size - rows), rows).catch(() => {});
}

/** The terminal's size, redrawn on resize (Ink 6's useStdout does not re-render on resize). */
function useTermSize(): { rows: number; columns: number } {
  const { stdout } = useStdout();
  const read = () => ({ rows: stdout.rows || 24, columns: stdout.columns || 80 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const on = () => {
      // Terminals keep the bottom of the screen when they shrink, so the next frame would
      // start lower than row 1 (seen in tmux at 100x30 -> 80x24): clear and home first.
      stdout.write("\x1b[2J\x1b[H");
      setSize(read());
    };
    stdout.on("resize", on);
    return () => {
      stdout.off("resize", on);
    };
  });
  return size;
}

function Root(props: {
  source: DataSource;
  keys: Keys;
  color: boolean;
  soa?: Soa | undefined;
  onKey: () => void;
}) {
  const size = useTermSize();
  return (
    <App
      source={props.source}
      keys={props.keys}
      size={size}
      color={props.color}
      soa={props.soa}
      onKey={props.onKey}
    />
  );
}

/** Runs the TUI until the user quits; resolves with the exit code. */
export async function runTui(source: DataSource, keys: Keys, soa?: Soa): Promise<number> {
  const out = process.stdout;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    out.write(LEAVE_ALT);
  };
  const onSignal = (sig: NodeJS.Signals) => {
    restore();
    process.exit(sig === "SIGTERM" ? 143 : sig === "SIGINT" ? 130 : 129);
  };
  // A crash: the terminal first (the message must land on the normal screen, not on the
  // alternate one that is about to vanish), then the error with its stack for a bug report.
  const report = (e: unknown) => {
    restore();
    process.stderr.write(`logseal tui: E_INTERNAL: ${(e as Error)?.stack ?? String(e)}\n`);
  };
  // Outside render (a data-layer callback, a timer): Node would exit without the handlers.
  const onCrash = (e: unknown) => {
    report(e);
    process.exit(3);
  };
  process.on("exit", restore);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  // Ctrl-C before Ink turns raw mode on (the first frame is drawn just before) is a SIGINT.
  process.on("SIGINT", onSignal);
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  out.write(ENTER_ALT);
  const color = process.env.NO_COLOR === undefined || process.env.NO_COLOR === "";
  let code = 0;
  await Promise.all([loadFrameFlusher(), readTail(source, out.rows || 24)]);
  // Set once Ink's instance exists (render creates it); keys before that draw unthrottled.
  let flush = () => {};
  try {
    const ink = render(
      <Root source={source} keys={keys} color={color} soa={soa} onKey={() => flush()} />,
      INK_OPTIONS,
    );
    flush = frameFlusher(out);
    try {
      await ink.waitUntilExit();
    } catch (e) {
      // In render: Ink's error boundary unmounts the app and rejects waitUntilExit.
      report(e);
      code = 3;
    }
    ink.cleanup();
  } finally {
    restore();
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
    process.off("SIGINT", onSignal);
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
    await source.close();
  }
  return code;
}
