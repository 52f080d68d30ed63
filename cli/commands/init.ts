import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import {
  CONTROLS_POLICY_FILE,
  DEFAULT_CONTROLS_POLICY,
  init,
  LogsealError,
  type PrivacyInit,
  parseControlsPolicy,
} from "../../src/index.js";
import { storeDir } from "../args.js";
import { bold, print, printJson } from "../output.js";
import { run } from "../run.js";
import { vaultKeySource } from "../vault.js";

export function register(program: Command): void {
  program
    .command("init")
    .description("create a store and its Ed25519 signer; print the verifier key")
    .option("--store <dir>", "store directory (default ./.logseal or $LOGSEAL_STORE)")
    .requiredOption("--origin <origin>", "the log's origin, e.g. example.com/logseal/ml-audit")
    .option("--signer <file>", "use this existing signer key (skey) instead of generating one")
    .option(
      "--privacy-policy <file>",
      "mask events with this policy (formats/privacy-policy.md) instead of the default",
    )
    .option(
      "--encrypt",
      "encrypt entry bundles at rest (needs LOGSEAL_VAULT_PASSPHRASE or --vault-key FILE)",
    )
    .option(
      "--controls-policy <file>",
      "map actions to Annex A controls with this policy (formats/controls-policy.md) instead of the default",
    )
    .option("--json", "print {origin, vkey, store, vault, encrypted} as JSON")
    .action((opts: InitOpts) =>
      run(opts.json === true, async () => {
        const dir = storeDir(opts.store);
        const skey = opts.signer === undefined ? undefined : await readSigner(opts.signer);
        const privacy: PrivacyInit = {};
        const source = vaultKeySource();
        if (source !== undefined) privacy.vaultKey = source;
        if (opts.encrypt === true) privacy.encrypt = true;
        if (opts.privacyPolicy !== undefined) {
          privacy.policy = { text: await readText(opts.privacyPolicy), file: opts.privacyPolicy };
        }
        const controlsPolicy =
          opts.controlsPolicy === undefined
            ? DEFAULT_CONTROLS_POLICY
            : parseControlsPolicy(await readText(opts.controlsPolicy), opts.controlsPolicy);
        const log = await init(dir, {
          origin: opts.origin,
          ...(skey ? { skey } : {}),
          privacy,
          controlsPolicy,
        });
        try {
          const vault =
            source === undefined
              ? { key: "file", file: join(dir, "vault.key") }
              : "passphrase" in source
                ? { key: "passphrase" }
                : { key: "file", file: source.keyFile };
          if (opts.json) {
            printJson({
              origin: log.origin,
              vkey: log.vkey,
              store: dir,
              vault,
              encrypted: log.store.encrypted,
              policy: opts.privacyPolicy ?? "default",
              controlsPolicy: opts.controlsPolicy ?? "default",
            });
          } else {
            print(`created store ${dir} for origin ${log.origin}`);
            print(`signing key: ${log.signerFile} (mode 0600; keep it secret, never export it)`);
            if (source === undefined) {
              print(
                `vault key: ${vault.file} (mode 0600; whoever holds it can reveal masked values: move it off this machine and pass --vault-key)`,
              );
            } else {
              print(
                `vault key: ${"passphrase" in source ? "from LOGSEAL_VAULT_PASSPHRASE" : source.keyFile}`,
              );
            }
            print(
              `privacy policy: ${opts.privacyPolicy ?? "default (detect and mask inside details)"}${log.store.encrypted ? "; entry bundles encrypted at rest" : ""}`,
            );
            print(
              `controls policy: ${join(dir, CONTROLS_POLICY_FILE)} (${opts.controlsPolicy === undefined ? "logseal's default for AI data work" : `from ${opts.controlsPolicy}`})`,
            );
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

interface InitOpts {
  store?: string;
  origin: string;
  signer?: string;
  json?: boolean;
  privacyPolicy?: string;
  controlsPolicy?: string;
  encrypt?: boolean;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new LogsealError("E_IO", `cannot read ${file}: ${(e as Error).message}`, {
      location: { file },
      cause: e,
    });
  }
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
