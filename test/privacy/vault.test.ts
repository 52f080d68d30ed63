/**
 * The vault under the library API, on real LevelDB stores: records land only with appended
 * events and point at the right entries, a producer cannot fake an erasure, a tampered vault or
 * bundle is caught, policies from init apply (subject fields, pseudonyms), and a store without
 * a vault still masks.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  eraseSubject,
  init,
  isLogsealError,
  MASKED_FIELD,
  type MaskRecord,
  open,
  parseVkey,
  revealEntry,
  rotateVaultKey,
  verifyLog,
} from "../../src/index.js";
import { Log } from "../../src/log.js";
import { PrivacyHook } from "../../src/privacy/hook.js";
import { Vault } from "../../src/privacy/vault.js";
import { LevelStore } from "../../src/store/level-store.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "logseal-vault-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ORIGIN = "example.com/logseal/vault";
const ev = (details: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  actor: { id: "svc-ingest", kind: "service" },
  action: "dataset.ingest",
  outcome: "success",
  details,
  ...extra,
});

/** The distinct data keys (`<sid>/<kid>`) among key records `v/k/<sid>/<kid>[/<index>]`. */
const dataKeys = (records: string[]) => [
  ...new Set(records.map((k) => k.split("/").slice(2, 4).join("/"))),
];

/** The keys under `prefix` of an open log's store. */
async function keys(log: Log, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const [k] of log.store.iterate({ gte: prefix, lt: `${prefix}\xff` })) out.push(k);
  return out;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isLogsealError(e)) return e.code;
    throw e;
  }
  return "none";
}

describe("the vault at append", () => {
  it("keeps records only for appended events, at the entry indexes they get", async () => {
    const dir = join(root, "s");
    const log = await init(dir, { origin: ORIGIN });
    await log.append([ev({ who: "ann@example.com" }, { id: "a" })]);
    // b repeats within the batch, a is in the log already: only b (index 1) and c (2) land.
    const r = await log.append([
      ev({ who: "ann@example.com" }, { id: "a" }),
      ev({ who: "ann@example.com" }, { id: "b" }),
      ev({ who: "ann@example.com", ip: "198.51.100.7" }, { id: "b" }),
      ev({ who: "ann@example.com" }, { id: "c" }),
    ]);
    expect(r.map((x) => [x.index, x.duplicate])).toEqual([
      [0, true],
      [1, false],
      [1, true],
      [2, false],
    ]);
    // One record each for entries 0, 1, 2 (the duplicates' values are not kept).
    expect(await keys(log, "v/e/")).toEqual(
      [0, 1, 2].map((i) => `v/e/${String(i).padStart(16, "0")}`),
    );
    expect(await keys(log, "v/c/")).toEqual([]);
    expect(await keys(log, "v/x/")).toEqual([]);
    const report = await eraseSubject(log, "ann@example.com", { actor: "dpo" });
    expect(report.entries).toEqual([0, 1, 2]);
    expect(report.fields.map((f) => f.path)).toEqual(["details.who", "details.who", "details.who"]);
    // One data key: the open log remembers the one it drew for ann in the first batch.
    expect(report.keys).toBe(1);
    for (const i of [0, 1, 2])
      expect(await code(revealEntry(log, i, { actor: "x" }))).toBe("E_ERASED");
    await log.close();
  });

  it("draws a subject's data key once per open log, and anew after the store is opened again", async () => {
    const dir = join(root, "s");
    const log = await init(dir, { origin: ORIGIN });
    for (let b = 0; b < 3; b++) await log.append([ev({ who: "ann@example.com" })]);
    const ann = await keys(log, "v/k/");
    expect(ann).toHaveLength(3); // three batches, a record each
    expect(dataKeys(ann)).toHaveLength(1); // one key
    await log.close();
    const again = await open(dir);
    await again.append([ev({ who: "ann@example.com" })]);
    expect(dataKeys(await keys(again, "v/k/"))).toHaveLength(2);
    for (const i of [0, 1, 2, 3]) {
      const r = await revealEntry(again, i, { actor: "x" });
      expect(r.values[0]?.value).toBe("ann@example.com");
    }
    const report = await eraseSubject(again, "ann@example.com", { actor: "dpo" });
    expect(report.keys).toBe(2);
    expect(report.entries).toEqual([0, 1, 2, 3]);
    await again.close();
  });

  it("never seals a value under a data key destroyed by an erasure: the subject gets a new one", async () => {
    const dir = join(root, "s");
    const log = await init(dir, { origin: ORIGIN });
    await log.append([ev({ who: "ann@example.com" })]);
    await log.append([ev({ who: "ann@example.com" })]);
    const before = await keys(log, "v/k/");
    expect(dataKeys(before)).toHaveLength(1);
    const erased = await eraseSubject(log, "ann@example.com", { actor: "dpo" });
    expect(erased.keys).toBe(1);
    // Same subject again, same open log: a new key, which opens only the new value.
    await log.append([ev({ who: "ann@example.com" })]);
    const after = await keys(log, "v/k/");
    expect(dataKeys(after)).toHaveLength(2);
    const fresh = after.filter((k) => !before.includes(k));
    expect(fresh).toHaveLength(1);
    const old = await log.store.getMany(before);
    expect(old.map((v) => v?.length)).toEqual(before.map(() => 0)); // destroyed, not written again
    const [newWrapped] = await log.store.getMany([fresh[0] as string]);
    expect(newWrapped?.length).toBeGreaterThan(0);
    const newIndex = log.size - 1;
    expect((await revealEntry(log, newIndex, { actor: "x" })).values[0]?.value).toBe(
      "ann@example.com",
    );
    for (const i of [0, 1])
      expect(await code(revealEntry(log, i, { actor: "x" }))).toBe("E_ERASED");
    // Still so once the store is opened again (nothing of the old key survives in it).
    await log.close();
    const again = await open(dir);
    for (const i of [0, 1])
      expect(await code(revealEntry(again, i, { actor: "x" }))).toBe("E_ERASED");
    expect((await eraseSubject(again, "ann@example.com", { actor: "dpo" })).keys).toBe(1);
    await again.close();
  });

  it("reveals every value of a batch that draws many new data keys at once", async () => {
    const dir = join(root, "s");
    const log = await init(dir, { origin: ORIGIN });
    // 600 subjects in one batch (one wrapping call for all their keys), then 600 more events
    // of which half reuse those keys and half draw new ones.
    const who = (i: number) => `person${i}@example.com`;
    await log.append(Array.from({ length: 600 }, (_, i) => ev({ who: who(i) })));
    await log.append(Array.from({ length: 600 }, (_, i) => ev({ who: who(300 + i) })));
    expect(dataKeys(await keys(log, "v/k/"))).toHaveLength(900);
    for (const i of [0, 1, 299, 598, 599, 600, 899, 900, 1199]) {
      const r = await revealEntry(log, i, { actor: "x" });
      expect(r.values[0]?.value).toBe(who(i < 600 ? i : i - 300));
      expect(r.values[0]?.verified).toBe(true);
    }
    await log.close();
  });

  it("writes a remembered key again when the batch that drew it failed", async () => {
    const dir = join(root, "s");
    const log = await init(dir, { origin: ORIGIN });
    // A contributor runs after the vault drew its keys for the batch: failing once, it rejects
    // the batch after ann's key was drawn and remembered, and nothing of the batch is written.
    let fail = true;
    log.addContributor({
      name: "fails-once",
      puts: async () => {
        if (fail) {
          fail = false;
          throw new Error("disk full");
        }
        return [];
      },
    });
    await expect(log.append([ev({ who: "ann@example.com" })])).rejects.toThrow("disk full");
    expect(await keys(log, "v/")).toEqual(["v/meta"]);
    await log.append([ev({ who: "ann@example.com" })]);
    expect(await keys(log, "v/k/")).toHaveLength(1);
    expect(await keys(log, "v/e/")).toHaveLength(1);
    expect((await revealEntry(log, 0, { actor: "x" })).values[0]?.value).toBe("ann@example.com");
    await log.close();
  });

  it("does not let a producer's data.erase event destroy or tombstone anything", async () => {
    const dir = join(root, "s");
    const log = await init(dir, { origin: ORIGIN });
    await log.append([ev({ who: "ann@example.com" })]);
    const sid = (await eraseSubject(log, "ann@example.com", { actor: "dpo" }).catch(() => null))
      ?.subject;
    expect(sid).toBeDefined();
    const log2Dir = join(root, "t");
    const log2 = await init(log2Dir, { origin: ORIGIN });
    await log2.append([ev({ who: "bob@example.com" })]);
    await log2.append([
      {
        actor: { id: "mallory" },
        action: "data.erase",
        outcome: "success",
        details: { subject: "anything" },
      },
    ]);
    expect(await keys(log2, "v/z/")).toEqual([]);
    const r = await revealEntry(log2, 0, { actor: "x" });
    expect(r.values[0]?.value).toBe("bob@example.com");
    await log.close();
    await log2.close();
  });

  it("reports a tampered vault record instead of revealing it", async () => {
    const dir = join(root, "s");
    const log = await init(dir, { origin: ORIGIN });
    await log.append([ev({ a: "ann@example.com", b: "bob@example.com" })]);
    const [ke] = await keys(log, "v/e/");
    await log.close();
    const db = new Level<string, Uint8Array>(join(dir, "db"), { valueEncoding: "view" });
    await db.open();
    // Swap the positions the two items of entry 0's record claim: each sealed value now sits
    // at the other's place, under the other's commitment.
    const record = Buffer.from((await db.get(ke as string)) as Uint8Array);
    const second = 38 + record.readUInt32BE(34);
    expect(record.readUInt16BE(0)).toBe(0);
    expect(record.readUInt16BE(second)).toBe(1);
    record.writeUInt16BE(1, 0);
    record.writeUInt16BE(0, second);
    await db.put(ke as string, record);
    await db.close();
    const again = await open(dir);
    expect(await code(revealEntry(again, 0, { actor: "x" }))).toBe("E_STORE_CORRUPT");
    expect(again.size).toBe(1); // nothing logged
    await again.close();
    // A record cut short: its last item's length runs past the end.
    const db2 = new Level<string, Uint8Array>(join(dir, "db"), { valueEncoding: "view" });
    await db2.open();
    await db2.put(ke as string, record.subarray(0, record.length - 5));
    await db2.close();
    const cut = await open(dir);
    expect(await code(revealEntry(cut, 0, { actor: "x", field: "details.b" }))).toBe(
      "E_STORE_CORRUPT",
    );
    expect(cut.size).toBe(1);
    await cut.close();
  });
});

describe("policies from init", () => {
  it("file values under the subject field, pseudonymise actor.id, and erase by subject", async () => {
    const dir = join(root, "s");
    const policy = JSON.stringify({
      v: 1,
      subject: "details.customer_id",
      rules: [
        { path: "actor.id", action: "pseudonymise" },
        { path: "details.password", action: "drop" },
      ],
    });
    const log = await init(dir, { origin: ORIGIN, privacy: { policy: { text: policy } } });
    await log.append([
      {
        actor: { id: "erin@acme.example" },
        action: "dataset.read",
        outcome: "success",
        details: { customer_id: "cust-1", email: "c1@example.com", password: "hunter2!x" },
      },
      ev({ customer_id: "cust-1", phone: "+44 7700 900123" }),
      ev({ customer_id: "cust-2", email: "c2@example.com" }),
    ]);
    const e0 = (await log.get(0)).event;
    expect(e0.actor.id).toMatch(/^pn_[A-Za-z0-9_-]{22}$/);
    expect(e0.details).not.toHaveProperty("password");
    // Pseudonyms are not in the vault; the e-mail is, filed under cust-1.
    const r = await eraseSubject(log, "cust-1", { actor: "dpo" });
    expect(r.fields.map((f) => [f.index, f.kind])).toEqual([
      [0, "email"],
      [1, "phone"],
    ]);
    expect(await code(revealEntry(log, 1, { actor: "x" }))).toBe("E_ERASED");
    expect((await revealEntry(log, 2, { actor: "x" })).values[0]?.value).toBe("c2@example.com");
    await log.close();
    // The policy is the store's: it applies after reopening.
    const again = await open(dir);
    await again.append([
      { actor: { id: "erin@acme.example" }, action: "dataset.read", outcome: "success" },
    ]);
    expect((await again.get(again.size - 1)).event.actor.id).toBe(e0.actor.id);
    await again.close();
  });

  it("refuses a bad policy before creating anything", async () => {
    const dir = join(root, "s");
    const err = await init(dir, {
      origin: ORIGIN,
      privacy: {
        policy: { text: '{"v":1,"rules":[{"path":"details.x","action":"hide"}]}', file: "p.json" },
      },
    }).catch((e: unknown) => e);
    expect(isLogsealError(err) && err.code).toBe("E_POLICY_INVALID");
    expect(isLogsealError(err) && err.location).toEqual({
      file: "p.json",
      field: "rules[0].action",
    });
    expect(await code(open(dir))).toBe("E_STORE_MISSING");
  });
});

describe("a store without a vault", () => {
  it("still masks at append; reveal and erase say there is no vault", async () => {
    const dir = join(root, "s");
    const log = await init(dir, { origin: ORIGIN });
    await log.close();
    const db = new Level<string, Uint8Array>(join(dir, "db"), { valueEncoding: "view" });
    await db.open();
    await db.del("v/meta");
    await db.close();
    const old = await open(dir);
    await old.append([ev({ who: "ann@example.com" })]);
    const e = (await old.get(0)).event;
    expect(e.details?.who).toBe("a***@example.com");
    const records = (e.details?.[MASKED_FIELD] ?? []) as unknown as MaskRecord[];
    expect(records[0]?.kind).toBe("email");
    expect(await keys(old, "v/c/")).toEqual([]);
    expect(await code(revealEntry(old, 0, { actor: "x" }))).toBe("E_VAULT_MISSING");
    expect(await code(eraseSubject(old, "ann@example.com", { actor: "x" }))).toBe(
      "E_VAULT_MISSING",
    );
    await old.close();
  });
});

describe("encryption at rest", () => {
  it("catches a bundle rolled back to an earlier version of itself", async () => {
    const dir = join(root, "s");
    const vaultKey = { passphrase: "pw for rollback" };
    const log = await init(dir, { origin: ORIGIN, privacy: { vaultKey, encrypt: true } });
    await log.append(Array.from({ length: 10 }, (_, n) => ev({ n })));
    await log.close();
    let db = new Level<string, Uint8Array>(join(dir, "db"), { valueEncoding: "view" });
    await db.open();
    const early = await db.get("b/0000000000000000");
    await db.close();
    const more = await open(dir, { vaultKey });
    await more.append(Array.from({ length: 10 }, (_, n) => ev({ n: n + 10 })));
    await more.checkpoint();
    await more.close();
    db = new Level<string, Uint8Array>(join(dir, "db"), { valueEncoding: "view" });
    await db.open();
    await db.put("b/0000000000000000", early as Uint8Array);
    await db.close();
    const rolled = await open(dir, { vaultKey });
    const report = await verifyLog(rolled.store, { keys: [parseVkey(rolled.vkey)] });
    expect(report.ok).toBe(false);
    expect(await code(rolled.get(15))).toBe("E_STORE_CORRUPT");
    await rolled.close();
  });
});

describe("a layout-1 vault, as earlier versions wrote it", () => {
  it("reveals, erases and rotates under this version, next to layout-2 records", async () => {
    const dir = join(root, "s");
    const created = await init(dir, { origin: ORIGIN });
    const vkey = created.store.vkey;
    await created.close();
    // Appends as earlier versions made them: the privacy transform writing layout 1.
    const store = await LevelStore.open(dir);
    const v1 = new Log(store);
    v1.addTransform(new PrivacyHook(await Vault.load(store), { layout: 1 }));
    await v1.append([
      ev({ who: "ann@example.com", ip: "198.51.100.7" }),
      ev({ who: "bob@example.com" }),
    ]);
    await v1.append([ev({ who: "ann@example.com" })]);
    await v1.close();

    const log = await open(dir);
    expect(await keys(log, "v/c/")).toHaveLength(4);
    expect(await keys(log, "v/x/")).toHaveLength(4);
    expect(await keys(log, "v/e/")).toEqual([]);
    await log.append([ev({ who: "ann@example.com" }), ev({ who: "bob@example.com" })]);
    expect(await keys(log, "v/e/")).toHaveLength(2); // entries 3 and 4, layout 2
    expect(await keys(log, "v/c/")).toHaveLength(4);
    const want = [
      ["ann@example.com", "198.51.100.7"],
      ["bob@example.com"],
      ["ann@example.com"],
      ["ann@example.com"],
      ["bob@example.com"],
    ];
    for (const [i, values] of want.entries()) {
      const r = await revealEntry(log, i, { actor: "x" });
      expect(r.values.map((v) => v.value)).toEqual(values);
      expect(r.values.every((v) => v.verified)).toBe(true);
    }
    await log.close();

    // Rotation re-wraps both layouts' keys: layout 1's ann, ip and bob, layout 2's ann and bob.
    const passphrase = { passphrase: "a new vault passphrase" };
    const rotated = await rotateVaultKey(dir, undefined, passphrase);
    expect(rotated.dataKeys).toBe(5);
    const again = await open(dir, { vaultKey: passphrase });
    expect((await revealEntry(again, 2, { actor: "x" })).values[0]?.value).toBe("ann@example.com");
    expect((await revealEntry(again, 3, { actor: "x" })).values[0]?.value).toBe("ann@example.com");

    // Erasure finds ann's places and keys in both layouts.
    const report = await eraseSubject(again, "ann@example.com", { actor: "dpo" });
    expect(report.keys).toBe(2);
    expect(report.entries).toEqual([0, 2, 3]);
    expect(report.fields.map((f) => [f.index, f.path])).toEqual([
      [0, "details.who"],
      [2, "details.who"],
      [3, "details.who"],
    ]);
    for (const i of [2, 3])
      expect(await code(revealEntry(again, i, { actor: "x" }))).toBe("E_ERASED");
    const first = await revealEntry(again, 0, { actor: "x" });
    expect(first.values.map((v) => v.value ?? "erased")).toEqual(["erased", "198.51.100.7"]);
    for (const i of [1, 4])
      expect((await revealEntry(again, i, { actor: "x" })).values[0]?.value).toBe(
        "bob@example.com",
      );
    expect(await code(eraseSubject(again, "ann@example.com", { actor: "dpo" }))).toBe("E_ERASED");
    const verified = await verifyLog(again.store, { keys: [parseVkey(vkey)] });
    expect(verified.ok).toBe(true);
    await again.close();
  });
});
