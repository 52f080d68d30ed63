import type { Command } from "commander";
import { storeDir } from "../args.js";
import { checkpointRoot } from "../format.js";
import { print, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

export function register(program: Command): void {
  program
    .command("checkpoint")
    .description("sign the current tree head, store it, and print the signed note")
    .option("--store <dir>", "store directory")
    .option("--list", "list the stored checkpoints instead of signing one")
    .option("--json", "print JSON")
    .action((opts: { store?: string; json?: boolean; list?: boolean }, cmd: Command) =>
      run(opts.json === true, () =>
        withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
          if (opts.list) {
            const all = src.log
              ? await src.log.listCheckpoints()
              : await src.client.listCheckpoints();
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
          const cp = src.log ? await src.log.checkpoint() : await src.client.checkpoint();
          if (opts.json) printJson({ size: cp.size, root: checkpointRoot(cp.note), note: cp.note });
          else process.stdout.write(cp.note);
          return undefined;
        }),
      ),
    );
}
