import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toBase64, toHex, utf8 } from "../../src/bytes.js";
import { LogsealError } from "../../src/errors.js";
import {
  formatSkey,
  isValidKeyName,
  keyId,
  openNote,
  parseNote,
  parseSkey,
  parseVkey,
  type Signer,
  signNote,
  type Verifier,
} from "../../src/note/index.js";
import { FC_RUNS, hex, note, notes, stripControls } from "./vectors.js";

function error(f: () => unknown): LogsealError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LogsealError);
    return e as LogsealError;
  }
  throw new Error("expected an error");
}

const peter = note("go-peterneumann");
const two = note("go-two-signers");
const foo = note("c2sp-example-com-foo");
const quasimodo = note("c2sp-quasimodo-parse-only");
const peterV = parseVkey(peter.vkey as string);
const enochV = parseVkey((two.vkeys as string[])[1] as string);
const peterS = parseSkey(peter.skey as string);

describe("Go and C2SP vectors", () => {
  it("signNote reproduces the PeterNeumann note byte for byte", () => {
    const signed = signNote(peter.text as string, [peterS]);
    expect(signed).toBe(peter.signed_note);
    const opened = openNote(signed, [peterV]);
    expect(opened.text).toBe(peter.text);
    expect(opened.verified).toHaveLength(1);
    const sig = opened.verified[0];
    expect(sig?.line).toBe(peter.signature_line);
    expect(sig?.name).toBe("PeterNeumann");
    expect(sig?.keyId).toBe(0xc74f20a3);
    expect(toHex(sig?.signature ?? new Uint8Array())).toBe(
      (peter.signature_bytes_hex as string).slice(8),
    );
  });

  it("opens string and byte input alike", () => {
    const a = openNote(peter.signed_note, [peterV]);
    const b = openNote(utf8(peter.signed_note), [peterV]);
    expect(b).toEqual(a);
  });

  it("two signers: both known, one known, none known", () => {
    const both = openNote(two.signed_note, [peterV, enochV]);
    expect(both.verified.map((s) => s.name)).toEqual(["PeterNeumann", "EnochRoot"]);
    expect(both.unverified).toEqual([]);
    const one = openNote(two.signed_note, [peterV]);
    expect(one.verified.map((s) => s.name)).toEqual(["PeterNeumann"]);
    expect(one.unverified.map((s) => s.name)).toEqual(["EnochRoot"]);
    const none = error(() => openNote(two.signed_note, []));
    expect(none.code).toBe("E_NOTE_UNVERIFIED");
    expect(none.message).toContain("EnochRoot+af0cfe78");
    const detail = none.details as { text: string; unverified: { name: string }[] };
    expect(detail.text).toBe(peter.text);
    expect(detail.unverified.map((s) => s.name)).toEqual(["PeterNeumann", "EnochRoot"]);
  });

  it("the C2SP example.com/foo note", () => {
    const opened = openNote(foo.signed_note, [parseVkey(foo.vkey as string)]);
    expect(opened.text).toBe(foo.text);
    expect(opened.verified[0]?.name).toBe("example.com/foo");
  });

  it("quasimodo: a blank line inside the text; parseNote splits at the last blank line", () => {
    const parsed = parseNote(quasimodo.signed_note);
    expect(parsed.text).toBe(
      "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n",
    );
    expect(parsed.signatures).toHaveLength(1);
    expect(parsed.signatures[0]?.name).toBe("quasimodo.example/salvatore");
    expect(parsed.signatures[0]?.keyId).toBe(0x367ba04b);
    expect(error(() => openNote(quasimodo.signed_note, [peterV])).code).toBe("E_NOTE_UNVERIFIED");
  });

  it("every malformed note is E_NOTE_MALFORMED, for openNote and parseNote", () => {
    const line = `${peter.signature_line}\n`;
    const msgs = notes.invalid_notes_all_malformed.map((c) => {
      if (c.msg !== undefined) return c.msg as string | Uint8Array;
      if (c.msg_hex !== undefined) return hex(c.msg_hex);
      return `${peter.text}\n${line.repeat(101)}`;
    });
    expect(msgs).toHaveLength(8);
    for (const m of msgs) {
      expect(error(() => openNote(m, [peterV])).code).toBe("E_NOTE_MALFORMED");
      expect(error(() => parseNote(m)).code).toBe("E_NOTE_MALFORMED");
    }
    // 100 lines are fine (duplicates of a known key are skipped unverified).
    expect(openNote(`${peter.text}\n${line.repeat(100)}`, [peterV]).verified).toHaveLength(1);
  });

  it("an invalid signature from a known key fails the whole note", () => {
    const c = notes.invalid_signature_from_known_key;
    const e = error(() => openNote(c.msg, c.vkeys.map(parseVkey)));
    expect(e.code).toBe("E_NOTE_BAD_SIGNATURE");
    expect(e.message).toContain("PeterNeumann+c74f20a3");
    expect(e.details).toMatchObject({ name: "PeterNeumann", keyId: 0xc74f20a3 });
    // ... even next to a good signature from another known key.
    const enochLine = two.signed_note.split("\n").at(-2) as string;
    const withGood = `${c.msg}${enochLine}\n`;
    expect(error(() => openNote(withGood, [peterV, enochV])).code).toBe("E_NOTE_BAD_SIGNATURE");
    // Unknown to the verifiers: ignored.
    expect(openNote(withGood, [enochV]).unverified.map((s) => s.name)).toEqual(["PeterNeumann"]);
  });
});

describe("openNote follows Go's note.Open", () => {
  const text = peter.text as string;
  const goodLine = peter.signature_line as string;

  it("ignores unknown keys: other name, or same name with another id", () => {
    const other = parseSkey(formatSkey("PeterNeumann", new Uint8Array(32).fill(7)));
    const stranger = parseSkey(formatSkey("Stranger", new Uint8Array(32).fill(8)));
    const signed = signNote(text, [other, peterS, stranger]);
    const opened = openNote(signed, [peterV]);
    expect(opened.verified.map((s) => s.keyId)).toEqual([peterS.keyId]);
    expect(opened.unverified.map((s) => [s.name, s.keyId])).toEqual([
      ["PeterNeumann", other.keyId],
      ["Stranger", stranger.keyId],
    ]);
  });

  it("a verifier with the right name and id but another key: bad signature", () => {
    const other = parseSkey(formatSkey("PeterNeumann", new Uint8Array(32).fill(7)));
    const forged: Verifier = {
      ...parseVkey(other.vkey),
      keyId: peterV.keyId,
      verify: parseVkey(other.vkey).verify,
    };
    expect(error(() => openNote(peter.signed_note, [forged])).code).toBe("E_NOTE_BAD_SIGNATURE");
  });

  it("skips a second line of a known key without verifying it", () => {
    const garbage = `— PeterNeumann ${toBase64(new Uint8Array([0xc7, 0x4f, 0x20, 0xa3, 1, 2, 3]))}`;
    const opened = openNote(`${text}\n${goodLine}\n${garbage}\n`, [peterV]);
    expect(opened.verified).toHaveLength(1);
    expect(opened.unverified).toHaveLength(0);
    // In the other order the garbage is verified first and fails the note.
    expect(error(() => openNote(`${text}\n${garbage}\n${goodLine}\n`, [peterV])).code).toBe(
      "E_NOTE_BAD_SIGNATURE",
    );
  });

  it("records an identical unknown line once, different unknown lines each", () => {
    const u1 = `— Unknown ${toBase64(new Uint8Array([1, 2, 3, 4, 5]))}`;
    const u2 = `— Unknown ${toBase64(new Uint8Array([1, 2, 3, 4, 6]))}`;
    const opened = openNote(`${text}\n${u1}\n${goodLine}\n${u1}\n${u2}\n`, [peterV]);
    expect(opened.unverified.map((s) => s.line)).toEqual([u1, u2]);
    expect(parseNote(`${text}\n${u1}\n${u1}\n`).signatures).toHaveLength(1);
  });

  it("two verifiers with the same name and id: ambiguous key when that pair is met", () => {
    const e = error(() => openNote(peter.signed_note, [peterV, parseVkey(peter.vkey as string)]));
    expect(e.code).toBe("E_KEY_INVALID");
    expect(e.message).toContain("ambiguous key");
    // Not met: no error (as Go, which only fails on lookup).
    expect(
      openNote(foo.signed_note, [peterV, peterV, parseVkey(foo.vkey as string)]).verified,
    ).toHaveLength(1);
  });

  it("rejects CRLF, TAB, NUL, trailing space, no final newline, lenient base64", () => {
    const sig = goodLine.slice(goodLine.lastIndexOf(" ") + 1);
    const bad = [
      peter.signed_note.replaceAll("\n", "\r\n"),
      peter.signed_note.replace("\n\n", "\r\n\n"),
      peter.signed_note.replace("If you", "If\tyou"),
      peter.signed_note.replace("If you", "If\u0000you"),
      peter.signed_note.replace("\n—", "\n\u001b—"),
      `${peter.signed_note.slice(0, -1)} \n`,
      `${peter.signed_note} `,
      peter.signed_note.slice(0, -1),
      peter.signed_note.replace(sig, sig.replace(/=+$/, "")),
      peter.signed_note.replace(sig, sig.replaceAll("/", "_")),
      peter.signed_note.replace(sig, sig.replace("x08", "-08")),
      peter.signed_note.replace(sig, `${sig.slice(0, -1)}==`),
      peter.signed_note.replace(sig, sig.replace("x08", "x0=")),
      peter.signed_note.replace(sig, `${sig.slice(0, 10)} ${sig.slice(10)}`),
      peter.signed_note.replace("— ", "—  "),
      peter.signed_note.replace("— ", "- "),
      peter.signed_note.replace("— ", "—\u00a0"),
      peter.signed_note.replace("PeterNeumann ", "Peter+Neumann "),
      peter.signed_note.replace("PeterNeumann ", "Peter\u2028Neumann "),
      peter.signed_note.replace("PeterNeumann ", " "),
      peter.signed_note.replace(` ${sig}`, ""),
      peter.signed_note.replace(sig, toBase64(new Uint8Array([0xc7, 0x4f, 0x20, 0xa3]))),
      `${peter.signed_note}\n`,
      `${peter.signed_note}${goodLine}`,
      "\ud800\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
    ];
    for (const m of bad) {
      expect(error(() => openNote(m, [peterV])).code, JSON.stringify(m)).toBe("E_NOTE_MALFORMED");
    }
    // The first two are CR: the reason says so.
    expect(error(() => openNote(bad[0] as string, [peterV])).message).toContain("CRLF");
    // A BOM is part of the signed text, not stripped: the signature no longer matches.
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(peter.signed_note)]);
    expect(error(() => openNote(bom, [peterV])).code).toBe("E_NOTE_BAD_SIGNATURE");
    // Invalid UTF-8 anywhere, overlong encodings and encoded surrogates too.
    for (const bytes of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x80],
    ]) {
      const m = new Uint8Array([...utf8("x"), ...bytes, ...utf8(peter.signed_note)]);
      expect(error(() => openNote(m, [peterV])).code).toBe("E_NOTE_MALFORMED");
    }
  });

  it("accepts what Go accepts: DEL and U+FFFD in text, non-canonical base64 trailing bits", () => {
    const v = parseVkey(peterS.vkey);
    for (const t of ["a\u007fb\n", "\ufffd\n", "\n", "a\n\nb\n\n\nc\n"]) {
      expect(openNote(signNote(t, [peterS]), [v]).text).toBe(t);
    }
    // 68 bytes leave 2 unused bits in the last base64 character; Go ignores them.
    const sig = goodLine.slice(goodLine.lastIndexOf(" ") + 1);
    const last = sig.at(-2) as string; // before the single "="
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const i = alphabet.indexOf(last);
    const tweaked = `${sig.slice(0, -2)}${alphabet[i ^ 1]}=`;
    const opened = openNote(peter.signed_note.replace(sig, tweaked), [peterV]);
    expect(opened.text).toBe(text);
    expect(opened.verified[0]?.line).toBe(goodLine.replace(sig, tweaked));
  });
});

describe("signNote follows Go's note.Sign", () => {
  const text = peter.text as string;

  it("keeps existing signatures first, drops the ones a new signer replaces", () => {
    const a = parseSkey(formatSkey("a.example", new Uint8Array(32).fill(1)));
    const b = parseSkey(formatSkey("b.example", new Uint8Array(32).fill(2)));
    const c = parseSkey(formatSkey("c.example", new Uint8Array(32).fill(3)));
    const first = signNote(text, [a, b]);
    const opened = openNote(first, [parseVkey(a.vkey)]);
    const again = signNote(text, [c, b], [...opened.verified, ...opened.unverified]);
    const lines = again.split("\n").filter((l) => l.startsWith("—"));
    expect(lines.map((l) => l.split(" ")[1])).toEqual(["a.example", "c.example", "b.example"]);
    const all = openNote(
      again,
      [a, b, c].map((s) => parseVkey(s.vkey)),
    );
    expect(all.verified).toHaveLength(3);
    // Re-signing with the same key reproduces the same note.
    expect(
      signNote(text, [b], openNote(first, [parseVkey(a.vkey)]).verified.concat(opened.unverified)),
    ).toBe(first);
  });

  it("rejects bad text and inconsistent existing signatures", () => {
    for (const t of ["", "no newline", "tab\there\n", "cr\r\n", "\ud800\n", "nul\u0000\n"]) {
      expect(error(() => signNote(t, [peterS])).code).toBe("E_NOTE_MALFORMED");
    }
    expect(error(() => signNote(text, [])).code).toBe("E_NOTE_MALFORMED");
    const sig = openNote(peter.signed_note, [peterV]).verified[0] as NonNullable<
      ReturnType<typeof openNote>["verified"][0]
    >;
    expect(error(() => signNote(text, [], [{ ...sig, keyId: 1 }])).code).toBe("E_NOTE_MALFORMED");
    expect(error(() => signNote(text, [], [{ ...sig, name: "Other" }])).code).toBe(
      "E_NOTE_MALFORMED",
    );
    expect(error(() => signNote(text, [], [{ ...sig, signature: new Uint8Array(3) }])).code).toBe(
      "E_NOTE_MALFORMED",
    );
    expect(error(() => signNote(text, [], [{ ...sig, line: `${sig.line}\n` }])).code).toBe(
      "E_NOTE_MALFORMED",
    );
    expect(signNote(text, [], [sig])).toBe(peter.signed_note);
    const badSigner: Signer = { ...peterS, name: "bad name" };
    expect(error(() => signNote(text, [badSigner])).code).toBe("E_KEY_INVALID");
  });
});

describe("properties", () => {
  const nameArb = fc.string({ unit: "binary", minLength: 1, maxLength: 30 }).filter(isValidKeyName);
  const textArb = fc
    .array(fc.string({ unit: "binary", maxLength: 40 }).map(stripControls), {
      minLength: 1,
      maxLength: 6,
    })
    .map((lines) => `${lines.join("\n")}\n`);

  it("a note signed by a random key opens with its verifier, and fails with a forged (name, id)", () => {
    fc.assert(
      fc.property(
        nameArb,
        textArb,
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (name, text, seed, otherSeed) => {
          fc.pre(toHex(seed) !== toHex(otherSeed));
          const s = parseSkey(formatSkey(name, seed));
          const signed = signNote(text, [s]);
          const opened = openNote(signed, [parseVkey(s.vkey)]);
          expect(opened.text).toBe(text);
          expect(opened.verified[0]?.keyId).toBe(s.keyId);
          expect(parseNote(signed).signatures[0]?.line).toBe(signed.slice(text.length + 1, -1));
          // Another key of the same name, with its id forged to the signer's.
          const other = parseVkey(parseSkey(formatSkey(name, otherSeed)).vkey);
          const forged: Verifier = {
            name,
            keyId: s.keyId,
            vkey: other.vkey,
            publicKey: other.publicKey,
            verify: other.verify,
          };
          expect(error(() => openNote(signed, [forged])).code).toBe("E_NOTE_BAD_SIGNATURE");
          // And the real key id of the other key makes the signature unknown.
          expect(error(() => openNote(signed, [other])).code).toBe("E_NOTE_UNVERIFIED");
          expect(keyId(name, new Uint8Array([1, ...s.publicKey]))).toBe(s.keyId);
        },
      ),
      { numRuns: FC_RUNS },
    );
  });

  it("openNote on random input throws only the note error codes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (m) => {
        for (const input of [m, `${peter.text}\n${m}`, `${m}\n\n— ${m}\n`]) {
          try {
            openNote(input, [peterV]);
          } catch (e) {
            expect(["E_NOTE_MALFORMED", "E_NOTE_UNVERIFIED", "E_NOTE_BAD_SIGNATURE"]).toContain(
              (e as LogsealError).code,
            );
          }
        }
      }),
      { numRuns: FC_RUNS },
    );
  });
});
