import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesEqual, toBase64, toHex, utf8 } from "../../src/bytes.js";
import { LogsealError } from "../../src/errors.js";
import {
  type Checkpoint,
  cosignatureVerifier,
  cosigner,
  formatCheckpoint,
  formatSkey,
  MAX_TREE_SIZE,
  type OpenedNote,
  openCheckpoint,
  openNote,
  originProblem,
  parseCheckpoint,
  parseSkey,
  parseVkey,
  signCheckpoint,
  signNote,
} from "../../src/note/index.js";
import { checkpoints, FC_RUNS, hex, printable } from "./vectors.js";

function error(f: () => unknown): LogsealError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LogsealError);
    return e as LogsealError;
  }
  throw new Error("expected an error");
}

const logSigner = parseSkey(checkpoints.log_key.skey);
const logV = parseVkey(checkpoints.log_key.vkey);
const witnessV = cosignatureVerifier(checkpoints.witness_key.vkey_type_0x04);
const ORIGIN = "example.com/tlog-test";

describe("self-generated checkpoints over the reference tree", () => {
  it.each(checkpoints.checkpoints_over_reference_tree.map((c) => [c.tree_size, c] as const))(
    "size %i: parse, format, re-sign, open",
    (size, c) => {
      const cp = parseCheckpoint(c.body);
      expect(cp).toEqual({ origin: ORIGIN, size, root: hex(c.root_hash_hex), extensions: [] });
      expect(formatCheckpoint(cp)).toBe(c.body);
      expect(signCheckpoint(cp, logSigner)).toBe(`${c.body}\n${c.log_signature_line}\n`);
      const opened = openCheckpoint(c.signed_note, [logV, witnessV], ORIGIN);
      expect(opened.checkpoint).toEqual(cp);
      expect(opened.note.verified.map((s) => s.name)).toEqual([
        ORIGIN,
        checkpoints.witness_key.name,
      ]);
    },
  );

  it("the extension-line checkpoint round-trips", () => {
    const x = checkpoints.checkpoint_with_extension_line;
    const cp = parseCheckpoint(x.body);
    expect(cp.extensions).toEqual(["extension line one"]);
    expect(cp.size).toBe(8);
    expect(formatCheckpoint(cp)).toBe(x.body);
    expect(signCheckpoint(cp, logSigner)).toBe(x.signed_note);
    expect(openCheckpoint(x.signed_note, [logV], ORIGIN).checkpoint).toEqual(cp);
  });

  it("openCheckpoint: origin and log key checks", () => {
    const note = checkpoints.checkpoints_over_reference_tree[4]?.signed_note as string;
    const wrong = error(() => openCheckpoint(note, [logV, witnessV], "example.com/other"));
    expect(wrong.code).toBe("E_CHECKPOINT_INVALID");
    expect(wrong.details).toMatchObject({ origin: ORIGIN, expected: "example.com/other" });
    // The witness alone verified: not enough when the origin is given.
    expect(error(() => openCheckpoint(note, [witnessV], ORIGIN)).code).toBe("E_NOTE_UNVERIFIED");
    expect(openCheckpoint(note, [witnessV]).checkpoint.size).toBe(8);
    expect(error(() => openCheckpoint(note, [], ORIGIN)).code).toBe("E_NOTE_UNVERIFIED");
    // A signed note whose text is not a checkpoint.
    const notCp = signNote("hello\nworld\n", [logSigner]);
    expect(error(() => openCheckpoint(notCp, [logV])).code).toBe("E_CHECKPOINT_INVALID");
  });

  it("signCheckpoint: the key name must be the origin, a valid logseal origin", () => {
    const cp = parseCheckpoint(checkpoints.checkpoints_over_reference_tree[1]?.body as string);
    expect(
      error(() => signCheckpoint({ ...cp, origin: "example.com/other" }, logSigner)).code,
    ).toBe("E_KEY_INVALID");
    expect(
      error(() => signCheckpoint({ ...cp, origin: "go.sum database tree" }, logSigner)).code,
    ).toBe("E_CHECKPOINT_INVALID");
    expect(error(() => signCheckpoint({ ...cp, root: new Uint8Array(31) }, logSigner)).code).toBe(
      "E_CHECKPOINT_INVALID",
    );
    for (const bad of ["", "a b", "a+b", "a\u0085", "a\u007f", "x".repeat(256), "a\u00a0b"]) {
      expect(originProblem(bad), JSON.stringify(bad)).not.toBeNull();
    }
    expect(originProblem("example.com/logseal/ml-audit")).toBeNull();
  });
});

describe("parseCheckpoint is strict", () => {
  const root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
  const ok = (size: string, r = root, origin = ORIGIN, ext = "") =>
    `${origin}\n${size}\n${r}\n${ext}`;

  it("accepts the limits", () => {
    expect(parseCheckpoint(ok("0")).size).toBe(0);
    expect(parseCheckpoint(ok("9007199254740991")).size).toBe(MAX_TREE_SIZE);
    expect(parseCheckpoint(ok("1", root, "go.sum database tree")).origin).toBe(
      "go.sum database tree",
    );
  });

  it.each([
    ["no final newline", ok("1").slice(0, -1), undefined],
    ["two lines", `${ORIGIN}\n1\n`, undefined],
    ["empty text", "", undefined],
    ["empty origin", ok("1", root, ""), 1],
    ["leading space in origin", ok("1", root, ` ${ORIGIN}`), 1],
    ["trailing space in origin", ok("1", root, `${ORIGIN} `), 1],
    ["trailing NBSP in origin", ok("1", root, `${ORIGIN}\u00a0`), 1],
    ["leading zero", ok("08"), 2],
    ["double zero", ok("00"), 2],
    ["sign", ok("+8"), 2],
    ["negative", ok("-1"), 2],
    ["space in size", ok(" 8"), 2],
    ["exponent", ok("1e3"), 2],
    ["hex", ok("0x10"), 2],
    ["empty size", ok(""), 2],
    ["2^53", ok("9007199254740992"), 2],
    ["2^64", ok("18446744073709551616"), 2],
    ["huge", ok("9".repeat(5000)), 2],
    ["unpadded root", ok("8", root.slice(0, -1)), 3],
    ["url-safe root", ok("8", root.replace("+", "-").replace("/", "_")), 3],
    ["31-byte root", ok("8", toBase64(new Uint8Array(31))), 3],
    ["33-byte root", ok("8", toBase64(new Uint8Array(33))), 3],
    ["non-canonical root", ok("8", `${root.slice(0, -2)}h=`), 3],
    ["root with space", ok("8", ` ${root}`), 3],
    ["empty root", ok("8", ""), 3],
    ["empty extension line", ok("8", root, ORIGIN, "\n"), 4],
    ["empty second extension line", ok("8", root, ORIGIN, "a\n\n"), 5],
    ["CR", ok("8").replace(`${ORIGIN}\n`, `${ORIGIN}\r\n`), 1],
    ["TAB in extension", ok("8", root, ORIGIN, "a\tb\n"), 4],
    ["NUL in origin", ok("8", root, "a\u0000b"), 1],
    ["lone surrogate", ok("8", root, "a\ud800"), 1],
  ])("rejects %s", (_, text, line) => {
    const e = error(() => parseCheckpoint(text));
    expect(e.code).toBe("E_CHECKPOINT_INVALID");
    expect(e.location?.line).toBe(line);
    if (line !== undefined) expect(e.message).toContain(`line ${line}`);
  });

  it("says that sizes above 2^53-1 are not supported", () => {
    expect(error(() => parseCheckpoint(ok("9007199254740992"))).message).toContain("2^53-1");
  });

  it("formatCheckpoint rejects what it cannot write canonically", () => {
    const cp: Checkpoint = { origin: ORIGIN, size: 1, root: new Uint8Array(32), extensions: [] };
    for (const bad of [
      { ...cp, origin: "" },
      { ...cp, origin: "a\nb" },
      { ...cp, origin: " a" },
      { ...cp, size: -1 },
      { ...cp, size: 1.5 },
      { ...cp, size: 2 ** 53 },
      { ...cp, size: Number.NaN },
      { ...cp, root: new Uint8Array(33) },
      { ...cp, extensions: [""] },
      { ...cp, extensions: ["a\nb"] },
    ]) {
      expect(error(() => formatCheckpoint(bad)).code).toBe("E_CHECKPOINT_INVALID");
    }
  });
});

describe("mangling a signed checkpoint", () => {
  const source = checkpoints
    .checkpoints_over_reference_tree[4] as (typeof checkpoints.checkpoints_over_reference_tree)[number];
  const verifiers = [logV, witnessV];

  /**
   * A mangled note must be rejected, or open to the original text with original signature
   * bytes (Go ignores the unused low bits of base64; a renamed line is just an unknown key).
   * Returns how many signatures verified (0 when rejected).
   */
  function check(original: OpenedNote, bytes: Uint8Array): number {
    let verified = 0;
    try {
      const opened = openNote(bytes, verifiers);
      verified = opened.verified.length;
      expect(opened.text).toBe(original.text);
      for (const s of opened.verified) {
        const same = original.verified.find((o) => o.name === s.name && o.keyId === s.keyId);
        expect(same).toBeDefined();
        expect(bytesEqual(s.signature, same?.signature ?? new Uint8Array())).toBe(true);
      }
    } catch (e) {
      expect(e).toBeInstanceOf(LogsealError);
    }
    try {
      const cp = openCheckpoint(bytes, verifiers, ORIGIN);
      expect(cp.checkpoint).toEqual(parseCheckpoint(original.text));
      expect(verified).toBeGreaterThan(0);
    } catch (e) {
      expect(e).toBeInstanceOf(LogsealError);
    }
    return verified;
  }

  for (const [label, note] of [
    ["log and witness signatures", source.signed_note],
    ["log signature only", `${source.body}\n${source.log_signature_line}\n`],
  ] as const) {
    it(`${label}: change each byte, delete each byte, cut at each position`, () => {
      const bytes = utf8(note);
      const original = openNote(bytes, verifiers);
      // Mangled notes on which every original signature still verifies.
      let accepted = 0;
      let tried = 0;
      const full = original.verified.length;
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i] as number;
        for (const v of new Set([
          b ^ 0x01,
          b ^ 0x20,
          b ^ 0x80,
          (b + 1) & 0xff,
          0x00,
          0x0a,
          0x0d,
          0x20,
          0x2b,
        ])) {
          if (v === b) continue;
          const m = bytes.slice();
          m[i] = v;
          tried++;
          if (check(original, m) === full) accepted++;
        }
        const del = new Uint8Array([...bytes.subarray(0, i), ...bytes.subarray(i + 1)]);
        tried++;
        if (check(original, del) === full) accepted++;
      }
      for (let n = 0; n < bytes.length; n++) {
        tried++;
        if (check(original, bytes.subarray(0, n)) === full) accepted++;
      }
      // Only the unused low bits of a signature's last base64 character may change (Go
      // accepts them): at most 3 other characters per signature among the values tried.
      expect(tried).toBeGreaterThan(bytes.length * 8);
      expect(accepted).toBeLessThanOrEqual(3 * full);
    });
  }

  it("also rejects CRLF, TAB, NUL, trailing space, missing final newline, lenient base64", () => {
    const n = source.signed_note;
    const sig = source.log_signature_line.split(" ")[2] as string;
    for (const bad of [
      n.replaceAll("\n", "\r\n"),
      n.replace(`${ORIGIN}\n`, `${ORIGIN}\t\n`),
      n.replace(`${ORIGIN}\n`, `${ORIGIN}\u0000\n`),
      n.replace(`${ORIGIN}\n`, `${ORIGIN} \n`),
      `${n.slice(0, -1)} \n`,
      n.slice(0, -1),
      n.replace(sig, sig.replace(/=$/, "")),
      n.replace(sig, sig.replaceAll("+", "-").replaceAll("/", "_")),
      n.replace("\n8\n", "\n08\n"),
    ]) {
      expect(() => openCheckpoint(bad, verifiers, ORIGIN)).toThrow(LogsealError);
    }
  });
});

describe("properties", () => {
  const lineArb = fc.string({ unit: "binary", minLength: 1, maxLength: 30 }).filter(printable);
  const originArb = lineArb.filter((s) => !/^\p{White_Space}|\p{White_Space}$/u.test(s));
  const cpArb = fc.record({
    origin: originArb,
    size: fc.oneof(fc.nat(1000), fc.maxSafeNat(), fc.constant(MAX_TREE_SIZE)),
    root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    extensions: fc.array(lineArb, { maxLength: 4 }),
  });

  it("parseCheckpoint(formatCheckpoint(x)) equals x", () => {
    fc.assert(
      fc.property(cpArb, (cp) => {
        expect(parseCheckpoint(formatCheckpoint(cp))).toEqual(cp);
      }),
      { numRuns: FC_RUNS },
    );
  });

  it("whatever parseCheckpoint accepts, formatCheckpoint writes back unchanged", () => {
    const part = fc.oneof(
      fc.constantFrom("0", "08", "1", "9007199254740991", "9007199254740992", "\n", " ", "="),
      fc.uint8Array({ minLength: 30, maxLength: 34 }).map(toBase64),
      fc.string({ unit: "binary", maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 8 }), (parts) => {
        const text = parts.join("\n");
        let cp: Checkpoint;
        try {
          cp = parseCheckpoint(text);
        } catch (e) {
          expect((e as LogsealError).code).toBe("E_CHECKPOINT_INVALID");
          return;
        }
        expect(formatCheckpoint(cp)).toBe(text);
      }),
      { numRuns: FC_RUNS * 5 },
    );
  });

  it("signed by a random key named after the origin, opens with its verifier", () => {
    const nameArb = originArb.filter((s) => originProblem(s) === null);
    fc.assert(
      fc.property(
        nameArb,
        cpArb,
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (origin, cp, seed) => {
          const signer = parseSkey(formatSkey(origin, seed));
          const note = signCheckpoint({ ...cp, origin }, signer);
          const opened = openCheckpoint(note, [parseVkey(signer.vkey)], origin);
          expect(opened.checkpoint).toEqual({ ...cp, origin });
        },
      ),
      { numRuns: FC_RUNS },
    );
  });
});

describe("formats/checkpoint.md worked example", () => {
  const doc = readFileSync(new URL("../../formats/checkpoint.md", import.meta.url), "utf8");
  const seed = new Uint8Array(32).map((_, i) => i);
  const origin = "example.com/logseal/ml-audit";
  const skey = formatSkey(origin, seed);
  const signer = parseSkey(skey);
  const root = hex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
  const note = signCheckpoint({ origin, size: 8, root, extensions: [] }, signer);
  const witnessSkey = formatSkey(
    "witness.example/w1",
    seed.map((b) => b + 32),
  );
  const w = cosigner(witnessSkey, 1700000000);
  const o = openNote(
    note,
    [signer].map((s) => parseVkey(s.vkey)),
  );
  const cosigned = signNote(o.text, [w], o.verified);

  it("the document shows exactly what the code produces", () => {
    expect(skey).toBe(
      "PRIVATE+KEY+example.com/logseal/ml-audit+4e5c32f0+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f",
    );
    expect(signer.vkey).toBe(
      "example.com/logseal/ml-audit+4e5c32f0+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
    );
    expect(toHex(signer.publicKey)).toBe(
      "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8",
    );
    for (const s of [skey, signer.vkey, note, cosigned, w.vkey, witnessSkey])
      expect(doc).toContain(s);
    expect(
      openCheckpoint(cosigned, [parseVkey(signer.vkey), cosignatureVerifier(w.vkey)], origin).note
        .verified,
    ).toHaveLength(2);
  });
});
