/**
 * Batch AES-256-GCM (src/store/aead.ts): the native addon (native/aead/aead.c) against
 * node:crypto, both ways, on random keys, nonces, associated data and lengths (0 included);
 * then the vault end to end through the CLI, with values sealed by each backend and revealed.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  aeadBackend,
  aeadLoadError,
  loadNativeAead,
  type SealBatch,
  sealBatch,
  sealBatchNative,
  sealBatchNode,
} from "../../src/store/aead.js";
import { unseal } from "../../src/store/keys.js";
import { json, logseal, MAIN, ORIGIN, ok, runProcess, tempDir } from "../cli/cli.js";
import { piiCorpus } from "./corpus.js";

const { addon, error } = loadNativeAead();
const wantNative = process.env.LOGSEAL_HASH === "native" || process.env.LOGSEAL_AEAD === "native";

/** A batch of the given values, associated data and prefix length, random keys and nonces. */
function batchOf(plains: Uint8Array[], aads: Uint8Array[], prefixLength: number): SealBatch {
  const n = plains.length;
  const ends = (xs: Uint8Array[]) => {
    let s = 0;
    return Uint32Array.from(xs, (x) => (s += x.length));
  };
  return {
    keys: new Uint8Array(randomBytes(32 * n)),
    nonces: new Uint8Array(randomBytes(12 * n)),
    plain: new Uint8Array(Buffer.concat(plains)),
    plainEnds: ends(plains),
    aad: new Uint8Array(Buffer.concat(aads)),
    aadEnds: ends(aads),
    prefix: new Uint8Array(randomBytes(prefixLength * n)),
    prefixLength,
  };
}

/** The records of a sealed batch: [prefix, nonce || ciphertext || tag] each. */
function records(b: SealBatch, out: Uint8Array): Array<[Uint8Array, Uint8Array]> {
  const rs: Array<[Uint8Array, Uint8Array]> = [];
  let at = 0;
  for (let i = 0; i < b.plainEnds.length; i++) {
    const len = (b.plainEnds[i] as number) - (i === 0 ? 0 : (b.plainEnds[i - 1] as number));
    const size = b.prefixLength + 12 + len + 16;
    rs.push([out.subarray(at, at + b.prefixLength), out.subarray(at + b.prefixLength, at + size)]);
    at += size;
  }
  expect(at).toBe(out.length);
  return rs;
}

const part = (i: number, bytes: Uint8Array, ends: Uint32Array) =>
  bytes.subarray(i === 0 ? 0 : (ends[i - 1] as number), ends[i] as number);

const bytesArb = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });

describe("native AES-256-GCM", () => {
  it("is built, loads and passes its self-test (required when LOGSEAL_HASH=native)", () => {
    expect(error).toBeNull();
    if (wantNative) expect(addon, "LOGSEAL_HASH=native or LOGSEAL_AEAD=native").not.toBeNull();
    if (process.env.LOGSEAL_AEAD === "node") expect(aeadBackend).toBe("node");
    else expect(aeadBackend).toBe(addon === null ? "node" : "native");
    expect(aeadLoadError).toBeNull();
  });

  it.runIf(addon !== null)("seals exactly node:crypto's bytes, and each opens the other's", () => {
    const native = addon as NonNullable<typeof addon>;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(bytesArb(80), bytesArb(40)), { minLength: 0, maxLength: 12 }),
        fc.integer({ min: 0, max: 40 }),
        (values, prefixLength) => {
          const b = batchOf(
            values.map(([p]) => p),
            values.map(([, a]) => a),
            prefixLength,
          );
          const out = sealBatchNative(native, b);
          expect(Buffer.from(out).equals(Buffer.from(sealBatchNode(b)))).toBe(true);
          for (const [i, [prefix, sealed]] of records(b, out).entries()) {
            const key = b.keys.subarray(32 * i, 32 * i + 32);
            const plain = part(i, b.plain, b.plainEnds);
            const aad = part(i, b.aad, b.aadEnds);
            expect(Buffer.from(prefix)).toEqual(
              Buffer.from(b.prefix.subarray(prefixLength * i, prefixLength * (i + 1))),
            );
            // native → node:crypto, and node:crypto's own seal (the same bytes) → native.
            expect(Buffer.from(unseal(key, sealed, aad) as Uint8Array)).toEqual(Buffer.from(plain));
            expect(Buffer.from(native.open(key, sealed, aad) as Uint8Array)).toEqual(
              Buffer.from(plain),
            );
            // Any flipped byte, a wrong key or wrong associated data: refused by both.
            const bad = sealed.slice();
            const at = (i * 7) % bad.length;
            bad[at] = (bad[at] as number) ^ 0x40;
            expect(native.open(key, bad, aad)).toBeNull();
            expect(unseal(key, bad, aad)).toBeNull();
            const otherKey = key.slice();
            otherKey[0] = (otherKey[0] as number) ^ 1;
            expect(native.open(otherKey, sealed, aad)).toBeNull();
            const otherAad = new Uint8Array([...aad, 0]);
            expect(native.open(key, sealed, otherAad)).toBeNull();
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it.runIf(addon !== null)("refuses inconsistent lengths, as node:crypto's path does", () => {
    const b = batchOf(
      [new Uint8Array(5), new Uint8Array(0)],
      [new Uint8Array(3), new Uint8Array(1)],
      2,
    );
    const bads: SealBatch[] = [
      { ...b, keys: b.keys.subarray(1) },
      { ...b, nonces: b.nonces.subarray(12) },
      { ...b, plainEnds: Uint32Array.of(6, 5) },
      { ...b, plainEnds: Uint32Array.of(4, 4) },
      { ...b, aadEnds: Uint32Array.of(3, 9) },
      { ...b, prefix: b.prefix.subarray(1) },
    ];
    for (const bad of bads) {
      expect(() => sealBatch(bad)).toThrow(RangeError);
      expect(() => sealBatchNode(bad)).toThrow(RangeError);
    }
    const short = (addon as NonNullable<typeof addon>).open(
      b.keys.subarray(0, 32),
      new Uint8Array(27),
      new Uint8Array(0),
    );
    expect(short).toBeNull();
  });
});

describe("the vault with each backend, through the CLI", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it("LOGSEAL_AEAD=node makes the built CLI's library use node:crypto", async () => {
    const lib = join(MAIN, "..", "..", "src", "store", "aead.js");
    const code = `import(${JSON.stringify(lib)}).then((m) => console.log(m.aeadBackend))`;
    const forced = await runProcess(process.execPath, ["-e", code], {
      env: { ...process.env, LOGSEAL_AEAD: "node" },
    });
    expect(forced.stdout.trim()).toBe("node");
    const free = await runProcess(process.execPath, ["-e", code], {
      env: { ...process.env, LOGSEAL_AEAD: "" },
    });
    expect(free.stdout.trim()).toBe(addon === null ? "node" : "native");
  });

  it("reveals every value appended by either backend, checked against its commitment", async () => {
    const store = join(tmp.dir, "store");
    ok(await logseal(["init", "--store", store, "--origin", ORIGIN]));
    const corpus = piiCorpus({ count: 8, seed: 61 });
    const halves = [corpus.slice(0, 4), corpus.slice(4)];
    // The first half sealed by node:crypto, the second by the addon (when built).
    for (const [h, env] of [
      [0, { LOGSEAL_AEAD: "node" }],
      [1, {}],
    ] as const) {
      const input = join(tmp.dir, `half-${h}.jsonl`);
      await writeFile(input, (halves[h] ?? []).map((c) => JSON.stringify(c.event)).join("\n"));
      ok(await logseal(["append", input, "--store", store], { env }));
    }
    for (let i = 0; i < corpus.length; i++) {
      const r = ok(await logseal(["reveal", String(i), "--store", store, "--json"]));
      const out = json<{ values: Array<{ value?: string; verified?: boolean }> }>(r);
      const shown = out.values.map((v) => v.value);
      for (const p of corpus[i]?.planted ?? []) expect(shown.join("\n")).toContain(p.value);
      expect(out.values.every((v) => v.verified === true)).toBe(true);
    }
    ok(await logseal(["verify", "--store", store, "--trust-store-key"]));
  }, 180_000);
});
