import type { Command } from "commander";
import {
  type Direction,
  type LineageGraph,
  type LineageProofs,
  LogsealError,
  lineage,
  lineageProofs,
  lineageToDot,
  lineageToJSON,
  lineageToProv,
  lineageToTree,
} from "../../src/index.js";
import { parseIndex, storeDir } from "../args.js";
import { note, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

interface Options {
  store?: string;
  up?: boolean;
  down?: boolean;
  both?: boolean;
  depth?: string;
  asOf?: string;
  json?: boolean;
  dot?: boolean;
  tree?: boolean;
  prov?: boolean;
  proofs?: boolean;
}

/** The one flag of a group that was given, or the default; two of them is a usage error. */
function oneOf<K extends string>(opts: Partial<Record<K, boolean>>, keys: K[], fallback: K): K {
  const given = keys.filter((k) => opts[k] === true);
  if (given.length > 1) {
    throw new LogsealError(
      "E_USAGE",
      `choose one of ${keys.map((k) => `--${k}`).join(", ")}; got ${given.map((k) => `--${k}`).join(" and ")}`,
    );
  }
  return given[0] ?? fallback;
}

export function register(program: Command): void {
  program
    .command("lineage")
    .description(
      "print the lineage graph of ASSET: what it was derived from (--up), what was derived from it (--down), or both",
    )
    .argument("<asset>", "an asset reference, such as model:churn@v7")
    .option("--store <dir>", "store directory")
    .option("--up", "what ASSET was derived from, transitively (the default)")
    .option("--down", "what was derived from ASSET, transitively")
    .option("--both", "upstream and downstream")
    .option("--depth <n>", "follow at most N edges from ASSET (default 20)")
    .option("--as-of <size>", "answer as the log was at this size")
    .option("--json", "print the graph as JSON: nodes, and edges with the entry that created each")
    .option("--dot", "print Graphviz DOT")
    .option("--tree", "print an indented tree (the default)")
    .option("--prov", "print W3C PROV-JSON")
    .option(
      "--proofs",
      "add each cited entry's leaf and inclusion proof against the checkpoint of the --as-of size (default: the latest checkpoint), to check offline; with --json or --prov",
    )
    .action((asset: string, opts: Options, cmd: Command) =>
      run(opts.json === true || opts.prov === true, async () => {
        const dir = oneOf(opts, ["up", "down", "both"], "up");
        const direction: Direction = dir;
        const format = oneOf(opts, ["json", "dot", "tree", "prov"], "tree");
        if (opts.proofs && format !== "json" && format !== "prov") {
          throw new LogsealError("E_USAGE", "--proofs goes with --json or --prov");
        }
        const depth = opts.depth === undefined ? undefined : parseIndex(opts.depth, "--depth");
        let asOf = opts.asOf === undefined ? undefined : parseIndex(opts.asOf, "--as-of");
        return withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
          const show = (graph: LineageGraph, proofs: LineageProofs | undefined) => {
            if (format === "json") printJson(lineageToJSON(graph, proofs));
            else if (format === "prov") printJson(lineageToProv(graph, proofs));
            else if (format === "dot") process.stdout.write(lineageToDot(graph));
            else process.stdout.write(lineageToTree(graph));
            return undefined;
          };
          const options = () => ({
            direction,
            ...(depth === undefined ? {} : { depth }),
            ...(asOf === undefined ? {} : { asOf }),
          });
          if (src.client) {
            // The server answers as of its latest checkpoint when proofs are asked without a size.
            const { proofs, ...graph } = await src.client.lineage(asset, {
              ...options(),
              ...(opts.proofs ? { proofs: true } : {}),
            });
            return show(graph, proofs);
          }
          const log = src.log;
          if (opts.proofs && asOf === undefined) {
            const cp = await log.latestCheckpoint();
            if (cp === undefined) {
              throw new LogsealError(
                "E_NO_CHECKPOINT",
                `no checkpoint has been signed yet, so there is nothing to prove against: run 'logseal checkpoint --store ${log.dir}'`,
              );
            }
            asOf = cp.size;
            if (cp.size < log.size) {
              note(
                `logseal: answering as of the latest checkpoint (size ${cp.size} of ${log.size}), which the proofs lead to`,
              );
            }
          }
          const graph = await lineage(log.store, asset, options());
          const proofs = opts.proofs ? await lineageProofs(log, graph) : undefined;
          return show(graph, proofs);
        });
      }),
    );
}
