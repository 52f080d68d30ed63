import type { Command } from "commander";
import { storeDir } from "../args.js";
import { checkpointRoot } from "../format.js";
import { print, printJson } from "../output.js";
import { run, withLog } from "../run.js";

export function register(program: Command): void {
  program
    .command("checkpoint")
    .description("sign the current tree head, store it, and print the signed note")
    .option("--store <dir>", "store directory")
    .option("--list", "list the stored checkpoints instead of signing one")
    .option("--json", "print JSON")
    .action((opts: { store?: string; json?: boolean; list?: boolean }) =>
      run(opts.json === true, () =>
        withLog(storeDir(opts.store), async (log) => {
          if (opts.list) {
            const all = await log.listCheckpoints();
            if (opts.json) {
              printJson(
                all.map((c) => ({ size: c.size, root: checkpointRoot(c.note), note: c.note })),
              );
            } else if (all.length === 0) {
              print("no checkpoints yet: sign one with 'logseal checkpoint'");
            } else {
              for (const c of all)
                print(`${String(c.size).padStart(10)}  ${checkpointRoot(c.note)}`);
            }
            return undefined;
          }
          const cp = await log.checkpoint();
          if (opts.json) printJson({ size: cp.size, root: checkpointRoot(cp.note), note: cp.note });
          else process.stdout.write(cp.note);
          return undefined;
        }),
      ),
    );
}
