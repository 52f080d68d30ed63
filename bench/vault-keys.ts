/**
 * The vault's cost per new data subject: its subject id (HMAC) and a new data key, drawn and
 * wrapped in one batch (`Vault.keysFor`, as an append batch calls it for subjects it has not
 * seen), in batches of 1,000 new subjects; with another checkout's vault interleaved, round by
 * round, when one is given (set it up as for bench/privacy-ab.ts):
 *
 *   flock /work/wt/bench.lock node --import tsx bench/vault-keys.ts [OTHER_CHECKOUT] [ROUNDS=15]
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

type Access = typeof import("../src/privacy/access.js");
type VaultMod = typeof import("../src/privacy/vault.js");
type Store = typeof import("../src/store/level-store.js");
type Index = typeof import("../src/index.js");

const other = process.argv[2];
const ROUNDS = Number(process.argv[3] ?? 15);
const ORIGIN = "example.com/logseal/bench";
const root = await mkdtemp(join(tmpdir(), "logseal-vault-keys-"));

async function setup(dir: string, tag: string) {
  const idx = (await import(join(dir, "src/index.js"))) as Index;
  const acc = (await import(join(dir, "src/privacy/access.js"))) as Access;
  const vm = (await import(join(dir, "src/privacy/vault.js"))) as VaultMod;
  const ls = (await import(join(dir, "src/store/level-store.js"))) as Store;
  const { skey, vkey } = idx.generateSigner(ORIGIN);
  const store = await ls.LevelStore.create(join(root, tag), {
    origin: ORIGIN,
    skey,
    vkey,
    ...(await acc.prepareVault({})),
  });
  return { store, vm };
}

const versions = [{ name: "this", ...(await setup(resolve(import.meta.dirname, ".."), "this")) }];
if (other !== undefined)
  versions.push({ name: "other", ...(await setup(resolve(other), "other")) });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const cpu = new Map<string, number[]>(versions.map((v) => [v.name, []]));
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of versions) {
      const vault = (await v.vm.Vault.load(v.store)) as NonNullable<
        Awaited<ReturnType<VaultMod["Vault"]["load"]>>
      >;
      const subjects = Array.from(
        { length: 1000 },
        (_, i) => `person${r}-${i}@example${i % 13}.com`,
      );
      const c0 = process.cpuUsage();
      vault.keysFor(subjects);
      const c = process.cpuUsage(c0);
      cpu.get(v.name)?.push((c.user + c.system) / subjects.length);
    }
  }
  console.log(
    `load ${readFileSync("/proc/loadavg", "utf8").trim()}; batches of 1,000 new subjects, ${ROUNDS} rounds`,
  );
  for (const [name, us] of cpu) {
    console.log(
      `${name.padEnd(6)} ${median(us).toFixed(2)} µs of CPU a new subject (sid and data key) [min ${Math.min(...us).toFixed(2)}]`,
    );
  }
} finally {
  for (const v of versions) await v.store.close();
  await rm(root, { recursive: true, force: true });
}
