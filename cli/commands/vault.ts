import type { Command } from "commander";
import { LogsealError, rotateVaultKey, type VaultKeySource } from "../../src/index.js";
import { storeDir } from "../args.js";
import { print, printJson } from "../output.js";
import { run } from "../run.js";
import { vaultKeySource } from "../vault.js";

export function register(program: Command): void {
  const vault = program
    .command("vault")
    .description("manage the vault that keeps the masked values (formats/storage.md)");
  vault
    .command("rotate")
    .description(
      "re-seal the vault under a new key (old key: --vault-key, LOGSEAL_VAULT_KEY or LOGSEAL_VAULT_PASSPHRASE, else <store>/vault.key; new key: --new-vault-key FILE or LOGSEAL_NEW_VAULT_PASSPHRASE); the log is unchanged",
    )
    .option("--store <dir>", "store directory")
    .option(
      "--new-vault-key <file>",
      "the new key file (created with a new key, mode 0600, if it does not exist)",
    )
    .option("--json", "print the report as JSON")
    .action((opts: { store?: string; newVaultKey?: string; json?: boolean }) =>
      run(opts.json === true, async () => {
        const to = newKeySource(opts.newVaultKey);
        const dir = storeDir(opts.store);
        const r = await rotateVaultKey(dir, vaultKeySource(), to);
        if (opts.json) {
          printJson(r);
          return undefined;
        }
        print(
          `rotated the vault key of ${dir}: now ${r.kdf === "scrypt" ? "a passphrase (LOGSEAL_VAULT_PASSPHRASE)" : `the key file ${r.keyFile}`}; the old key no longer opens it`,
        );
        print(
          `in one batch: a new vault key pair, ${r.dataKeys} data ${r.dataKeys === 1 ? "key" : "keys"} wrapped again for it${r.encrypted ? ", the entry-bundle key sealed again" : ""}; entries, tiles and checkpoints are unchanged`,
        );
        if (r.removedOldKeyFile !== undefined) {
          print(`removed ${r.removedOldKeyFile}, which held the old key`);
        }
        return undefined;
      }),
    );
}

/** The new key: a file, or a passphrase from the environment (never an argument). */
function newKeySource(file: string | undefined): VaultKeySource {
  const passphrase = process.env.LOGSEAL_NEW_VAULT_PASSPHRASE;
  if (file !== undefined && passphrase !== undefined) {
    throw new LogsealError(
      "E_USAGE",
      "give the new key once: --new-vault-key FILE or LOGSEAL_NEW_VAULT_PASSPHRASE, not both",
      { location: { field: "--new-vault-key" } },
    );
  }
  if (file !== undefined) {
    if (file === "") {
      throw new LogsealError("E_USAGE", "--new-vault-key is empty", {
        location: { field: "--new-vault-key" },
      });
    }
    return { keyFile: file };
  }
  if (passphrase !== undefined) return { passphrase };
  throw new LogsealError(
    "E_USAGE",
    "give the new vault key: --new-vault-key FILE, or set LOGSEAL_NEW_VAULT_PASSPHRASE",
    { location: { field: "--new-vault-key" } },
  );
}
