import type { Command } from "commander";
import { INDEX_FORMAT, reindex } from "../../src/index.js";
import { storeDir } from "../args.js";
import { print } from "../output.js";
import { run, withLog } from "../run.js";

export function register(program: Command): void {
  program
    .command("reindex")
    .description(
      "rebuild the lineage and query indexes and the asset inventory from every entry (for stores written before they existed)",
    )
    .option("--store <dir>", "store directory")
    .action((opts: { store?: string }) =>
      run(false, () =>
        withLog(storeDir(opts.store), async (log) => {
          const tty = process.stderr.isTTY === true;
          const t = performance.now();
          const r = await reindex(log, {
            onProgress: (done, total) => {
              if (tty) process.stderr.write(`\rindexing ${done}/${total}\x1b[K`);
            },
          });
          if (tty) process.stderr.write("\r\x1b[K");
          const s = ((performance.now() - t) / 1000).toFixed(1);
          print(
            `indexed ${r.to} ${r.to === 1 ? "entry" : "entries"} naming ${r.assets} ${r.assets === 1 ? "asset" : "assets"} (${INDEX_FORMAT})`,
          );
          print(`took ${s} s`);
          return undefined;
        }),
      ),
    );
}
