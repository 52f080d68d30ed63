import type { Command } from "commander";
import { init } from "../../src/index.js";
import { storeDir } from "../args.js";
import { bold, print, printJson } from "../output.js";
import { run } from "../run.js";

export function register(program: Command): void {
  program
    .command("init")
    .description("create a store and its Ed25519 signer; print the verifier key")
    .option("--store <dir>", "store directory (default ./.logseal or $LOGSEAL_STORE)")
    .requiredOption("--origin <origin>", "the log's origin, e.g. example.com/logseal/ml-audit")
    .option("--json", "print {origin, vkey, store} as JSON")
    .action((opts: { store?: string; origin: string; json?: boolean }) =>
      run(opts.json === true, async () => {
        const dir = storeDir(opts.store);
        const log = await init(dir, { origin: opts.origin });
        try {
          if (opts.json) {
            printJson({ origin: log.origin, vkey: log.vkey, store: dir });
          } else {
            print(`created store ${dir} for origin ${log.origin}`);
            print(`signing key: ${log.signerFile} (mode 0600; keep it secret, never export it)`);
            print("verifier key (give it to auditors; they pin it with --key):");
            print(bold(log.vkey));
          }
        } finally {
          await log.close();
        }
        return undefined;
      }),
    );
}
