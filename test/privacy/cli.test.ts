/**
 * Privacy end to end, through the CLI a user runs, on real stores: masking at append (no
 * planted value in the tiles export, the query output, or any key or value of the LevelDB),
 * reveal and erase (and that both are logged), erasure that leaves verification and proofs
 * unchanged, vault keys (passphrase, key file, wrong and insecure ones), and encryption at rest.
 */
import { chmod, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Level } from "level";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, logseal, ORIGIN, ok, tempDir } from "../cli/cli.js";
import { piiCorpus } from "./corpus.js";

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

/** Every file under `dir`, recursively. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out;
}

/** Every key and value of the store's LevelDB, read back through LevelDB itself. */
async function dumpDb(store: string): Promise<Array<[string, Buffer]>> {
  const db = new Level<string, Uint8Array>(join(store, "db"), {
    keyEncoding: "utf8",
    valueEncoding: "view",
  });
  await db.open();
  const out: Array<[string, Buffer]> = [];
  try {
    for await (const [k, v] of db.iterator()) out.push([k, Buffer.from(v)]);
  } finally {
    await db.close();
  }
  return out;
}

/** The needles found in `hay` (as UTF-8 bytes). */
function found(hay: Buffer, needles: readonly string[]): string[] {
  return needles.filter((n) => hay.includes(Buffer.from(n, "utf8")));
}

const corpus = piiCorpus({ count: 120, seed: 6 });
// Values shorter than 7 bytes could turn up by chance in random bytes (ciphertexts, hashes).
const planted = [...new Set(corpus.flatMap((c) => c.planted.map((p) => p.value)))].filter(
  (v) => v.length >= 7,
);

describe("masking at append, through the CLI", () => {
  let store: string;
  let tiles: string;
  beforeAll(async () => {
    store = join(tmp.dir, "masked");
    tiles = join(tmp.dir, "masked-tiles");
    ok(await logseal(["init", "--store", store, "--origin", ORIGIN]));
    const input = join(tmp.dir, "corpus.jsonl");
    await writeFile(input, corpus.map((c) => JSON.stringify(c.event)).join("\n"));
    ok(await logseal(["append", input, "--store", store, "--checkpoint"]));
    ok(await logseal(["export", "--store", store, "--tiles", tiles]));
  }, 120_000);

  it("has planted values of every kind to look for", () => {
    expect(planted.length).toBeGreaterThan(200);
    expect(new Set(corpus.flatMap((c) => c.planted.map((p) => p.kind))).size).toBe(16);
  });

  it("leaves no planted value in the tiles export", async () => {
    const all = await files(tiles);
    expect(all.some((f) => f.includes("entries"))).toBe(true);
    const leaks: string[] = [];
    for (const f of all) leaks.push(...found(await readFile(f), planted));
    expect(leaks).toEqual([]);
  });

  it("leaves no planted value in the query output", async () => {
    ok(await logseal(["reindex", "--store", store]));
    const r = ok(await logseal(["query", "--store", store, "--limit", "1000", "--json"]));
    const page = json<{ entries: unknown[] }>(r);
    expect(page.entries).toHaveLength(corpus.length);
    expect(r.stdout).toContain("$masked");
    expect(found(Buffer.from(r.stdout), planted)).toEqual([]);
  });

  it("leaves no planted value in any key or value of the LevelDB, vault included", async () => {
    const kv = await dumpDb(store);
    expect(kv.some(([k]) => k.startsWith("v/e/"))).toBe(true);
    expect(kv.some(([k]) => k.startsWith("b/"))).toBe(true);
    const leaks: string[] = [];
    for (const [k, v] of kv) {
      leaks.push(...found(Buffer.from(k), planted).map((x) => `key ${k}: ${x}`));
      leaks.push(...found(v, planted).map((x) => `value of ${k}: ${x}`));
    }
    expect(leaks).toEqual([]);
  });

  it("reveals a planted value with the vault key, checks it, and logs the reveal", async () => {
    const i = corpus.findIndex((c) => c.planted.some((p) => p.kind === "email"));
    const email = corpus[i]?.planted.find((p) => p.kind === "email")?.value as string;
    const r = ok(
      await logseal(["reveal", String(i), "--store", store, "--actor", "dpo-anna", "--json"]),
    );
    const out = json<{ values: Array<{ value?: string; verified?: boolean }>; logged: number }>(r);
    expect(out.values.map((v) => v.value)).toContain(email);
    expect(out.values.every((v) => v.verified === true)).toBe(true);
    const shown = json<{ event: Record<string, unknown> }>(
      ok(await logseal(["show", String(out.logged), "--store", store, "--json"])),
    );
    expect(shown.event).toMatchObject({
      action: "pii.reveal",
      actor: { id: "dpo-anna" },
      details: { entry: i },
    });
    // And the reveal itself leaked nothing into the store.
    const kv = await dumpDb(store);
    expect(kv.flatMap(([k, v]) => found(Buffer.concat([Buffer.from(k), v]), [email]))).toEqual([]);
  });

  it("names what is wrong: no masked value at a field, an index out of range", async () => {
    const r = await logseal(["reveal", "0", "--field", "details.nothing", "--store", store]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("E_NOT_MASKED");
    const r2 = await logseal(["reveal", "100000", "--store", store]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("E_INDEX_RANGE");
  });
});

describe("erasure", () => {
  it("destroys the subject's keys; reveal fails, verify passes, proofs and leaves unchanged", async () => {
    const store = join(tmp.dir, "erase");
    ok(await logseal(["init", "--store", store, "--origin", ORIGIN]));
    const events = [
      { note: "ticket from jane.doe@example.com about card 4111 1111 1111 1111" },
      { contact: "jane.doe@example.com" },
      { contact: "bob.smith@example.org" },
    ].map((details, n) => ({
      actor: { id: "svc-ingest", kind: "service" },
      action: "dataset.ingest",
      outcome: "success",
      asset: `dataset:tickets-${n}`,
      details,
    }));
    ok(
      await logseal(["append", "-", "--store", store, "--checkpoint"], {
        input: events.map((e) => JSON.stringify(e)).join("\n"),
      }),
    );
    const proofBefore = ok(await logseal(["prove", "inclusion", "1", "--store", store, "--json"]));
    const leafBefore = ok(await logseal(["show", "1", "--store", store, "--json"])).stdout;

    // The wrapped data keys of the subject, as stored, before erasure.
    const before = await dumpDb(store);
    const dataKeys = before.filter(([k, v]) => k.startsWith("v/k/") && v.length > 0);
    expect(dataKeys.length).toBeGreaterThanOrEqual(3);

    const r = ok(
      await logseal([
        "erase",
        "--subject",
        "jane.doe@example.com",
        "--store",
        store,
        "--actor",
        "dpo-anna",
        "--reason",
        "request GDPR-17-0042",
        "--json",
      ]),
    );
    const report = json<{
      subject: string;
      entry: number;
      keys: number;
      entries: number[];
      fields: Array<{ index: number; path: string; kind: string }>;
    }>(r);
    expect(report.entries).toEqual([0, 1]);
    expect(report.fields).toEqual([
      { index: 0, path: "details.note", kind: "email" },
      { index: 1, path: "details.contact", kind: "email" },
    ]);
    expect(report.keys).toBe(1);
    expect(report.subject).not.toContain("jane");

    // Logged, naming the subject by its id only, as control A.8.10 evidence.
    const erased = json<{ event: Record<string, unknown> }>(
      ok(await logseal(["show", String(report.entry), "--store", store, "--json"])),
    );
    expect(erased.event).toMatchObject({
      action: "data.erase",
      outcome: "success",
      actor: { id: "dpo-anna" },
      asset: `subject:${report.subject}`,
      // A.5.34 added by the store's default controls policy (formats/controls-policy.md).
      controls: ["A.8.10", "A.5.34"],
      details: { subject: report.subject, entries: 2, fields: 2, reason: "request GDPR-17-0042" },
    });

    // Reveal fails with a clear code; the card of entry 0 (another subject) still reveals.
    const denied = await logseal(["reveal", "1", "--store", store]);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain("E_ERASED");
    expect(denied.stderr).toContain(`data.erase at entry ${report.entry}`);
    const partial = json<{ values: Array<{ kind: string; value?: string; erased?: number }> }>(
      ok(await logseal(["reveal", "0", "--store", store, "--json"])),
    );
    expect(partial.values).toEqual([
      expect.objectContaining({ kind: "email", erased: report.entry }),
      expect.objectContaining({ kind: "card", value: "4111 1111 1111 1111" }),
    ]);
    expect(partial.values[0]).not.toHaveProperty("value");
    // Bob is untouched.
    const bob = json<{ values: Array<{ value?: string }> }>(
      ok(await logseal(["reveal", "2", "--store", store, "--json"])),
    );
    expect(bob.values[0]?.value).toBe("bob.smith@example.org");

    // Erasing again says so.
    const again = await logseal(["erase", "--subject", "jane.doe@example.com", "--store", store]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("E_ERASED");
    const unknown = await logseal(["erase", "--subject", "nobody@example.com", "--store", store]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("E_SUBJECT_UNKNOWN");

    // The log is intact: verify passes, the proof and the leaf of entry 1 are the same.
    ok(await logseal(["checkpoint", "--store", store]));
    const v = ok(await logseal(["verify", "--store", store, "--trust-store-key", "--json"]));
    expect(json<{ ok: boolean }>(v).ok).toBe(true);
    const proofAfter = ok(
      await logseal(["prove", "inclusion", "1", "--store", store, "--size", "3", "--json"]),
    );
    expect(proofAfter.stdout).toBe(proofBefore.stdout);
    expect(ok(await logseal(["show", "1", "--store", store, "--json"])).stdout).toBe(leafBefore);

    // The destroyed keys are gone from the database and from its files on disk, not shadowed.
    const after = new Map(await dumpDb(store));
    const gone = dataKeys.filter(([k]) => (after.get(k)?.length ?? 0) === 0);
    expect(gone).toHaveLength(1);
    const raw = Buffer.concat(
      await Promise.all((await files(join(store, "db"))).map((f) => readFile(f))),
    );
    // A wrapped key is the batch's ephemeral public key (32 bytes, shared by the batch's keys,
    // so compressed away) and its own sealed bytes: look for those.
    const own = (v: Buffer) => v.subarray(32);
    expect(raw.includes(own((gone[0] as [string, Buffer])[1]))).toBe(false);
    // The control: the same scan finds live keys. Tables are Snappy-compressed, so a value
    // whose bytes happen to repeat others in its block may not appear verbatim; one of the
    // subjects' live keys found is what shows the scan can see a key (one missing in a full
    // CI=1 run at load 3-4, after the merge of 4e54ae5; every one found in runs alone).
    const kept = dataKeys.filter(([k]) => (after.get(k)?.length ?? 0) > 0);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.some(([, v]) => raw.includes(own(v)))).toBe(true);
  }, 120_000);
});

describe("the vault key", () => {
  it("comes from a passphrase; a wrong one fails cleanly and changes nothing", async () => {
    const store = join(tmp.dir, "pass");
    const env = { LOGSEAL_VAULT_PASSPHRASE: "correct horse battery staple" };
    ok(await logseal(["init", "--store", store, "--origin", ORIGIN], { env }));
    expect((await readdir(store)).includes("vault.key")).toBe(false);
    // Appends need no key: they encrypt for the vault's public key.
    ok(
      await logseal(["append", "-", "--store", store], {
        input: JSON.stringify({
          actor: { id: "svc" },
          action: "dataset.ingest",
          outcome: "success",
          details: { ip: "203.0.113.77" },
        }),
      }),
    );
    const missing = await logseal(["reveal", "0", "--store", store]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("E_VAULT_KEY_MISSING");
    const wrong = await logseal(["reveal", "0", "--store", store, "--json"], {
      env: { LOGSEAL_VAULT_PASSPHRASE: "correct horse battery stapler" },
    });
    expect(wrong.code).toBe(4);
    expect(json<{ error: { code: string } }>(wrong).error.code).toBe("E_VAULT_KEY_WRONG");
    const size = (await dumpDb(store)).find(([k]) => k === "meta/size")?.[1].toString();
    expect(size).toBe("1"); // neither attempt appended a pii.reveal event
    const right = json<{ values: Array<{ value: string }> }>(
      ok(await logseal(["reveal", "0", "--store", store, "--json"], { env })),
    );
    expect(right.values[0]?.value).toBe("203.0.113.77");
  }, 60_000);

  it("comes from a key file of mode 0600; others are refused with a clear error", async () => {
    const store = join(tmp.dir, "keyfile");
    const keyFile = join(tmp.dir, "vault-keyfile.key");
    ok(await logseal(["init", "--store", store, "--origin", ORIGIN, "--vault-key", keyFile]));
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    ok(
      await logseal(["append", "-", "--store", store], {
        input: JSON.stringify({
          actor: { id: "svc" },
          action: "dataset.ingest",
          outcome: "success",
          details: { iban: "GB82 WEST 1234 5698 7654 32" },
        }),
      }),
    );
    const r = json<{ values: Array<{ value: string }> }>(
      ok(await logseal(["reveal", "0", "--store", store, "--vault-key", keyFile, "--json"])),
    );
    expect(r.values[0]?.value).toBe("GB82 WEST 1234 5698 7654 32");

    await chmod(keyFile, 0o644);
    const open = await logseal(["reveal", "0", "--store", store, "--vault-key", keyFile]);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain("E_VAULT_KEY_INSECURE");
    expect(open.stderr).toContain("chmod 600");

    const other = join(tmp.dir, "other.key");
    await writeFile(other, `${Buffer.alloc(32, 7).toString("base64")}\n`, { mode: 0o600 });
    const wrong = await logseal(["reveal", "0", "--store", store, "--vault-key", other]);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain("E_VAULT_KEY_WRONG");
    const junk = join(tmp.dir, "junk.key");
    await writeFile(junk, "not a key\n", { mode: 0o600 });
    const bad = await logseal(["reveal", "0", "--store", store, "--vault-key", junk]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("E_VAULT_KEY_INVALID");
    const pass = await logseal(["reveal", "0", "--store", store], {
      env: { LOGSEAL_VAULT_PASSPHRASE: "x" },
    });
    expect(pass.code).toBe(4);
    expect(pass.stderr).toContain("E_VAULT_KEY_WRONG");
  }, 60_000);
});

describe("encryption at rest", () => {
  const marker = "dataset:very-distinctive-asset-name-0042";
  const events = Array.from({ length: 300 }, (_, n) => ({
    actor: { id: "svc-ingest" },
    action: "dataset.ingest",
    outcome: "success",
    asset: `${marker}/${n}`,
    details: { rows: n, owner: `user${n}@example.com` },
  }));
  const input = events.map((e) => JSON.stringify(e)).join("\n");
  const env = { LOGSEAL_VAULT_PASSPHRASE: "at rest 4 ever" };

  it("refuses --encrypt without a key kept outside the store", async () => {
    const r = await logseal([
      "init",
      "--store",
      join(tmp.dir, "enc0"),
      "--origin",
      ORIGIN,
      "--encrypt",
    ]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("E_VAULT_KEY_MISSING");
  });

  it("keeps bundles unreadable on disk, opens only with the key, exports clear tiles", async () => {
    const store = join(tmp.dir, "enc");
    const clear = join(tmp.dir, "clear");
    const { vkey } = json<{ vkey: string; encrypted: boolean }>(
      ok(
        await logseal(["init", "--store", store, "--origin", ORIGIN, "--encrypt", "--json"], {
          env,
        }),
      ),
    );
    ok(await logseal(["init", "--store", clear, "--origin", ORIGIN]));
    ok(await logseal(["append", "-", "--store", store, "--checkpoint"], { input, env }));
    ok(await logseal(["append", "-", "--store", clear, "--checkpoint"], { input }));

    // The raw files: the clear store shows its leaves, the encrypted one does not.
    const raw = async (dir: string) =>
      Buffer.concat(await Promise.all((await files(join(dir, "db"))).map((f) => readFile(f))));
    expect((await raw(clear)).includes(Buffer.from(marker))).toBe(true);
    expect((await raw(store)).includes(Buffer.from(marker))).toBe(false);
    expect(
      found(
        await raw(store),
        events.map((e) => e.details.owner),
      ),
    ).toEqual([]);

    for (const args of [
      ["show", "0"],
      ["verify", "--trust-store-key"],
      ["append", "-"],
    ]) {
      const r = await logseal([...args, "--store", store], { input });
      expect(r.code, args.join(" ")).toBe(4);
      expect(r.stderr).toContain("E_STORE_ENCRYPTED");
    }
    const wrong = await logseal(["verify", "--store", store, "--trust-store-key"], {
      env: { LOGSEAL_VAULT_PASSPHRASE: "at rest 4 never" },
    });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain("E_VAULT_KEY_WRONG");
    expect(
      json<{ size: number; ok: boolean }>(
        ok(await logseal(["verify", "--store", store, "--trust-store-key", "--json"], { env })),
      ),
    ).toMatchObject({ ok: true, size: 300 });
    const shown = json<{ event: { asset: string } }>(
      ok(await logseal(["show", "299", "--store", store, "--json"], { env })),
    );
    expect(shown.event.asset).toBe(`${marker}/299`);
    // No indexes: they would hold the asset names the bundles hide.
    for (const args of [["query", "--actor", "svc-ingest"], ["reindex"], ["assets"]]) {
      const r = await logseal([...args, "--store", store], { env });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("E_INDEX_STALE");
      expect(r.stderr).toContain("encrypted at rest");
    }
    expect((await raw(store)).includes(Buffer.from(marker))).toBe(false);

    // Auditors verify the tiles export without the key; it holds masked leaves in clear.
    const tiles = join(tmp.dir, "enc-tiles");
    ok(await logseal(["export", "--store", store, "--tiles", tiles], { env }));
    ok(await logseal(["verify", "--tiles", tiles, "--key", vkey]));
    const exported = Buffer.concat(await Promise.all((await files(tiles)).map((f) => readFile(f))));
    expect(exported.includes(Buffer.from(marker))).toBe(true);
    expect(
      found(
        exported,
        events.map((e) => e.details.owner),
      ),
    ).toEqual([]);
  }, 120_000);

  it("detects bundles swapped on disk", async () => {
    const store = join(tmp.dir, "enc-swap");
    ok(await logseal(["init", "--store", store, "--origin", ORIGIN, "--encrypt"], { env }));
    ok(
      await logseal(["append", "-", "--store", store, "--checkpoint"], {
        input: `${input}\n${input.replaceAll("svc-ingest", "svc-2")}`,
        env,
      }),
    );
    const db = new Level<string, Uint8Array>(join(store, "db"), {
      keyEncoding: "utf8",
      valueEncoding: "view",
    });
    await db.open();
    const [b0, b1] = await db.getMany(["b/0000000000000000", "b/0000000000000001"]);
    await db.batch([
      { type: "put", key: "b/0000000000000000", value: b1 as Uint8Array },
      { type: "put", key: "b/0000000000000001", value: b0 as Uint8Array },
    ]);
    await db.close();
    const r = await logseal(["verify", "--store", store, "--trust-store-key", "--json"], { env });
    expect(r.code).toBe(1);
    expect(json<{ ok: boolean }>(r).ok).toBe(false);
  }, 120_000);
});
