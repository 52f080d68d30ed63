/**
 * Evidence bundles: exported from a real store, verified offline with the pinned key only;
 * every single-byte change anywhere in the file fails, and so do edits of each region
 * (manifest, a leaf, a proof hash, the checkpoint, the seal) through the CLI.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type EvidenceBundle,
  exportBundle,
  generateSigner,
  type Log,
  parseVkey,
  verifyBundle,
} from "../../src/index.js";
import { json, logseal } from "../cli/cli.js";
import { ev, newLog } from "./helpers.js";

const T0 = Date.UTC(2026, 10, 2, 8);

describe("evidence bundles", () => {
  let log: Log;
  let store: string;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ log, store, dir, cleanup } = await newLog());
    const events = [];
    for (let i = 0; i < 40; i++) {
      events.push(
        ev(T0 + i * 60_000, i % 4 === 0 ? "pii.mask" : "dataset.read", {
          controls: i % 4 === 0 ? ["A.8.11"] : ["A.8.3"],
          details: { n: i },
        }),
      );
    }
    await log.append(events);
    await log.checkpoint();
    await log.append([ev(T0 + 99 * 60_000, "pii.mask", { controls: ["A.8.11"] })]);
  });
  afterAll(() => cleanup());

  it("holds the selected signed events with proofs, and verifies with the pinned key", async () => {
    const { bytes, manifest } = await exportBundle(log, { control: "A.8.11", now: T0 });
    expect(manifest).toEqual({
      origin: log.origin,
      created: new Date(T0).toISOString(),
      selection: { control: "A.8.11", from: null, to: null },
      size: 40,
      root: manifest.root,
      entries: 10,
    });
    const b = JSON.parse(new TextDecoder().decode(bytes)) as EvidenceBundle;
    expect(b.entries.map((e) => e.index)).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36]);
    expect(b.entries[1]?.event.details).toEqual({ n: 4 });
    expect(b.keys).toEqual([log.vkey]);
    const r = verifyBundle(bytes, [parseVkey(log.vkey)]);
    expect(r.failures).toEqual([]);
    expect(r).toMatchObject({
      ok: true,
      entries: 10,
      size: 40,
      sealed: true,
      verifiedBy: [log.origin],
    });

    const window = await exportBundle(log, { from: T0 + 10 * 60_000, to: T0 + 13 * 60_000 });
    const w = JSON.parse(new TextDecoder().decode(window.bytes)) as EvidenceBundle;
    expect(w.entries.map((e) => e.index)).toEqual([10, 11, 12]);
    expect(verifyBundle(window.bytes, [parseVkey(log.vkey)]).ok).toBe(true);
  });

  it("fails with another key, and on every single-byte change anywhere in the file", async () => {
    const { bytes } = await exportBundle(log, {
      control: "A.8.11",
      from: T0 + 30 * 60_000,
      now: T0,
    });
    const key = [parseVkey(log.vkey)];
    expect(verifyBundle(bytes, key).ok).toBe(true);
    const other = generateSigner(log.origin);
    const wrong = verifyBundle(bytes, [parseVkey(other.vkey)]);
    expect(wrong.ok).toBe(false);
    expect(wrong.failures.map((f) => f.step)).toEqual(["checkpoint", "seal", "manifest"]);
    // Every byte, changed to each of two other values (one printable, one not).
    let tried = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const x of [0x01, 0x20]) {
        const t = bytes.slice();
        t[i] = (t[i] as number) ^ x;
        const r = verifyBundle(t, key);
        if (r.ok) throw new Error(`byte ${i} ^ ${x} went unnoticed`);
        tried++;
      }
    }
    expect(tried).toBe(bytes.length * 2);
    // Cut at a few places, and with a byte added.
    for (const n of [0, 1, bytes.length >> 1, bytes.length - 1]) {
      expect(verifyBundle(bytes.subarray(0, n), key).ok).toBe(false);
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    longer[bytes.length] = 0x0a;
    expect(verifyBundle(longer, key).ok).toBe(false);
  }, 120_000);

  it("through the CLI: export, verify, and each region tampered fails with exit 1", async () => {
    await log.close();
    try {
      const file = join(dir, "a811.json");
      const x = await logseal([
        "export",
        "--store",
        store,
        "--bundle",
        file,
        "--control",
        "A.8.11",
      ]);
      expect(x.code, x.stderr).toBe(0);
      expect(x.stdout).toMatch(
        new RegExp(
          `^wrote ${file}: 10 entries \\(events evidencing A\\.8\\.11\\) with inclusion proofs against the checkpoint of size 40, \\d+ bytes, sealed by ${log.origin}\n`,
        ),
      );
      const ok = await logseal(["verify", "--bundle", file, "--key", log.vkey, "--json"]);
      expect(ok.code, ok.stdout).toBe(0);
      expect(json(ok)).toMatchObject({ ok: true, mode: "bundle", entries: 10, sealed: true });
      const text = await readFile(file, "utf8");
      const b = JSON.parse(text) as EvidenceBundle;
      const tamper = async (name: string, edit: (b: EvidenceBundle) => void, step: string) => {
        const c = JSON.parse(text) as EvidenceBundle;
        edit(c);
        const f = join(dir, `${name}.json`);
        await writeFile(f, `${JSON.stringify(c, null, 2)}\n`);
        const r = await logseal(["verify", "--bundle", f, "--key", log.vkey]);
        expect(r.code, name).toBe(1);
        expect(r.stdout, name).toContain("FAILED");
        expect(r.stdout, name).toContain(`${step}: `);
        return r.stdout;
      };
      const flip = (s: string) =>
        s[5] === "A" ? `${s.slice(0, 5)}B${s.slice(6)}` : `${s.slice(0, 5)}A${s.slice(6)}`;
      await tamper(
        "manifest",
        (c) => {
          c.manifest.selection.from = "2020-01-01T00:00:00.000Z";
        },
        "seal",
      );
      const leaf = await tamper(
        "leaf",
        (c) => {
          (c.entries[3] as { leaf: string }).leaf = flip(b.entries[3]?.leaf as string);
        },
        "entry",
      );
      expect(leaf).toContain("entry 12");
      const proof = await tamper(
        "proof",
        (c) => {
          const p = (c.entries[2] as { proof: string[] }).proof;
          p[1] = flip(p[1] as string);
        },
        "entry",
      );
      expect(proof).toContain(
        "entry 8: the inclusion proof does not lead to the checkpoint's root",
      );
      await tamper(
        "checkpoint",
        (c) => {
          c.checkpoint = c.checkpoint.replace("\n40\n", "\n41\n");
        },
        "checkpoint",
      );
      await tamper(
        "event",
        (c) => {
          (c.entries[0] as { event: { actor: { id: string } } }).event.actor.id = "mallory";
        },
        "entry",
      );
      await tamper(
        "dropped",
        (c) => {
          c.entries.splice(1, 1);
        },
        "manifest",
      );
      // A byte of white space is a change too.
      const ws = join(dir, "ws.json");
      await writeFile(ws, text.replace('"format": ', '"format":  '));
      const r = await logseal(["verify", "--bundle", ws, "--key", log.vkey]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(
        "canonical: the bundle is not in its canonical form from line 2 on",
      );
      // Usage: a pinned key is required.
      const nokey = await logseal(["verify", "--bundle", file]);
      expect(nokey.code).toBe(2);
      const both = await logseal(["export", "--store", store, "--bundle", file, "--tiles", dir]);
      expect(both.code).toBe(2);
      const unknown = await logseal([
        "export",
        "--store",
        store,
        "--bundle",
        file,
        "--control",
        "A.12.4.1",
      ]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("E_CONTROL_UNKNOWN");
    } finally {
      log = await (await import("../../src/index.js")).open(store);
    }
  }, 120_000);
});
