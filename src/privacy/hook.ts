/**
 * Masking at append: the `privacy` transform of every log. It masks each event under the
 * store's policy before the event is validated and signed, and puts the clear values, sealed,
 * into the vault, with the place of each (entry index, position in `$masked`) under its
 * subject, for erasure. The puts land in the append's atomic batch, and only for the events
 * actually appended.
 *
 * The places are written by the transform's `placed` step, which the append path calls with the
 * entry index it gave each input (none for a duplicate). (measured) Deriving them from the new
 * entries instead, as an AppendContributor, made the append path decode every new leaf: 40% of
 * the time of masking at append on the demo events.
 */
import { utf8 } from "../bytes.js";
import type { AppendTransform, TransformContext, TransformResult } from "../log.js";
import type { PortableStep } from "../prepare.js";
import type { Put } from "../store/level-store.js";
import type { MaskedSecret, MaskKeys } from "./mask.js";
import { maskValues } from "./mask-batch.js";
import { DEFAULT_POLICY, type Policy } from "./policy.js";
import {
  type EntryItem,
  erasedKey,
  placeKey,
  type SealItem,
  type SubjectKey,
  type Vault,
} from "./vault.js";

/** Puts to write with one particular input object, when it is appended (erasure). */
const attached = new WeakMap<object, Put[]>();

/** Makes `puts` land in the same atomic batch as `event`, when the privacy hook appends it. */
export function attachPuts(event: object, puts: Put[]): void {
  attached.set(event, puts);
}

/** Inputs of an erasure: the subject id whose tombstone records the entry index. */
const erasing = new WeakMap<object, string>();

/** Marks `event` as the data.erase event of `sid`: its tombstone gets the entry index. */
export function markErase(event: object, sid: string): void {
  erasing.set(event, sid);
}

const EMPTY = new Uint8Array(0);

export class PrivacyHook implements AppendTransform {
  readonly name = "privacy";
  readonly vault: Vault | undefined;
  readonly policy: Policy;

  /**
   * The vault layout the hook writes (formats/storage.md, "Vault"): 2, or 1 as earlier
   * versions wrote it (kept to make layout-1 stores in tests and benchmarks).
   */
  readonly layout: 1 | 2;

  constructor(vault: Vault | undefined, options: { layout?: 1 | 2 } = {}) {
    this.vault = vault;
    this.policy = vault?.policy ?? DEFAULT_POLICY;
    this.layout = options.layout ?? 2;
  }

  async apply(values: readonly unknown[], context: TransformContext): Promise<TransformResult> {
    const count = values.length;
    const { values: out, secrets } = maskValues(values, this.policy, this.#keys(), context.locate);
    const puts: Array<Put[] | undefined> = new Array(count);
    let special = false;
    for (let i = 0; i < count; i++) {
      const v = values[i];
      if (typeof v === "object" && v !== null) {
        const extra = attached.get(v);
        if (extra !== undefined) puts[i] = [...extra];
        if (erasing.has(v)) special = true;
      }
    }
    if ((secrets === undefined || this.vault === undefined) && !special) return { values: out };

    return { values: out, puts, placed: async (indexes) => this.#place(values, indexes, secrets) };
  }

  /** The masking part, for a thread that prepares appends (src/prepare.ts: maskValues). */
  portable(): PortableStep {
    const pseudonym = this.vault?.pseudonymKey;
    return pseudonym === undefined
      ? { kind: "privacy", name: this.name, policy: this.policy }
      : { kind: "privacy", name: this.name, policy: this.policy, pseudonym };
  }

  /**
   * The vault part, for events masked by {@link portable}'s step elsewhere: `carried` is what
   * maskValues returned as `secrets`. (Erasures and attached puts go through `apply` only.)
   */
  resume(carried: ReadonlyArray<unknown> | undefined): Pick<TransformResult, "placed"> {
    const secrets = carried as ReadonlyArray<MaskedSecret[] | undefined> | undefined;
    if (secrets === undefined || this.vault === undefined) return {};
    return {
      placed: async (indexes) => this.#place(new Array(indexes.length), indexes, secrets),
    };
  }

  #keys(): MaskKeys {
    return this.vault === undefined ? {} : { pseudonym: this.vault.pseudonymKey };
  }

  /** The vault records of the inputs appended, at the entry indexes the append gave them. */
  #place(
    values: readonly unknown[],
    indexes: ReadonlyArray<number | undefined>,
    secrets: ReadonlyArray<MaskedSecret[] | undefined> | undefined,
  ): Put[] {
    const count = values.length;
    const p: Put[] = [];
    for (let i = 0; i < count; i++) {
      const v = values[i];
      const sid = typeof v === "object" && v !== null ? erasing.get(v) : undefined;
      const index = indexes[i];
      if (sid === undefined || index === undefined) continue;
      p.push({ key: erasedKey(sid), value: utf8(JSON.stringify({ entry: index })) });
    }
    if (this.vault !== undefined) {
      for (let i = 0; i < count; i++) {
        const v = values[i];
        const sid = typeof v === "object" && v !== null ? erasing.get(v) : undefined;
        if (sid === undefined || indexes[i] === undefined) continue;
        // An erasure forgets the subject's remembered key in the batch that destroys its keys,
        // and destroys that key too if the erasure did not list it (drawn by a batch appended
        // after it read the subject's keys).
        for (const key of this.vault.subjectKeys.forget(sid)) p.push({ key, value: EMPTY });
      }
    }
    if (secrets === undefined || this.vault === undefined) return p;
    const vault = this.vault;
    // Keys only for the subjects of inputs that are appended.
    const needed = new Set<string>();
    for (let i = 0; i < count; i++) {
      if (indexes[i] === undefined) continue;
      for (const s of secrets[i] ?? []) needed.add(s.subject);
    }
    const dataKeys = vault.keysFor(needed);
    if (this.layout === 1) return this.#layout1(p, vault, dataKeys, indexes, secrets);
    // Layout 2: one record per entry with its sealed values, one per subject key with the
    // wrapped key and the places of its values in this batch (also when a batch before wrote
    // the key: the batch that drew it may have failed).
    const places = new Map<SubjectKey, number[]>();
    const items: EntryItem[] = [];
    forEachSecret(indexes, secrets, dataKeys, (s, k, index, n) => {
      const at = places.get(k);
      if (at === undefined) places.set(k, [index, n]);
      else at.push(index, n);
      items.push({ k, commit: s.commit, value: s.value, salt: s.salt, index, n });
    });
    // All the batch's values sealed in one call (one native AES-256-GCM pass when built).
    for (const put of vault.sealEntries(items)) p.push(put);
    for (const [k, at] of places) p.push(vault.keyRecord(k, at));
    return p;
  }

  /** Layout 1: per value a sealed record `v/c/…` and a place `v/x/…`; `v/k/…` per key. */
  #layout1(
    p: Put[],
    vault: Vault,
    dataKeys: ReadonlyMap<string, SubjectKey>,
    indexes: ReadonlyArray<number | undefined>,
    secrets: ReadonlyArray<MaskedSecret[] | undefined>,
  ): Put[] {
    const written = new Set<string>();
    const items: SealItem[] = [];
    forEachSecret(indexes, secrets, dataKeys, (s, k, index, n) => {
      if (!written.has(s.subject)) {
        written.add(s.subject);
        p.push(k.put);
        if (k.records[0] !== k.put.key) k.records.unshift(k.put.key);
      }
      items.push({ k, commit: s.commit, value: s.value, salt: s.salt });
      p.push({ key: placeKey(k.sid, index, n), value: EMPTY });
    });
    for (const put of vault.sealValues(items)) p.push(put);
    return p;
  }
}

/**
 * Calls `f` for each value to seal, in entry order: the secret, its subject's data key, the
 * entry's index and the value's position `n` in the entry's `$masked` (entries without an
 * index, and subjects without a key, are skipped).
 */
function forEachSecret(
  indexes: ReadonlyArray<number | undefined>,
  secrets: ReadonlyArray<MaskedSecret[] | undefined>,
  dataKeys: ReadonlyMap<string, SubjectKey>,
  f: (s: MaskedSecret, k: SubjectKey, index: number, n: number) => void,
): void {
  for (let i = 0; i < secrets.length; i++) {
    const list = secrets[i];
    const index = indexes[i];
    if (list === undefined || index === undefined) continue;
    for (let n = 0; n < list.length; n++) {
      const s = list[n] as MaskedSecret;
      const k = dataKeys.get(s.subject);
      if (k !== undefined) f(s, k, index, n);
    }
  }
}
