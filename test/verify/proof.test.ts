/**
 * Offline proof checks (`logseal verify --proof`): the JSON of `logseal prove … --json`,
 * parsed strictly, checked against its embedded checkpoint with pinned keys only.
 */
import { describe, expect, it } from "vitest";
import {
  consistencyProofToJSON,
  generateSigner,
  inclusionProofToJSON,
  openSavedCheckpoint,
  parseNote,
  parseProof,
  parseVkey,
  proveConsistency,
  proveInclusion,
  toBase64,
  treeHash,
  verifyProof,
} from "../../src/index.js";
import { buildLog } from "../store/memory-reader.js";

const ORIGIN = "example.com/logseal/proof-unit";
const { skey, vkey } = generateSigner(ORIGIN);
const keys = [parseVkey(vkey)];
const log = buildLog(300, { skey });
const hashOf = (lo: number, hi: number) => treeHash(log.hashes.slice(lo, hi));

function inclusion(index: number, size: number): string {
  return JSON.stringify(
    inclusionProofToJSON({
      index,
      size,
      leafHash: log.hashes[index] as Uint8Array,
      proof: proveInclusion(index, size, hashOf),
      checkpoint: log.sign(size),
    }),
  );
}

function consistency(from: number, to: number): string {
  return JSON.stringify(
    consistencyProofToJSON({
      from,
      to,
      fromRoot: log.root(from),
      toRoot: log.root(to),
      proof: from === to ? [] : proveConsistency(from, to, hashOf),
      checkpoint: log.sign(to),
    }),
  );
}

const check = (text: string, since?: Parameters<typeof verifyProof>[2]) =>
  verifyProof(parseProof(text), keys, since);

describe("verifyProof", () => {
  it.each([
    [0, 1],
    [0, 300],
    [255, 256],
    [299, 300],
    [123, 200],
  ])("accepts the inclusion of entry %i in size %i", (index, size) => {
    const r = check(inclusion(index, size));
    expect(r).toMatchObject({
      ok: true,
      mode: "proof",
      origin: ORIGIN,
      proof: { type: "inclusion", index, size, ok: true },
      checkpoint: { size, root: toBase64(log.root(size)), verifiedBy: [ORIGIN], ok: true },
      failures: [],
    });
  });

  it.each([
    [1, 1],
    [1, 300],
    [256, 257],
    [100, 299],
  ])("accepts consistency from %i to %i", (from, to) => {
    const r = check(consistency(from, to));
    expect(r.ok).toBe(true);
    expect(r.proof).toEqual({
      type: "consistency",
      from,
      to,
      fromRoot: toBase64(log.root(from)),
      toRoot: toBase64(log.root(to)),
      ok: true,
    });
  });

  it("checks a consistency proof against the auditor's saved checkpoint", () => {
    const saved = openSavedCheckpoint(log.sign(100), keys, ORIGIN).checkpoint;
    expect(check(consistency(100, 300), saved).ok).toBe(true);
    const r = check(consistency(101, 300), saved);
    expect(r.ok).toBe(false);
    expect(r.failures[0]?.message).toContain("your saved checkpoint is size 100");
  });

  it("fails (not throws) on every tampered field", () => {
    const inc = JSON.parse(inclusion(5, 300));
    const con = JSON.parse(consistency(100, 300));
    const other = generateSigner(ORIGIN);
    const otherLog = buildLog(300, { skey: other.skey });
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["index", { ...inc, index: 6 }, "proof"],
      ["size", { ...inc, size: 299 }, "checkpoint"],
      ["leafHash", { ...inc, leafHash: toBase64(log.hashes[6] as Uint8Array) }, "proof"],
      ["proof", { ...inc, proof: inc.proof.slice(1) }, "proof"],
      ["checkpoint root", { ...inc, checkpoint: log.sign(300, log.root(299)) }, "proof"],
      ["unpinned signer", { ...inc, checkpoint: otherLog.sign(300) }, "checkpoint"],
      ["garbage note", { ...inc, checkpoint: "x" }, "checkpoint"],
      ["from", { ...con, from: 99 }, "proof"],
      ["fromRoot", { ...con, fromRoot: toBase64(log.root(99)) }, "proof"],
      ["toRoot", { ...con, toRoot: toBase64(log.root(299)) }, "proof"],
      ["consistency proof", { ...con, proof: [...con.proof].reverse() }, "proof"],
    ];
    for (const [name, p, kind] of cases) {
      const r = check(JSON.stringify(p));
      expect(r.ok, name).toBe(false);
      expect(r.failures[0]?.kind, name).toBe(kind);
    }
  });

  it("rejects what is not a proof as bad input, naming the field", () => {
    const inc = JSON.parse(inclusion(5, 300));
    const bad: Array<[unknown, string | undefined]> = [
      ["[]", undefined],
      [{ ...inc, extra: 1 }, undefined],
      [{ ...inc, index: -1 }, "index"],
      [{ ...inc, index: 1.5 }, "index"],
      [{ ...inc, size: "300" }, "size"],
      [{ ...inc, leafHash: "AAAA" }, "leafHash"],
      [{ ...inc, leafHash: `${inc.leafHash} ` }, "leafHash"],
      [{ ...inc, proof: "x" }, "proof"],
      [{ ...inc, proof: [1] }, "proof[0]"],
      [{ ...inc, proof: Array(129).fill(inc.leafHash) }, "proof"],
      [{ ...inc, checkpoint: 1 }, "checkpoint"],
    ];
    for (const [v, field] of bad) {
      const text = typeof v === "string" ? v : JSON.stringify(v);
      let err: unknown;
      try {
        parseProof(text);
      } catch (e) {
        err = e;
      }
      expect(err, text.slice(0, 60)).toMatchObject({ code: "E_INPUT_JSON" });
      if (field !== undefined)
        expect((err as { location?: { field?: string } }).location?.field).toBe(field);
    }
    expect(() => parseProof("{")).toThrow(/invalid JSON/);
  });

  it("survives mangling: every changed byte and every cut is rejected or fails", () => {
    const text = inclusion(200, 300);
    const outcome = (t: string) => {
      try {
        return check(t).ok ? "ok" : "failed";
      } catch (e) {
        expect(e).toMatchObject({ code: "E_INPUT_JSON" });
        return "rejected";
      }
    };
    expect(outcome(text)).toBe("ok");
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // Some bytes change nothing (JSON whitespace does not exist here; base64 padding bits do).
      const changed =
        text.slice(0, i) + String.fromCharCode(c === 0x41 ? 0x42 : 0x41) + text.slice(i + 1);
      const o = outcome(changed);
      // Only a change that decodes to the same proof may pass (base64 trailing bits, which Go's
      // decoder accepts too, in a hash or in the note's signature).
      if (o === "ok") {
        const { checkpoint: a, ...rest } = parseProof(changed);
        const { checkpoint: b, ...original } = parseProof(text);
        expect(rest).toEqual(original);
        const sig = (note: string) => parseNote(note).signatures.map((x) => [x.keyId, x.signature]);
        expect([parseNote(a).text, sig(a)]).toEqual([parseNote(b).text, sig(b)]);
      }
      expect(outcome(text.slice(0, i)), `cut at ${i}`).not.toBe("ok");
    }
  });
});
