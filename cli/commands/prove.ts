import type { Command } from "commander";
import {
  type ConsistencyProofJSON,
  consistencyProofToJSON,
  type InclusionProofJSON,
  inclusionProofToJSON,
  LogsealError,
  proveConsistencyFrom,
  proveInclusionFrom,
  TilesReader,
} from "../../src/index.js";
import { parseIndex, storeDir } from "../args.js";
import { print, printJson } from "../output.js";
import { type RemoteOptions, remoteOptions, run, withSource } from "../run.js";

const TILES_HELP =
  "prove from a C2SP tlog-tiles log instead: a directory or an http(s):// prefix (its latest checkpoint)";

/**
 * Runs `fromTiles` on the tiles log `tiles` when given (a directory or a URL: any tlog-tiles
 * log), or else `fromSource` on the store or the server that holds it.
 */
async function proveVia<T>(
  opts: { store?: string; tiles?: string },
  remote: RemoteOptions,
  fromTiles: (reader: TilesReader) => Promise<T>,
  fromSource: Parameters<typeof withSource<T>>[2],
): Promise<T> {
  if (opts.tiles === undefined) return withSource(storeDir(opts.store), remote, fromSource);
  if (opts.store !== undefined || remote.server !== undefined) {
    throw new LogsealError(
      "E_USAGE",
      "--tiles names the log: give it without --store and --server",
    );
  }
  const token =
    TilesReader.isUrl(opts.tiles) && remote.token !== undefined ? { token: remote.token } : {};
  return fromTiles(await TilesReader.open(opts.tiles, token));
}

export function register(program: Command): void {
  const prove = program
    .command("prove")
    .description("print inclusion and consistency proofs against stored checkpoints");
  prove
    .command("inclusion")
    .description("prove that entry INDEX is in the tree of a stored checkpoint")
    .argument("<index>", "entry index (0-based)")
    .option("--store <dir>", "store directory")
    .option("--tiles <dir|url>", TILES_HELP)
    .option("--size <n>", "the checkpoint's tree size (default: the latest checkpoint)")
    .option("--json", 'print {"index","size","leafHash","proof","checkpoint"}')
    .action(
      (
        indexArg: string,
        opts: { store?: string; tiles?: string; size?: string; json?: boolean },
        cmd: Command,
      ) =>
        run(opts.json === true, async () => {
          const index = parseIndex(indexArg, "INDEX");
          const size = opts.size === undefined ? undefined : parseIndex(opts.size, "--size");
          const p: InclusionProofJSON = await proveVia(
            opts,
            remoteOptions(cmd),
            async (tiles) => inclusionProofToJSON(await proveInclusionFrom(tiles, index, size)),
            async (src) =>
              src.log
                ? inclusionProofToJSON(await src.log.proveInclusion(index, size))
                : src.client.proveInclusion(index, size),
          );
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
        }),
    );
  prove
    .command("consistency")
    .description("prove that the tree of size FROM is a prefix of the tree of size TO")
    .argument("<from>", "the earlier tree size")
    .argument("[to]", "the later tree size, with a stored checkpoint (default: the latest)")
    .option("--store <dir>", "store directory")
    .option("--tiles <dir|url>", TILES_HELP)
    .option("--json", 'print {"from","to","fromRoot","toRoot","proof","checkpoint"}')
    .action(
      (
        fromArg: string,
        toArg: string | undefined,
        opts: { store?: string; tiles?: string; json?: boolean },
        cmd: Command,
      ) =>
        run(opts.json === true, async () => {
          const from = parseIndex(fromArg, "FROM");
          const to = toArg === undefined ? undefined : parseIndex(toArg, "TO");
          const p: ConsistencyProofJSON = await proveVia(
            opts,
            remoteOptions(cmd),
            async (tiles) => consistencyProofToJSON(await proveConsistencyFrom(tiles, from, to)),
            async (src) =>
              src.log
                ? consistencyProofToJSON(await src.log.proveConsistency(from, to))
                : src.client.proveConsistency(from, to),
          );
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
        }),
    );
}
