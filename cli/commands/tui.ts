/**
 * `logseal tui`: the terminal UI (tui/). The Ink and React code is imported only when this
 * command runs, so the other commands start without it.
 */
import type { Command } from "commander";
import { LogsealError, parseSoa, parseVkey, VERIFY_MAX_OPEN_FILES } from "../../src/index.js";
import { parseKeys, storeDir } from "../args.js";
import { EXIT_OK } from "../exit-codes.js";
import { printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";
import { readSmallFile } from "./soa.js";

export function register(program: Command): void {
  program
    .command("tui")
    .description("browse, tail and audit the log in the terminal (needs a TTY)")
    .option("--store <dir>", "store directory")
    .option(
      "--key <vkey>",
      "a pinned verifier key for checkpoints and proofs (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      "--soa <file>",
      "the Statement of Applicability the Controls screen shows (applicability, status, gaps)",
    )
    .option("--json", "without a terminal: print the log's summary as JSON instead")
    .action((opts: { store?: string; key: string[]; soa?: string; json?: boolean }, cmd: Command) =>
      run(opts.json === true, async () => {
        const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
        const remote = remoteOptions(cmd);
        const pinned = parseKeys(opts.key, "--key");
        // Checked before anything opens, with or without a terminal: a bad SoA is bad input.
        const soa =
          opts.soa === undefined
            ? undefined
            : parseSoa(await readSmallFile(opts.soa, "--soa", 4 << 20), opts.soa);
        if (!tty && opts.json !== true) {
          throw new LogsealError(
            "E_USAGE",
            "logseal tui needs a terminal (stdin and stdout must be TTYs): run it in one, or use --json for a summary (logseal query and show work without one)",
          );
        }
        // React's production build: (measured, bench:tui) its development build doubles the
        // render time of a frame.
        process.env.NODE_ENV ??= "production";
        if (tty) {
          // Ink reads CI when it loads (is-in-ci) and, when set, draws nothing until the app
          // exits: in a real terminal with CI=1 in the environment (a CI runner's shell, a
          // dev container) the TUI would sit on a blank screen. The terminal is interactive.
          delete process.env.CI;
          delete process.env.CONTINUOUS_INTEGRATION;
        }
        // Loading Ink, React and the screens is CPU work and opening the store mostly I/O on
        // libuv's threads: started first, the two overlap before the first frame.
        const ui = import("../../tui/main.js");
        ui.catch(() => {}); // awaited below; an early failure must not be unhandled
        return withSource(
          storeDir(opts.store),
          remote,
          async (src) => {
            const { sourceFor, runTui } = await ui;
            const source = await sourceFor(src, remote.token);
            const keys =
              pinned.length > 0
                ? { verifiers: pinned, pinned: true }
                : { verifiers: [parseVkey(source.vkey)], pinned: false };
            if (!tty) {
              const latest = await source.latestCheckpoint();
              printJson({
                source: source.kind,
                location: source.label,
                origin: source.origin,
                size: source.size(),
                ...(soa === undefined
                  ? {}
                  : {
                      soa: {
                        file: opts.soa,
                        applicable: soa.controls.filter((c) => c.applicable).length,
                        excluded: soa.controls.filter((c) => !c.applicable).length,
                      },
                    }),
                checkpoint: latest ?? null,
              });
              await source.close();
              return EXIT_OK;
            }
            return runTui(source, keys, soa);
          },
          // Bounded memory whatever the store's size: the verify screen reads every bundle.
          { maxOpenFiles: VERIFY_MAX_OPEN_FILES },
        );
      }),
    );
}
