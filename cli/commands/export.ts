import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  exportBundle,
  exportTiles,
  type LogReader,
  LogsealError,
  type StoredCheckpoint,
  TilesReader,
} from "../../src/index.js";
import { storeDir } from "../args.js";
import { plural } from "../format.js";
import { print, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

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
    .action((opts: Options, cmd: Command) =>
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
        const remote = remoteOptions(cmd);
        return withSource(storeDir(opts.store), remote, async (src) => {
          if (opts.bundle !== undefined) {
            if (src.log === undefined) {
              throw new LogsealError(
                "E_USAGE",
                "an evidence bundle is built from the store itself, which a server holds: export it where the store is not served, or read the evidence through the server with 'logseal evidence'",
              );
            }
            return bundle(src.log, opts, opts.bundle);
          }
          const tiles = opts.tiles as string;
          const nothing = () =>
            new LogsealError(
              "E_NO_CHECKPOINT",
              "nothing to export: sign a checkpoint first with 'logseal checkpoint'",
            );
          if (src.log !== undefined) {
            const cp = await src.log.latestCheckpoint();
            if (cp === undefined) throw nothing();
            return tilesTo(src.log.store, cp, tiles, opts.json === true);
          }
          // Through a server: its tlog-tiles API serves exactly what this export writes for its
          // latest checkpoint (404 before the first one), so the directory mirrors it.
          let reader: TilesReader;
          try {
            reader = await TilesReader.open(
              src.client.url,
              remote.token === undefined ? {} : { token: remote.token },
            );
          } catch (e) {
            if (e instanceof LogsealError && e.code === "E_STORE_MISSING") throw nothing();
            throw e;
          }
          const cp = (await reader.latestCheckpoint()) as StoredCheckpoint;
          return tilesTo(reader, cp, tiles, opts.json === true);
        });
      }),
    );
}

async function tilesTo(
  reader: LogReader,
  cp: StoredCheckpoint,
  dir: string,
  json: boolean,
): Promise<undefined> {
  const r = await exportTiles(reader, cp, dir);
  if (json) printJson({ ...r, dir });
  else
    print(
      `exported the tree of size ${r.size} to ${dir}: ${plural(r.files, "file")}, ${r.bytes} bytes`,
    );
  return undefined;
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
