/**
 * The vault key of the command line: `--vault-key FILE` (a global option), else
 * `LOGSEAL_VAULT_KEY` (a key file), else `LOGSEAL_VAULT_PASSPHRASE`. A passphrase is never an
 * argument: arguments show in `ps` and in shell history.
 */
import type { OpenOptions, VaultKeySource } from "../src/index.js";

/** The vault key source the user gave, if any. */
export function vaultKeySource(): VaultKeySource | undefined {
  const file = process.env.LOGSEAL_VAULT_KEY;
  if (file !== undefined && file !== "") return { keyFile: file };
  const passphrase = process.env.LOGSEAL_VAULT_PASSPHRASE;
  if (passphrase !== undefined) return { passphrase };
  return undefined;
}

/** Options for `open` with the user's vault key. */
export function openOptions(): OpenOptions {
  const vaultKey = vaultKeySource();
  return vaultKey === undefined ? {} : { vaultKey };
}
