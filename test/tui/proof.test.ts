/**
 * The detail screen's proof state comes from a check that ran: verified only when the proof,
 * the leaf bytes and the checkpoint's signature all check out; failed or not-checked otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigner, parseVkey } from "../../src/index.js";
import { LocalSource } from "../../tui/data/local.js";
import { checkProof } from "../../tui/screens/detail.js";
import { ev, keysOf, makeStore } from "./helpers.js";

let s: Awaited<ReturnType<typeof makeStore>>;
let source: LocalSource;
beforeAll(async () => {
  s = await makeStore(300, { index: false });
  source = new LocalSource(s.log, { owned: false });
});
afterAll(async () => {
  await s.cleanup();
});

describe("checkProof", () => {
  it("verifies an entry against the latest checkpoint with the key", async () => {
    const entry = await source.entry(123);
    expect(await checkProof(source, entry, keysOf(s.log))).toMatchObject({
      state: "verified",
      size: 300,
      pinned: false,
    });
  });

  it("fails with another key, another leaf, or a proof that leads elsewhere", async () => {
    const entry = await source.entry(5);
    const other = generateSigner("example.com/logseal/tui-test");
    const wrongKey = await checkProof(source, entry, {
      verifiers: [parseVkey(other.vkey)],
      pinned: true,
    });
    expect(wrongKey).toMatchObject({ state: "failed" });
    expect((wrongKey as { why: string }).why).toMatch(/^checkpoint: E_NOTE_/);
    const changed = new Uint8Array(entry.leaf);
    changed[changed.length - 1] = (changed[changed.length - 1] as number) ^ 1;
    expect(await checkProof(source, { ...entry, leaf: changed }, keysOf(s.log))).toMatchObject({
      state: "failed",
      why: "the proof is for another leaf than the entry's bytes",
    });
    // A store whose proofs come back with a changed sibling hash.
    class Lying extends LocalSource {
      override async proveInclusion(i: number, size?: number) {
        const p = await super.proveInclusion(i, size);
        const first = new Uint8Array(p.proof[0] as Uint8Array);
        first[0] = (first[0] as number) ^ 1;
        return { ...p, proof: [first, ...p.proof.slice(1)] };
      }
    }
    const lying = new Lying(s.log, { owned: false });
    expect(await checkProof(lying, entry, keysOf(s.log))).toMatchObject({ state: "failed" });
  });

  it("says not checked for an entry newer than the latest checkpoint", async () => {
    await s.log.append([ev(300)]);
    const entry = await source.entry(300);
    expect(await checkProof(source, entry, keysOf(s.log))).toEqual({
      state: "unavailable",
      why: "not yet covered: the latest checkpoint has size 300",
    });
  });
});
