import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/bytes.js";
import { LogsealError } from "../../src/errors.js";
import { ed25519Key, ed25519Verifier } from "../../src/note/ed25519.js";
import {
  formatSkey,
  formatVkey,
  generateSigner,
  isValidKeyName,
  keyId,
  parseSkey,
  parseVkey,
  vkeyFromSkey,
} from "../../src/note/index.js";
import { checkpoints, FC_RUNS, hex, note, notes } from "./vectors.js";

ed.hashes.sha512 = sha512;

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LogsealError);
    return (e as LogsealError).code;
  }
  return undefined;
}

const peter = note("go-peterneumann");

describe("key vectors", () => {
  const pairs = [
    ...notes.key_pairs,
    { ...peter, name: "PeterNeumann" } as (typeof notes.key_pairs)[number],
    checkpoints.log_key,
  ];
  it.each(pairs.map((p) => [p.name, p] as const))("%s: skey → vkey, seed, pub, id", (_, p) => {
    const s = parseSkey(p.skey);
    expect(s.name).toBe(p.name);
    expect(s.keyId).toBe(Number.parseInt(p.key_id_hex, 16));
    expect(s.vkey).toBe(p.vkey);
    expect(toHex(s.publicKey)).toBe(p.public_key_hex);
    expect(vkeyFromSkey(p.skey)).toBe(p.vkey);
    expect(formatSkey(p.name, hex(p.seed_hex))).toBe(p.skey);
    expect(formatVkey(p.name, hex(p.public_key_hex))).toBe(p.vkey);
    const v = parseVkey(p.vkey);
    expect(v.name).toBe(p.name);
    expect(v.keyId).toBe(s.keyId);
    expect(v.vkey).toBe(p.vkey);
    expect(toHex(v.publicKey)).toBe(p.public_key_hex);
    expect(keyId(p.name, new Uint8Array([1, ...hex(p.public_key_hex)]))).toBe(s.keyId);
    const msg = utf8("hello\n");
    expect(v.verify(msg, s.sign(msg))).toBe(true);
  });

  it("the signer object holds no seed", () => {
    const s = parseSkey(checkpoints.log_key.skey);
    const dump = JSON.stringify(s) + String(Object.values(s));
    expect(dump).not.toContain(checkpoints.log_key.seed_hex);
    expect(dump).not.toContain("AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f");
  });
});

describe("parseVkey rejects what Go's NewVerifier rejects", () => {
  it.each(notes.invalid_vkeys.map((v) => [v.why, v.vkey]))("%s", (_, vkey) => {
    expect(code(() => parseVkey(vkey))).toBe("E_KEY_INVALID");
  });

  it("every proper substring and every single-byte increment of a vkey", () => {
    const vkey = peter.vkey as string;
    for (let i = 0; i <= vkey.length; i++) {
      for (let j = i + 1; j <= vkey.length; j++) {
        if (i === 0 && j === vkey.length) continue;
        expect(
          code(() => parseVkey(vkey.slice(i, j))),
          vkey.slice(i, j),
        ).toBe("E_KEY_INVALID");
      }
    }
    for (let i = 0; i < vkey.length; i++) {
      const m = vkey.slice(0, i) + String.fromCharCode(vkey.charCodeAt(i) + 1) + vkey.slice(i + 1);
      expect(
        code(() => parseVkey(m)),
        m,
      ).toBe("E_KEY_INVALID");
    }
  });

  it("every proper substring and every single-byte increment of an skey", () => {
    const skey = peter.skey as string;
    for (let i = 0; i <= skey.length; i++) {
      for (let j = i + 1; j <= skey.length; j++) {
        if (i === 0 && j === skey.length) continue;
        expect(code(() => parseSkey(skey.slice(i, j)))).toBe("E_KEY_INVALID");
      }
    }
    for (let i = 0; i < skey.length; i++) {
      const m = skey.slice(0, i) + String.fromCharCode(skey.charCodeAt(i) + 1) + skey.slice(i + 1);
      expect(code(() => parseSkey(m))).toBe("E_KEY_INVALID");
    }
  });

  it("names: whitespace (incl. NBSP, U+2028, U+0085), '+', empty, control, > 255 bytes", () => {
    const pub = hex(peter.public_key_hex as string);
    for (const bad of [
      "",
      "a b",
      "a\u00a0b",
      "a\u2028b",
      "a\u0085b",
      "a\u3000",
      "a+b",
      "a\u0001",
      "\ud800x",
      "x".repeat(256),
      "é".repeat(128),
    ]) {
      expect(isValidKeyName(bad)).toBe(false);
      expect(code(() => formatVkey(bad, pub))).toBe("E_KEY_INVALID");
      // A vkey with a correct id for the bad name is still rejected.
      const tk = new Uint8Array([1, ...pub]);
      const id = keyId(bad, tk).toString(16).padStart(8, "0");
      expect(code(() => parseVkey(`${bad}+${id}+${Buffer.from(tk).toString("base64")}`))).toBe(
        "E_KEY_INVALID",
      );
    }
    for (const good of [
      "x".repeat(255),
      "é".repeat(127),
      "example.com/logseal/ml-audit",
      "a\ufeffb",
      "名前",
    ]) {
      expect(isValidKeyName(good)).toBe(true);
    }
  });

  it("other checks, each with a reason", () => {
    const pub = hex(peter.public_key_hex as string);
    const good = peter.vkey as string;
    const cases: [string, string][] = [
      [good.replace("c74f20a3", "C74F20A3"), ""], // Go accepts uppercase hex
      [good.replace("c74f20a3", "c74f20a"), "8 hex"],
      [good.replace("c74f20a3", "c74f20a30"), "8 hex"],
      [good.replace("c74f20a3", "0xc74f20"), "8 hex"],
      [good.replace("c74f20a3", "c74f20a4"), "does not match"],
      [good.replace("+ARpc", "+ARpc\n"), "base64"],
      [`${good.slice(0, -1)}`, "base64"],
      [good.replace(/\+[^+]*$/, "+"), "base64"], // empty key: regex allows "", Go rejects
      ["PeterNeumann", "8 hex"],
      [formatVkey("PeterNeumann", pub).replace(/^[^+]*/, "Peter"), "does not match"],
    ];
    for (const [vkey, reason] of cases) {
      if (reason === "") {
        expect(parseVkey(vkey).vkey).toBe(good);
        continue;
      }
      try {
        parseVkey(vkey);
        expect.unreachable(vkey);
      } catch (e) {
        expect((e as LogsealError).code).toBe("E_KEY_INVALID");
        expect((e as LogsealError).message).toMatch(/^invalid vkey: /);
        expect(String((e as LogsealError).details?.reason)).toContain(
          reason === "base64" ? "" : reason,
        );
      }
    }
  });

  it("type 0x04 and wrong-length keys, with matching ids", () => {
    const pub = hex(peter.public_key_hex as string);
    const mk = (tk: Uint8Array) =>
      `P+${keyId("P", tk).toString(16).padStart(8, "0")}+${Buffer.from(tk).toString("base64")}`;
    expect(code(() => parseVkey(mk(new Uint8Array([4, ...pub]))))).toBe("E_KEY_INVALID");
    expect(code(() => parseVkey(mk(new Uint8Array([1, ...pub, 0]))))).toBe("E_KEY_INVALID");
    expect(code(() => parseVkey(mk(new Uint8Array([1, ...pub.subarray(1)]))))).toBe(
      "E_KEY_INVALID",
    );
    expect(parseVkey(mk(new Uint8Array([1, ...pub]))).name).toBe("P");
  });

  it("skey errors never contain the key", () => {
    const skey = peter.skey as string;
    const bad = [
      skey.replace("c74f20a3", "c74f20a4"),
      skey.replace("PRIVATE", "private"),
      `${skey}=`,
    ];
    for (const s of bad) {
      try {
        parseSkey(s);
        expect.unreachable();
      } catch (e) {
        expect((e as LogsealError).code).toBe("E_KEY_INVALID");
        expect((e as Error).message).not.toContain("AYEKFALV");
        expect(JSON.stringify((e as LogsealError).details)).not.toContain("AYEKFALV");
      }
    }
  });
});

describe("generateSigner", () => {
  it("makes a random key whose vkey verifies its signatures", () => {
    const a = generateSigner("example.com/logseal/ml-audit");
    const b = generateSigner("example.com/logseal/ml-audit");
    expect(a.skey).not.toBe(b.skey);
    expect(vkeyFromSkey(a.skey)).toBe(a.vkey);
    const s = parseSkey(a.skey);
    const v = parseVkey(a.vkey);
    const msg = utf8("x\n");
    expect(v.verify(msg, s.sign(msg))).toBe(true);
    expect(parseVkey(b.vkey).verify(msg, s.sign(msg))).toBe(false);
  });

  it("rejects an invalid name", () => {
    expect(code(() => generateSigner("has space"))).toBe("E_KEY_INVALID");
  });
});

describe("ed25519", () => {
  it("low-level verify returns false on garbage and never throws", () => {
    const v = ed25519Verifier(hex(peter.public_key_hex as string));
    const msg = utf8("m");
    for (const sig of [
      new Uint8Array(0),
      new Uint8Array(63),
      new Uint8Array(64),
      new Uint8Array(65).fill(255),
    ]) {
      expect(v(msg, sig)).toBe(false);
    }
    expect(v(msg, "nope" as unknown as Uint8Array)).toBe(false);
    for (const pub of [new Uint8Array(32).fill(255), new Uint8Array(32)]) {
      expect(ed25519Verifier(pub)(msg, new Uint8Array(64))).toBe(false);
    }
  });

  it("node:crypto and @noble/ed25519 agree (RFC 8032 is deterministic)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, msg) => {
          const k = ed25519Key(seed);
          expect(toHex(k.publicKey)).toBe(toHex(ed.getPublicKey(seed)));
          const sig = k.sign(msg);
          expect(toHex(sig)).toBe(toHex(ed.sign(msg, seed)));
          expect(ed.verify(sig, msg, k.publicKey, { zip215: false })).toBe(true);
          expect(ed25519Verifier(k.publicKey)(msg, sig)).toBe(true);
        },
      ),
      { numRuns: Math.min(FC_RUNS, 1000) },
    );
  });
});

describe("properties", () => {
  const nameArb = fc
    .string({ unit: "binary", minLength: 1, maxLength: 40 })
    .filter((s) => isValidKeyName(s));

  it("formatVkey/parseVkey and formatSkey/parseSkey round-trip for random names", () => {
    fc.assert(
      fc.property(nameArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), (name, seed) => {
        const skey = formatSkey(name, seed);
        const s = parseSkey(skey);
        expect(s.name).toBe(name);
        const vkey = formatVkey(name, s.publicKey);
        expect(s.vkey).toBe(vkey);
        const v = parseVkey(vkey);
        expect(v.name).toBe(name);
        expect(v.keyId).toBe(s.keyId);
        expect(v.vkey).toBe(vkey);
      }),
      { numRuns: FC_RUNS },
    );
  });

  it("parseVkey never throws anything but E_KEY_INVALID", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (s) => {
        try {
          parseVkey(s);
        } catch (e) {
          expect((e as LogsealError).code).toBe("E_KEY_INVALID");
        }
        try {
          parseSkey(`PRIVATE+KEY+${s}`);
        } catch (e) {
          expect((e as LogsealError).code).toBe("E_KEY_INVALID");
        }
      }),
      { numRuns: FC_RUNS },
    );
  });
});
