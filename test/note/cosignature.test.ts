import { describe, expect, it } from "vitest";
import { fromBase64, toBase64, utf8 } from "../../src/bytes.js";
import { LogsealError } from "../../src/errors.js";
import {
  COSIGNATURE_V1_SIZE,
  cosignatureMessage,
  cosignatureTimestamp,
  cosignatureVerifier,
  cosigner,
  formatSkey,
  keyId,
  openNote,
  parseNote,
  parseSkey,
  parseVkey,
  signNote,
} from "../../src/note/index.js";
import { checkpoints, hex, notes } from "./vectors.js";

function error(f: () => unknown): LogsealError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LogsealError);
    return e as LogsealError;
  }
  throw new Error("expected an error");
}

const wk = checkpoints.witness_key;
const witnessSkey = formatSkey(wk.name, hex(wk.seed_hex));
const logSigner = parseSkey(checkpoints.log_key.skey);
const logV = parseVkey(checkpoints.log_key.vkey);
const witnessV = cosignatureVerifier(wk.vkey_type_0x04);

describe("cosignature/v1 (type 0x04)", () => {
  it("the witness key: type 0x04 id and vkey", () => {
    const c = cosigner(witnessSkey, wk.cosignature_timestamp);
    expect(c.name).toBe(wk.name);
    expect(c.vkey).toBe(wk.vkey_type_0x04);
    expect(c.keyId).toBe(Number.parseInt(wk.key_id_hex, 16));
    expect(keyId(wk.name, new Uint8Array([4, ...hex(wk.public_key_hex)]))).toBe(c.keyId);
    expect(witnessV.keyId).toBe(c.keyId);
    expect(witnessV.vkey).toBe(wk.vkey_type_0x04);
    // The type 0x01 form of the same key gives the same cosignature verifier.
    const v01 = cosignatureVerifier(parseSkey(witnessSkey).vkey);
    expect(v01.keyId).toBe(c.keyId);
    expect(v01.vkey).toBe(wk.vkey_type_0x04);
  });

  it.each(checkpoints.checkpoints_over_reference_tree.map((c) => [c.tree_size, c] as const))(
    "size %i: reproduces the log and witness lines byte for byte and verifies both",
    (_, c) => {
      expect(
        new TextDecoder().decode(cosignatureMessage(wk.cosignature_timestamp, utf8(c.body))),
      ).toBe(c.witness_cosigned_message);
      const w = cosigner(witnessSkey, () => wk.cosignature_timestamp);
      expect(signNote(c.body, [logSigner, w])).toBe(c.signed_note);
      const opened = openNote(c.signed_note, [logV, witnessV]);
      expect(opened.verified.map((s) => s.line)).toEqual([
        c.log_signature_line,
        c.witness_signature_line,
      ]);
      const ws = opened.verified[1];
      expect(ws?.signature.length).toBe(COSIGNATURE_V1_SIZE);
      expect(cosignatureTimestamp(ws as NonNullable<typeof ws>)).toBe(wk.cosignature_timestamp);
      // Adding the cosignature to the log-signed note, as a witness does.
      const logOnly = openNote(signNote(c.body, [logSigner]), [logV]);
      expect(signNote(logOnly.text, [w], [...logOnly.verified, ...logOnly.unverified])).toBe(
        c.signed_note,
      );
      // Unknown to a log-only verifier list: ignored.
      expect(openNote(c.signed_note, [logV]).unverified.map((s) => s.name)).toEqual([wk.name]);
    },
  );

  it("transparency-dev/formats keys: a type 0x01 vkey is re-derived as 0x04", () => {
    const [k01, k04] = notes.cosignature_keys;
    const v1 = cosignatureVerifier(k01?.vkey as string);
    expect(v1.keyId).toBe(
      Number.parseInt(k01?.cosig_key_id_hex_when_treated_as_0x04 as string, 16),
    );
    expect(v1.vkey.split("+")[2]?.startsWith("B")).toBe(true);
    const v4 = cosignatureVerifier(k04?.vkey as string);
    expect(v4.vkey).toBe(k04?.vkey);
    expect(v4.keyId).toBe(0xda77ade7);
    // A type 0x04 vkey is not a note (type 0x01) key.
    expect(error(() => parseVkey(k04?.vkey as string)).code).toBe("E_KEY_INVALID");
  });

  it("timestamp extraction (formats TestCoSigV1Timestamp)", () => {
    for (const t of notes.cosignature_timestamp_extraction) {
      const raw = fromBase64(t.sig_base64) as Uint8Array;
      expect(raw.length).toBe(t.total_len);
      expect(Buffer.from(raw.subarray(0, 4)).toString("hex")).toBe(t.key_id_hex);
      expect(cosignatureTimestamp(raw.subarray(4))).toBe(t.timestamp);
    }
    expect(cosignatureTimestamp(new Uint8Array(71))).toBeNull();
    expect(cosignatureTimestamp(new Uint8Array(72).fill(0xff))).toBeNull();
  });

  it("the C2SP example: key ids, timestamp, signed message", () => {
    const ex = notes.c2sp_cosignature_example;
    const parsed = parseNote(ex.checkpoint_with_cosig);
    const [log, witness] = parsed.signatures;
    expect(log?.keyId).toBe(Number.parseInt(ex.log_sig.key_id_hex, 16));
    expect(log?.signature.length).toBe(ex.log_sig.sig_len);
    expect(witness?.name).toBe(ex.witness_sig.name);
    expect(witness?.keyId).toBe(Number.parseInt(ex.witness_sig.key_id_hex, 16));
    expect(witness?.signature.length).toBe(8 + ex.witness_sig.ed25519_sig_len);
    const t = cosignatureTimestamp(witness as NonNullable<typeof witness>);
    expect(t).toBe(ex.witness_sig.timestamp);
    expect(new TextDecoder().decode(cosignatureMessage(t as number, utf8(parsed.text)))).toBe(
      ex.signed_message_for_witness,
    );
  });

  it("verify returns false on garbage and never throws", () => {
    const c = checkpoints
      .checkpoints_over_reference_tree[2] as (typeof checkpoints.checkpoints_over_reference_tree)[number];
    const sig = (
      fromBase64(c.witness_signature_line.split(" ")[2] as string) as Uint8Array
    ).subarray(4);
    const text = utf8(c.body);
    expect(witnessV.verify(text, sig)).toBe(true);
    expect(witnessV.verify(text, sig.subarray(0, 71))).toBe(false);
    expect(witnessV.verify(text, new Uint8Array([...sig, 0]))).toBe(false);
    expect(witnessV.verify(text, sig.subarray(8))).toBe(false);
    const later = sig.slice();
    later[7] = (later[7] ?? 0) ^ 1;
    expect(witnessV.verify(text, later)).toBe(false);
    const huge = sig.slice();
    huge[0] = 0x80; // timestamp above 2^63-1
    expect(witnessV.verify(text, huge)).toBe(false);
    expect(witnessV.verify(utf8("a\nb"), sig)).toBe(false);
    expect(witnessV.verify("x" as unknown as Uint8Array, sig)).toBe(false);
    expect(witnessV.verify(text, null as unknown as Uint8Array)).toBe(false);
  });

  it("cosigner: a clock, the system clock, type 0x04 skeys, bad keys", () => {
    let t = 5;
    const w = cosigner(witnessSkey, () => t++);
    const body = checkpoints.checkpoints_over_reference_tree[0]?.body as string;
    const a = openNote(signNote(body, [w]), [witnessV]).verified[0];
    const b = openNote(signNote(body, [w]), [witnessV]).verified[0];
    expect([
      cosignatureTimestamp(a as NonNullable<typeof a>),
      cosignatureTimestamp(b as NonNullable<typeof b>),
    ]).toEqual([5, 6]);
    const now = Math.floor(Date.now() / 1000);
    const sys = openNote(signNote(body, [cosigner(witnessSkey)]), [witnessV]).verified[0];
    expect(
      Math.abs((cosignatureTimestamp(sys as NonNullable<typeof sys>) ?? 0) - now),
    ).toBeLessThan(5);
    // An skey of type 0x04 (transparency-dev/formats), id computed with 0x04.
    const seed = hex(wk.seed_hex);
    const skey04 = `PRIVATE+KEY+${wk.name}+${wk.key_id_hex}+${toBase64(new Uint8Array([4, ...seed]))}`;
    expect(cosigner(skey04, 1).vkey).toBe(wk.vkey_type_0x04);
    expect(error(() => cosigner(skey04.replace(wk.key_id_hex, "00000000"))).code).toBe(
      "E_KEY_INVALID",
    );
    expect(
      error(() => cosigner(`PRIVATE+KEY+x+00000000+${toBase64(new Uint8Array([2, ...seed]))}`))
        .code,
    ).toBe("E_KEY_INVALID");
    expect(error(() => signNote("one line\n", [w])).code).toBe("E_CHECKPOINT_INVALID");
    expect(() => signNote(body, [cosigner(witnessSkey, -1)])).toThrow(RangeError);
    expect(() => signNote(body, [cosigner(witnessSkey, 1.5)])).toThrow(RangeError);
  });

  it("cosignatureVerifier rejects bad vkeys", () => {
    const good = wk.vkey_type_0x04;
    for (const bad of [
      good.replace(wk.key_id_hex, "00000000"),
      good.slice(0, -1),
      good.replace("+BCms", "+ACms"), // type 0x00 with a wrong id
      `${good.split("+")[0]}+${wk.key_id_hex}+${toBase64(new Uint8Array([4, 1, 2]))}`,
      "",
      "name",
    ]) {
      expect(error(() => cosignatureVerifier(bad)).code).toBe("E_KEY_INVALID");
    }
  });
});
