import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { exportBundle, exportTiles, LogsealError } from "../../src/index.js";
import { storeDir } from "../args.js";
import { plural } from "../format.js";
import { print, printJson } from "../output.js";
import { run, withLog } from "../run.js";

interface Options {
  store?: string;
  tiles?: string;
  bundle?: string;
  control?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("export")
    .description(
      "write the C2SP tlog-tiles layout (--tiles) or an evidence bundle for an auditor (--bundle), for the latest checkpoint",
    )
    .option("--store <dir>", "store directory")
    .option("--tiles <dir>", "output directory (checkpoint, tile/<L>/…, tile/entries/…)")
    .option("--bundle <file>", "an evidence bundle: events, proofs, checkpoint, keys, sealed")
    .option("--control <id>", "bundle: only events evidencing this Annex A control (A.8.11)")
    .option("--from <time>", "bundle: events with ts at or after (ISO 8601, or relative -30d)")
    .option("--to <time>", "bundle: events with ts before")
    .option("--json", "print the result as JSON")
    .action((opts: Options) =>
      run(opts.json === true, () => {
        if ((opts.tiles === undefined) === (opts.bundle === undefined)) {
          throw new LogsealError("E_USAGE", "give one of --tiles DIR and --bundle FILE");
        }
        if (opts.tiles !== undefined && (opts.control ?? opts.from ?? opts.to) !== undefined) {
          throw new LogsealError(
            "E_USAGE",
            "--control, --from and --to select a --bundle's events; a tiles export holds the whole log",
          );
        }
        return withLog(storeDir(opts.store), async (log) => {
          if (opts.bundle !== undefined) return bundle(log, opts, opts.bundle);
          const tiles = opts.tiles as string;
          const cp = await log.latestCheckpoint();
          if (cp === undefined) {
            throw new LogsealError(
              "E_NO_CHECKPOINT",
              "nothing to export: sign a checkpoint first with 'logseal checkpoint'",
            );
          }
          const r = await exportTiles(log.store, cp, tiles);
          if (opts.json) printJson({ ...r, dir: tiles });
          else
            print(
              `exported the tree of size ${r.size} to ${tiles}: ${plural(r.files, "file")}, ${r.bytes} bytes`,
            );
          return undefined;
        });
      }),
    );
}

async function bundle(log: Parameters<typeof exportBundle>[0], opts: Options, file: string) {
  const { bytes, manifest } = await exportBundle(log, {
    ...(opts.control === undefined ? {} : { control: opts.control }),
    ...(opts.from === undefined ? {} : { from: opts.from }),
    ...(opts.to === undefined ? {} : { to: opts.to }),
  });
  try {
    await writeFile(file, bytes);
  } catch (e) {
    throw new LogsealError("E_IO", `cannot write ${file}: ${(e as Error).message}`, {
      location: { file },
    });
  }
  if (opts.json) printJson({ file, bytes: bytes.length, manifest });
  else {
    const what =
      manifest.selection.control === null
        ? "events"
        : `events evidencing ${manifest.selection.control}`;
    print(
      `wrote ${file}: ${plural(manifest.entries, "entry", "entries")} (${what}) with inclusion proofs against the checkpoint of size ${manifest.size}, ${bytes.length} bytes, sealed by ${log.origin}`,
    );
    print(`check it offline: logseal verify --bundle ${file} --key VKEY`);
  }
  return undefined;
}
