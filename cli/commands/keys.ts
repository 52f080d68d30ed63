import type { Command } from "commander";
import { storeDir } from "../args.js";
import { print, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

export function register(program: Command): void {
  const keys = program.command("keys").description("show the log's keys");
  keys
    .command("show")
    .description("print the verifier key (vkey) of the log")
    .option("--store <dir>", "store directory")
    .option("--json", "print {origin, vkey} as JSON")
    .action((opts: { store?: string; json?: boolean }, cmd: Command) =>
      run(opts.json === true, () =>
        withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
          const log = src.log ?? (await src.client.info());
          if (opts.json) printJson({ origin: log.origin, vkey: log.vkey });
          else print(log.vkey);
          return undefined;
        }),
      ),
    );
}
