import type { Command } from "commander";
import { exportTiles, LogsealError } from "../../src/index.js";
import { storeDir } from "../args.js";
import { plural } from "../format.js";
import { print, printJson } from "../output.js";
import { run, withLog } from "../run.js";

export function register(program: Command): void {
  program
    .command("export")
    .description("write the C2SP tlog-tiles layout for the latest checkpoint")
    .option("--store <dir>", "store directory")
    .requiredOption("--tiles <dir>", "output directory (checkpoint, tile/<L>/…, tile/entries/…)")
    .option("--json", "print {size, files, bytes, dir} as JSON")
    .action((opts: { store?: string; tiles: string; json?: boolean }) =>
      run(opts.json === true, () =>
        withLog(storeDir(opts.store), async (log) => {
          const cp = await log.latestCheckpoint();
          if (cp === undefined) {
            throw new LogsealError(
              "E_NO_CHECKPOINT",
              "nothing to export: sign a checkpoint first with 'logseal checkpoint'",
            );
          }
          const r = await exportTiles(log.store, cp, opts.tiles);
          if (opts.json) printJson({ ...r, dir: opts.tiles });
          else
            print(
              `exported the tree of size ${r.size} to ${opts.tiles}: ${plural(r.files, "file")}, ${r.bytes} bytes`,
            );
          return undefined;
        }),
      ),
    );
}
