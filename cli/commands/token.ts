import type { Command } from "commander";
import { createToken, listTokens, ROLES, revokeToken, type TokenInfo } from "../../src/index.js";
import { storeDir } from "../args.js";
import { out, print, printJson } from "../output.js";
import { remoteOptions, run, withSource } from "../run.js";

export function register(program: Command): void {
  const token = program
    .command("token")
    .description("manage the API tokens of 'logseal serve' (stored hashed in the store)");
  token
    .command("create")
    .description("create a token and print it once")
    .requiredOption("--role <role>", `one of ${ROLES.join(", ")}`)
    .requiredOption("--name <name>", "who or what holds it (becomes the actor of its denials)")
    .option("--store <dir>", "store directory")
    .option("--json", 'print {"id","name","role","created","token"}')
    .action((opts: { role: string; name: string; store?: string; json?: boolean }, cmd: Command) =>
      run(opts.json === true, () =>
        withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
          const created = src.log
            ? await createToken(src.log.store, { name: opts.name, role: opts.role }).then((r) => ({
                ...r.info,
                token: r.token,
              }))
            : await src.client.createToken(opts.name, opts.role);
          if (opts.json) printJson(created);
          else {
            print(`created token ${created.name} (id ${created.id}, role ${created.role})`);
            print(out.bold(created.token));
            print("it is shown only this once: store it now (logseal reads it from LOGSEAL_TOKEN)");
          }
          return undefined;
        }),
      ),
    );
  token
    .command("list")
    .description("list the tokens (never their secrets)")
    .option("--store <dir>", "store directory")
    .option("--json", "print a JSON array of {id, name, role, created, revoked?}")
    .action((opts: { store?: string; json?: boolean }, cmd: Command) =>
      run(opts.json === true, () =>
        withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
          const all = src.log ? await listTokens(src.log.store) : await src.client.listTokens();
          if (opts.json) printJson(all);
          else if (all.length === 0) print("no tokens: create one with 'logseal token create'");
          else for (const t of all) print(line(t));
          return undefined;
        }),
      ),
    );
  token
    .command("revoke")
    .description("revoke a token by name or id; it is refused from then on")
    .argument("<name-or-id>", "the token's name or id")
    .option("--store <dir>", "store directory")
    .option("--json", "print the revoked token as JSON")
    .action((nameOrId: string, opts: { store?: string; json?: boolean }, cmd: Command) =>
      run(opts.json === true, () =>
        withSource(storeDir(opts.store), remoteOptions(cmd), async (src) => {
          const t = src.log
            ? await revokeToken(src.log.store, nameOrId)
            : await src.client.revokeToken(nameOrId);
          if (opts.json) printJson(t);
          else print(`revoked token ${t.name} (id ${t.id}, role ${t.role}) at ${t.revoked}`);
          return undefined;
        }),
      ),
    );
}

function line(t: TokenInfo): string {
  const status = t.revoked === undefined ? "active" : `revoked ${t.revoked}`;
  return `${t.id}  ${t.role.padEnd(7)}  ${t.name.padEnd(20)}  created ${t.created}  ${status}`;
}
