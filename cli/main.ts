#!/usr/bin/env node
/**
 * logseal: the command line. Argument parsing (commander) and rendering only; everything else
 * is the library's public entry (src/index.ts).
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { register as append } from "./commands/append.js";
import { register as assets } from "./commands/assets.js";
import { register as checkpoint } from "./commands/checkpoint.js";
import { register as demo } from "./commands/demo.js";
import { register as erase } from "./commands/erase.js";
import { register as evidence } from "./commands/evidence.js";
import { register as exportCmd } from "./commands/export.js";
import { register as importCmd } from "./commands/import.js";
import { register as init } from "./commands/init.js";
import { register as keys } from "./commands/keys.js";
import { register as lineage } from "./commands/lineage.js";
import { register as prove } from "./commands/prove.js";
import { register as query } from "./commands/query.js";
import { register as reindex } from "./commands/reindex.js";
import { register as reveal } from "./commands/reveal.js";
import { register as serve } from "./commands/serve.js";
import { register as show } from "./commands/show.js";
import { register as soa } from "./commands/soa.js";
import { register as token } from "./commands/token.js";
import { register as tui } from "./commands/tui.js";
import { register as vault } from "./commands/vault.js";
import { register as verify } from "./commands/verify.js";
import { EXIT_OK, EXIT_USAGE } from "./exit-codes.js";

// A reader that stops early (`logseal query | head`) closes the pipe, and the next write fails
// with EPIPE: stop quietly, as Unix tools do, instead of dying on an unhandled 'error' event.
// What was stored is unaffected: appends are acknowledged only after their batch is written.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.exit(typeof process.exitCode === "number" ? process.exitCode : EXIT_OK);
});

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("logseal")
  .description("tamper-evident audit log for AI data work")
  .version(pkg.version)
  .showHelpAfterError("(run with --help for usage)")
  .configureOutput({
    outputError: (s, write) => write(`logseal: E_USAGE: ${s.replace(/^error: /, "")}`),
  })
  .exitOverride()
  .option("--server <url>", "go through this logseal server instead of opening the store")
  .option("--token <token>", "the server's bearer token (better: set LOGSEAL_TOKEN)")
  .option(
    "--vault-key <file>",
    "the vault key file (or LOGSEAL_VAULT_KEY; a passphrase: LOGSEAL_VAULT_PASSPHRASE)",
  )
  .hook("preAction", (_program, action) => {
    // One place for every command: cli/vault.ts reads it from the environment.
    const file = action.optsWithGlobals<{ vaultKey?: string }>().vaultKey;
    if (file !== undefined) process.env.LOGSEAL_VAULT_KEY = file;
  });

for (const r of [
  init,
  keys,
  append,
  checkpoint,
  show,
  prove,
  verify,
  exportCmd,
  demo,
  serve,
  token,
])
  r(program);
for (const r of [importCmd, reindex, lineage, assets, query]) r(program);
for (const r of [soa, evidence]) r(program);
for (const r of [reveal, erase, vault, tui]) r(program);
// Usage errors exit 2 (commander's default is 1, which this CLI keeps for integrity failures).
for (const c of [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)])
  c.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode =
      e.exitCode === 0 || e.code === "commander.helpDisplayed" || e.code === "commander.version"
        ? EXIT_OK
        : EXIT_USAGE;
  } else {
    throw e;
  }
}
