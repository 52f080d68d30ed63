/**
 * `logseal vault rotate` through the built CLI on real stores: the old key fails afterwards
 * (E_VAULT_KEY_WRONG), the new one reveals, verify passes, and no record but the two the vault
 * key seals changes; an encrypted store keeps its bundles readable; bad inputs; and a rotation
 * killed at any moment leaves a vault that one of the two keys opens.
 */
import { spawn } from "node:child_process";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Level } from "level";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, logseal, MAIN, ORIGIN, ok, type Result, tempDir } from "../cli/cli.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

const errorOf = (r: Result) => (JSON.parse(r.stdout) as { error: { code: string } }).error.code;

const JANE = "jane.doe@example.com";
const EVENTS = `${[
  { actor: { id: "svc" }, action: "dataset.ingest", outcome: "success", details: { email: JANE } },
  { actor: { id: "svc" }, action: "dataset.read", outcome: "success", details: { n: 1 } },
]
  .map((e) => JSON.stringify(e))
  .join("\n")}\n`;

/** Every key and value of the store's LevelDB. */
async function dumpDb(store: string): Promise<Map<string, string>> {
  const db = new Level<string, Uint8Array>(join(store, "db"), {
    keyEncoding: "utf8",
    valueEncoding: "view",
  });
  await db.open();
  const out = new Map<string, string>();
  try {
    for await (const [k, v] of db.iterator()) out.set(k, Buffer.from(v).toString("base64"));
  } finally {
    await db.close();
  }
  return out;
}

/** A store with a vault under `env`'s key, two events (one masked) and a checkpoint. */
async function makeStore(name: string, env: Record<string, string>, ...initArgs: string[]) {
  const store = join(tmp.dir, name);
  const made = ok(
    await logseal(["init", "--store", store, "--origin", ORIGIN, "--json", ...initArgs], { env }),
  );
  ok(await logseal(["append", "--store", store], { input: EVENTS, env }));
  ok(await logseal(["checkpoint", "--store", store], { env }));
  return { store, vkey: json<{ vkey: string }>(made).vkey };
}

describe("logseal vault rotate", () => {
  it("passphrase to key file: the old key fails, the new one reveals, the log is unchanged", async () => {
    const OLD = { LOGSEAL_VAULT_PASSPHRASE: "old passphrase" };
    const { store, vkey } = await makeStore("p2f", OLD);
    const before = await dumpDb(store);
    const newKey = join(tmp.dir, "p2f-new.key");

    const r = await logseal(
      ["vault", "rotate", "--store", store, "--new-vault-key", newKey, "--json"],
      { env: OLD },
    );
    ok(r);
    expect(json(r)).toMatchObject({
      kdf: "key-file",
      keyFile: newKey,
      encrypted: false,
      records: ["v/meta"],
      dataKeys: 1,
    });
    expect((await stat(newKey)).mode & 0o777).toBe(0o600);

    // Only v/meta and the wrapped data key changed; every entry, tile, checkpoint, index, sealed
    // value and place is as it was.
    const after = await dumpDb(store);
    expect([...after.keys()]).toEqual([...before.keys()]);
    const changed = [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);
    expect(changed).toHaveLength(2);
    expect(changed[0]).toMatch(/^v\/k\/[A-Za-z0-9_-]{22}\/[A-Za-z0-9_-]{22}\/\d{16}$/);
    expect(changed[1]).toBe("v/meta");

    const old = await logseal(["reveal", "0", "--store", store, "--json"], { env: OLD });
    expect(old.code).toBe(4);
    expect(errorOf(old)).toBe("E_VAULT_KEY_WRONG");
    const fresh = await logseal(["reveal", "0", "--store", store, "--json"], {
      env: { LOGSEAL_VAULT_KEY: newKey },
    });
    ok(fresh);
    expect(json<{ values: Array<{ value: string }> }>(fresh).values[0]?.value).toBe(JANE);
    ok(await logseal(["verify", "--store", store, "--key", vkey]));
  });

  it("key file to passphrase on an encrypted store: bundles stay readable with the new key only", async () => {
    const oldKey = join(tmp.dir, "enc-old.key");
    const OLD = { LOGSEAL_VAULT_KEY: oldKey };
    const { store, vkey } = await makeStore("enc", OLD, "--encrypt");
    const before = await dumpDb(store);
    const NEW = { LOGSEAL_VAULT_PASSPHRASE: "the new passphrase" };

    const r = await logseal(["vault", "rotate", "--store", store, "--json"], {
      env: { ...OLD, LOGSEAL_NEW_VAULT_PASSPHRASE: NEW.LOGSEAL_VAULT_PASSPHRASE },
    });
    ok(r);
    expect(json(r)).toMatchObject({
      kdf: "scrypt",
      encrypted: true,
      records: ["v/meta", "meta/encryption"],
      dataKeys: 1,
    });
    const after = await dumpDb(store);
    const changed = [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);
    expect(changed.filter((k) => !k.startsWith("v/k/")).sort()).toEqual([
      "meta/encryption",
      "v/meta",
    ]);
    expect(changed).toHaveLength(3);

    const old = await logseal(["show", "0", "--store", store, "--json"], { env: OLD });
    expect(old.code).toBe(4);
    expect(errorOf(old)).toBe("E_VAULT_KEY_WRONG");
    const shown = ok(await logseal(["show", "1", "--store", store, "--json"], { env: NEW }));
    expect(shown.stdout).toContain("dataset.read");
    const revealed = ok(await logseal(["reveal", "0", "--store", store, "--json"], { env: NEW }));
    expect(revealed.stdout).toContain(JANE);
    ok(await logseal(["verify", "--store", store, "--key", vkey], { env: NEW }));
  });

  it("keeps erased subjects erased, and re-wraps only live data keys", async () => {
    const OLD = { LOGSEAL_VAULT_PASSPHRASE: "old passphrase" };
    const { store, vkey } = await makeStore("erased", OLD);
    const joe = JSON.stringify({
      actor: { id: "svc" },
      action: "dataset.ingest",
      outcome: "success",
      details: { email: "joe.bloggs@example.org" },
    });
    ok(await logseal(["append", "--store", store], { input: `${joe}\n`, env: OLD }));
    ok(
      await logseal(["erase", "--subject", "joe.bloggs@example.org", "--store", store], {
        env: OLD,
      }),
    );
    const NEW = { LOGSEAL_VAULT_PASSPHRASE: "new passphrase" };
    const r = ok(
      await logseal(["vault", "rotate", "--store", store, "--json"], {
        env: { ...OLD, LOGSEAL_NEW_VAULT_PASSPHRASE: NEW.LOGSEAL_VAULT_PASSPHRASE },
      }),
    );
    expect(json(r)).toMatchObject({ dataKeys: 1 });
    const gone = await logseal(["reveal", "2", "--store", store, "--json"], { env: NEW });
    expect(errorOf(gone)).toBe("E_ERASED");
    const kept = ok(await logseal(["reveal", "0", "--store", store, "--json"], { env: NEW }));
    expect(kept.stdout).toContain(JANE);
    ok(await logseal(["checkpoint", "--store", store], { env: NEW }));
    ok(await logseal(["verify", "--store", store, "--key", vkey], { env: NEW }));
  });

  it("the store's own vault.key: removed after the rotation, as it holds the old key", async () => {
    const { store } = await makeStore("own", {});
    const newKey = join(tmp.dir, "own-new.key");
    const r = ok(await logseal(["vault", "rotate", "--store", store, "--new-vault-key", newKey]));
    expect(r.stdout).toMatch(/removed .*vault\.key, which held the old key/);
    const without = await logseal(["reveal", "0", "--store", store, "--json"]);
    expect(errorOf(without)).toBe("E_VAULT_KEY_MISSING");
    ok(await logseal(["reveal", "0", "--store", store], { env: { LOGSEAL_VAULT_KEY: newKey } }));
  });

  it("refuses bad inputs with a code, and changes nothing", async () => {
    const OLD = { LOGSEAL_VAULT_PASSPHRASE: "old passphrase" };
    const { store } = await makeStore("bad", OLD);
    const before = await dumpDb(store);
    const rotate = (env: Record<string, string>, ...args: string[]) =>
      logseal(["vault", "rotate", "--store", store, "--json", ...args], { env });
    const insecure = join(tmp.dir, "insecure.key");
    await writeFile(insecure, `${Buffer.alloc(32, 7).toString("base64")}\n`, { mode: 0o644 });
    const sameAsOld = join(tmp.dir, "same.key");
    const cases: Array<[Result, number, string]> = [
      [await rotate(OLD), 2, "E_USAGE"],
      [
        await rotate({ ...OLD, LOGSEAL_NEW_VAULT_PASSPHRASE: "x" }, "--new-vault-key", "f"),
        2,
        "E_USAGE",
      ],
      [await rotate({ ...OLD, LOGSEAL_NEW_VAULT_PASSPHRASE: "" }), 2, "E_VAULT_KEY_INVALID"],
      [await rotate({ ...OLD, LOGSEAL_NEW_VAULT_PASSPHRASE: "old passphrase" }), 2, "E_USAGE"],
      [
        await rotate({ LOGSEAL_VAULT_PASSPHRASE: "wrong", LOGSEAL_NEW_VAULT_PASSPHRASE: "n" }),
        4,
        "E_VAULT_KEY_WRONG",
      ],
      [await rotate(OLD, "--new-vault-key", insecure), 2, "E_VAULT_KEY_INSECURE"],
      [await rotate(OLD, "--new-vault-key", join(store, "vault.key")), 2, "E_USAGE"],
      [
        await logseal(["vault", "rotate", "--store", join(tmp.dir, "none"), "--json"], {
          env: { LOGSEAL_NEW_VAULT_PASSPHRASE: "n" },
        }),
        3,
        "E_STORE_MISSING",
      ],
    ];
    for (const [r, code, err] of cases) {
      expect(r.code, r.stdout + r.stderr).toBe(code);
      expect(errorOf(r)).toBe(err);
    }
    // A key file holding the old key, on a key-file vault.
    expect(await dumpDb(store)).toEqual(before);
    const kf = await makeStore("bad-kf", { LOGSEAL_VAULT_KEY: sameAsOld });
    const same = await logseal(
      ["vault", "rotate", "--store", kf.store, "--new-vault-key", sameAsOld, "--json"],
      { env: { LOGSEAL_VAULT_KEY: sameAsOld } },
    );
    expect(same.code).toBe(2);
    expect(errorOf(same)).toBe("E_USAGE");
  });

  it("killed at any moment, the vault opens with the old key or the new one", async () => {
    const OLD = { LOGSEAL_VAULT_PASSPHRASE: "old passphrase" };
    const NEW = { LOGSEAL_VAULT_PASSPHRASE: "new passphrase" };
    const { store } = await makeStore("kill", OLD);
    const seen = { old: 0, new: 0 };
    let current = OLD;
    // The process starts (a few hundred ms on a shared 2-core machine), then scrypt runs twice
    // (old key, new key; ~100 ms each), then the batch: kills land before, during and after.
    const delays = [0, 150, 300, 450, 600, 800, 1100];
    for (const delay of delays) {
      const other = current === OLD ? NEW : OLD;
      const child = spawn(process.execPath, [MAIN, "vault", "rotate", "--store", store], {
        stdio: "ignore",
        env: {
          ...process.env,
          ...current,
          LOGSEAL_NEW_VAULT_PASSPHRASE: other.LOGSEAL_VAULT_PASSPHRASE,
        },
      });
      const exited = new Promise((r) => child.on("exit", r));
      await new Promise((r) => setTimeout(r, delay));
      child.kill("SIGKILL");
      await exited;
      const withOld = await logseal(["reveal", "0", "--store", store, "--json"], { env: OLD });
      const withNew = await logseal(["reveal", "0", "--store", store, "--json"], { env: NEW });
      const opened = [withOld, withNew].filter((r) => r.code === 0);
      expect(
        opened,
        `after a kill at ${delay} ms: ${withOld.stdout} ${withNew.stdout}`,
      ).toHaveLength(1);
      expect(opened[0]?.stdout).toContain(JANE);
      if (withOld.code === 0) seen.old++;
      else seen.new++;
      current = withOld.code === 0 ? OLD : NEW;
    }
    expect(seen.old + seen.new).toBe(delays.length);
  }, 240_000);
});
