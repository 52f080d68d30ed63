import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import {
  CONTROLS_POLICY_FILE,
  type ControlsPolicy,
  DEFAULT_CONTROLS_POLICY,
  init,
  LogsealError,
  parseControlsPolicy,
} from "../../src/index.js";
import { storeDir } from "../args.js";
import { bold, print, printJson } from "../output.js";
import { run } from "../run.js";

export function register(program: Command): void {
  program
    .command("init")
    .description("create a store and its Ed25519 signer; print the verifier key")
    .option("--store <dir>", "store directory (default ./.logseal or $LOGSEAL_STORE)")
    .requiredOption("--origin <origin>", "the log's origin, e.g. example.com/logseal/ml-audit")
    .option("--signer <file>", "use this existing signer key (skey) instead of generating one")
    .option(
      "--controls-policy <file>",
      "map actions to Annex A controls with this policy (formats/controls-policy.md) instead of the default",
    )
    .option("--json", "print {origin, vkey, store} as JSON")
    .action(
      (opts: {
        store?: string;
        origin: string;
        signer?: string;
        controlsPolicy?: string;
        json?: boolean;
      }) =>
        run(opts.json === true, async () => {
          const dir = storeDir(opts.store);
          const skey = opts.signer === undefined ? undefined : await readSigner(opts.signer);
          const controlsPolicy =
            opts.controlsPolicy === undefined
              ? DEFAULT_CONTROLS_POLICY
              : await readPolicy(opts.controlsPolicy);
          const log = await init(dir, {
            origin: opts.origin,
            ...(skey ? { skey } : {}),
            controlsPolicy,
          });
          try {
            if (opts.json) {
              printJson({
                origin: log.origin,
                vkey: log.vkey,
                store: dir,
                controlsPolicy: controlsPolicy.description ?? "",
              });
            } else {
              print(`created store ${dir} for origin ${log.origin}`);
              print(`signing key: ${log.signerFile} (mode 0600; keep it secret, never export it)`);
              print("verifier key (give it to auditors; they pin it with --key):");
              print(bold(log.vkey));
              print(
                `controls policy: ${join(dir, CONTROLS_POLICY_FILE)} (${opts.controlsPolicy === undefined ? "logseal's default for AI data work" : `from ${opts.controlsPolicy}`})`,
              );
            }
          } finally {
            await log.close();
          }
          return undefined;
        }),
    );
}

async function readSigner(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (e) {
    throw new LogsealError("E_IO", `cannot read the signer key ${file}: ${(e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
}

async function readPolicy(file: string): Promise<ControlsPolicy> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new LogsealError(
      "E_IO",
      `cannot read the controls policy ${file}: ${(e as Error).message}`,
      {
        location: { file },
        cause: e,
      },
    );
  }
  return parseControlsPolicy(text, file);
}
