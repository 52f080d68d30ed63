import type { Command } from "commander";
import { leafHash, toBase64 } from "../../src/index.js";
import { parseIndex, storeDir } from "../args.js";
import { out, print, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

export function register(program: Command): void {
  program
    .command("show")
    .description("print the event at INDEX")
    .argument("<index>", "entry index (0-based)")
    .option("--store <dir>", "store directory")
    .option(
      "--json",
      'print {"index","leafHash","leaf","event"}; leaf is base64 of the exact leaf bytes',
    )
    .action((indexArg: string, opts: { store?: string; json?: boolean }, cmd: Command) =>
      run(opts.json === true, async () => {
        const index = parseIndex(indexArg, "INDEX");
        return withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
          const entry = src.log ? await src.log.get(index) : await src.client.entry(index);
          const hash = toBase64(leafHash(entry.leaf));
          if (opts.json) {
            printJson({ index, leafHash: hash, leaf: toBase64(entry.leaf), event: entry.event });
          } else {
            const e = entry.event;
            print(
              out.bold(`entry ${index}`) +
                out.dim(`  leaf hash ${hash}, ${entry.leaf.length} bytes`),
            );
            print(
              `${new Date(e.ts).toISOString()}  ${e.actor.id}  ${e.action}  ${e.outcome}${e.asset ? `  ${e.asset}` : ""}`,
            );
            print(JSON.stringify(e, null, 2));
          }
          return undefined;
        });
      }),
    );
}
