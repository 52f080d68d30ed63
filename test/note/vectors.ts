// Loads the signed-note and self-generated checkpoint vectors (formats/vectors/).
import { readFileSync } from "node:fs";

function load<T>(file: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../formats/vectors/${file}`, import.meta.url), "utf8"),
  ) as T;
}

export interface KeyPairVector {
  label?: string;
  name: string;
  vkey: string;
  skey: string;
  key_id_hex: string;
  seed_hex: string;
  public_key_hex: string;
}

export interface SignedNoteVectors {
  ed25519_notes: {
    id: string;
    skey?: string;
    vkey?: string;
    vkeys?: string[];
    name?: string;
    key_id_hex?: string;
    seed_hex?: string;
    public_key_hex?: string;
    text?: string;
    signed_note: string;
    signature_line?: string;
    signature_bytes_hex?: string;
  }[];
  invalid_vkeys: { vkey: string; why: string }[];
  invalid_notes_all_malformed: {
    msg?: string;
    msg_hex?: string;
    msg_construction?: string;
    why: string;
  }[];
  invalid_signature_from_known_key: { msg: string; vkeys: string[] };
  key_pairs: KeyPairVector[];
  cosignature_keys: { vkey: string; cosig_key_id_hex_when_treated_as_0x04?: string }[];
  cosignature_timestamp_extraction: {
    sig_base64: string;
    key_id_hex: string;
    timestamp: number;
    total_len: number;
  }[];
  c2sp_cosignature_example: {
    checkpoint_with_cosig: string;
    log_sig: { key_id_hex: string; sig_len: number };
    witness_sig: { name: string; key_id_hex: string; timestamp: number; ed25519_sig_len: number };
    signed_message_for_witness: string;
  };
}

export interface CheckpointVectors {
  log_key: KeyPairVector;
  witness_key: {
    name: string;
    seed_hex: string;
    public_key_hex: string;
    key_id_hex: string;
    vkey_type_0x04: string;
    cosignature_timestamp: number;
  };
  checkpoints_over_reference_tree: {
    tree_size: number;
    root_hash_hex: string;
    body: string;
    log_signature_line: string;
    witness_cosigned_message: string;
    witness_signature_line: string;
    signed_note: string;
  }[];
  checkpoint_with_extension_line: { body: string; signed_note: string };
}

export const notes = load<SignedNoteVectors>("signed-note.json");
export const checkpoints = load<CheckpointVectors>("selfgen-checkpoints-tiles.json");

export function note(id: string): SignedNoteVectors["ed25519_notes"][number] {
  const n = notes.ed25519_notes.find((x) => x.id === id);
  if (n === undefined) throw new Error(`no vector ${id}`);
  return n;
}

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "hex"));
}

/** fast-check runs: quick by default, LOGSEAL_FC_RUNS=10000 for a long run. */
export const FC_RUNS = Number(process.env.LOGSEAL_FC_RUNS ?? 100);

/** True when `s` has no code unit below U+0020 and no lone surrogate. */
export function printable(s: string): boolean {
  if (/\p{Surrogate}/u.test(s)) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return false;
  return true;
}

/** `s` without code units below U+0020 and without lone surrogates. */
export function stripControls(s: string): string {
  return [...s].filter(printable).join("");
}
