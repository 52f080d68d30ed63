import type { Command } from "commander";
import { consistencyProofToJSON, inclusionProofToJSON } from "../../src/index.js";
import { parseIndex, storeDir } from "../args.js";
import { print, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

export function register(program: Command): void {
  const prove = program
    .command("prove")
    .description("print inclusion and consistency proofs against stored checkpoints");
  prove
    .command("inclusion")
    .description("prove that entry INDEX is in the tree of a stored checkpoint")
    .argument("<index>", "entry index (0-based)")
    .option("--store <dir>", "store directory")
    .option("--size <n>", "the checkpoint's tree size (default: the latest checkpoint)")
    .option("--json", 'print {"index","size","leafHash","proof","checkpoint"}')
    .action(
      (indexArg: string, opts: { store?: string; size?: string; json?: boolean }, cmd: Command) =>
        run(opts.json === true, async () => {
          const index = parseIndex(indexArg, "INDEX");
          const size = opts.size === undefined ? undefined : parseIndex(opts.size, "--size");
          return withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
            const p = src.log
              ? inclusionProofToJSON(await src.log.proveInclusion(index, size))
              : await src.client.proveInclusion(index, size);
            if (opts.json) printJson(p);
            else {
              print(`entry ${p.index} is in the tree of size ${p.size}`);
              print(`leaf hash ${p.leafHash}`);
              print(`proof (${p.proof.length} hashes, leaf level upward):`);
              for (const h of p.proof) print(`  ${h}`);
              print("checkpoint:");
              process.stdout.write(p.checkpoint);
            }
            return undefined;
          });
        }),
    );
  prove
    .command("consistency")
    .description("prove that the tree of size FROM is a prefix of the tree of size TO")
    .argument("<from>", "the earlier tree size")
    .argument("[to]", "the later tree size, with a stored checkpoint (default: the latest)")
    .option("--store <dir>", "store directory")
    .option("--json", 'print {"from","to","fromRoot","toRoot","proof","checkpoint"}')
    .action(
      (
        fromArg: string,
        toArg: string | undefined,
        opts: { store?: string; json?: boolean },
        cmd: Command,
      ) =>
        run(opts.json === true, async () => {
          const from = parseIndex(fromArg, "FROM");
          const to = toArg === undefined ? undefined : parseIndex(toArg, "TO");
          return withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
            const p = src.log
              ? consistencyProofToJSON(await src.log.proveConsistency(from, to))
              : await src.client.proveConsistency(from, to);
            if (opts.json) printJson(p);
            else {
              print(`the tree of size ${p.from} (root ${p.fromRoot})`);
              print(`is a prefix of the tree of size ${p.to} (root ${p.toRoot})`);
              print(`proof (${p.proof.length} hashes):`);
              for (const h of p.proof) print(`  ${h}`);
              print("checkpoint:");
              process.stdout.write(p.checkpoint);
            }
            return undefined;
          });
        }),
    );
}
