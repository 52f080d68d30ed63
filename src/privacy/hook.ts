/**
 * Masking at append: the `privacy` hook of every log opened for writing. As an
 * {@link AppendTransform} it masks each event under the store's policy before it is validated
 * and signed, and puts the clear values, sealed, into the vault; as an
 * {@link AppendContributor} it records which entry holds which subject's values, for erasure.
 * Both land in the append's atomic batch, and only for events actually appended.
 */
import { utf8 } from "../bytes.js";
import { type Location, LogsealError } from "../errors.js";
import type { Event, EventInput } from "../event/index.js";
import { validateEvent } from "../event/index.js";
import type {
  AppendContributor,
  AppendTransform,
  TransformContext,
  TransformResult,
} from "../log.js";
import type { LevelStore, Put } from "../store/level-store.js";
import { MASKED_FIELD, type MaskedSecret, type MaskRecord, maskEvent } from "./mask.js";
import { DEFAULT_POLICY, type Policy } from "./policy.js";
import { erasedKey, placeKey, type Vault } from "./vault.js";

/** Puts to write with one particular input object, when it is appended (erasure). */
const attached = new WeakMap<object, Put[]>();

/** Makes `puts` land in the same atomic batch as `event`, when the privacy hook appends it. */
export function attachPuts(event: object, puts: Put[]): void {
  attached.set(event, puts);
}

export class PrivacyHook implements AppendTransform, AppendContributor {
  readonly name = "privacy";
  readonly vault: Vault | undefined;
  readonly policy: Policy;
  /** Commitment → subject id, for the values of the batch being appended. */
  readonly #pending = new Map<string, string>();
  /** data.erase events of the batch: the subject id they erase. */
  readonly #erasing = new Map<string, true>();

  constructor(vault: Vault | undefined) {
    this.vault = vault;
    this.policy = vault?.policy ?? DEFAULT_POLICY;
  }

  async apply(values: readonly unknown[], context: TransformContext): Promise<TransformResult> {
    this.#pending.clear();
    const out: unknown[] = new Array(values.length);
    const puts: Array<Put[] | undefined> = new Array(values.length);
    let secrets: Array<MaskedSecret[] | undefined> | undefined;
    const keys = this.vault === undefined ? undefined : { pseudonym: this.vault.pseudonymKey };
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      let input: EventInput;
      try {
        input = validateEvent(v);
      } catch {
        out[i] = v; // left to the append path, which names what is wrong and where
        continue;
      }
      let r: ReturnType<typeof maskEvent>;
      try {
        r = maskEvent(input, this.policy, keys ?? {});
      } catch (e) {
        throw withLocation(e, context.locate(i));
      }
      out[i] = r.event;
      if (r.secrets.length > 0) {
        secrets ??= new Array(values.length);
        secrets[i] = r.secrets;
      }
      const extra = typeof v === "object" && v !== null ? attached.get(v) : undefined;
      if (extra !== undefined) puts[i] = [...extra];
    }
    if (secrets !== undefined && this.vault !== undefined) {
      const vault = this.vault;
      const sids = new Map<string, string>();
      for (const list of secrets) {
        for (const s of list ?? [])
          if (!sids.has(s.subject)) sids.set(s.subject, vault.sid(s.subject));
      }
      const dataKeys = vault.newDataKeys(sids.values());
      for (let i = 0; i < values.length; i++) {
        const list = secrets[i];
        if (list === undefined) continue;
        const p = puts[i] ?? [];
        puts[i] = p;
        const used = new Set<string>();
        for (const s of list) {
          const sid = sids.get(s.subject) as string;
          const k = dataKeys.get(sid);
          if (k === undefined) continue;
          if (!used.has(sid)) {
            // Every event that uses a new key carries it: whichever of them is appended (the
            // others may be duplicates), the key lands with it.
            used.add(sid);
            p.push(...k.puts);
          }
          p.push(vault.sealValue(k, s.commit, s.value, s.salt));
          this.#pending.set(s.commit, sid);
        }
      }
    }
    return { values: out, puts };
  }

  async puts(
    entries: ReadonlyArray<{ index: number; event: Event }>,
    _store: LevelStore,
  ): Promise<Put[]> {
    const puts: Put[] = [];
    for (const { index, event } of entries) {
      const d = event.details;
      if (d === undefined) continue;
      if (event.action === "data.erase" && typeof d.subject === "string") {
        // Only for the events eraseSubject appends: a producer's data.erase destroys nothing.
        const sid = d.subject;
        if (this.#erasing.delete(sid)) {
          puts.push({ key: erasedKey(sid), value: utf8(JSON.stringify({ entry: index })) });
        }
      }
      if (this.#pending.size === 0) continue;
      const records = d[MASKED_FIELD];
      if (!Array.isArray(records)) continue;
      for (let n = 0; n < records.length; n++) {
        const commit = (records[n] as unknown as MaskRecord).commit;
        const sid = this.#pending.get(commit);
        if (sid !== undefined) puts.push({ key: placeKey(sid, index, n), value: ZERO });
      }
    }
    this.#pending.clear();
    return puts;
  }

  /**
   * Marks the next data.erase event of `sid` as coming from `eraseSubject`: its entry index is
   * recorded in the subject's tombstone.
   */
  expectErase(sid: string): void {
    this.#erasing.set(sid, true);
  }

  /** Forgets an expected erasure (its append failed). */
  cancelErase(sid: string): void {
    this.#erasing.delete(sid);
  }
}

const ZERO = new Uint8Array(0);

function withLocation(e: unknown, location: Location | undefined): unknown {
  if (!(e instanceof LogsealError) || location === undefined) return e;
  return new LogsealError(e.code, e.message, {
    location: { ...location, ...e.location },
    ...(e.details ? { details: e.details } : {}),
    cause: e.cause,
  });
}
