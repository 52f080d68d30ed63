/**
 * The asset inventory (ISO/IEC 27001:2022 control 5.9): every asset any event names, with its
 * kind, first and last seen, event count, last actor, and whether personal data in it was
 * erased.
 *
 * The indexer keeps one record per asset, written when the asset is first named and when it
 * is first erased (so the append path rewrites nothing for assets it has seen before):
 *
 *   x/a/<asset> → {"kind":"dataset","first":0,"firstTs":…,"erased":false}
 *
 * The rest is read when asked for, from the asset posting records (last seen and the event
 * count: the last posting and the number of postings of the asset) and the actor posting
 * records (the actor of each asset's last entry). (measured) Keeping those members current on
 * every append, as `logseal-index/2` did (per-asset records folded from per-append deltas), was
 * a fifth of the indexer's time in bench:lineage.
 */
import { fromUtf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import type { LevelStore } from "../store/level-store.js";
import { forEachGroup } from "./blocks.js";
import {
  ASSET_PREFIX,
  assetKey,
  assetRange,
  postingEnd,
  postingPrefix,
  trailingIndex,
} from "./keys.js";
import { requireIndex } from "./status.js";

/** One asset of the inventory. */
export interface AssetRecord {
  asset: string;
  /** The part of the reference before the first `:` (`dataset`, `model`, `run`). */
  kind: string;
  /** Entry index of the first event naming the asset. */
  first: number;
  firstTs: number;
  /** Entry index of the latest event naming the asset. */
  last: number;
  lastTs: number;
  /** Events naming the asset. */
  events: number;
  /** `actor.id` of the latest event naming it. */
  lastActor: string;
  /** A successful `data.erase` event named it. */
  erased: boolean;
  /** Entry index of the first such event. */
  erasedAt?: number;
}

/** What `x/a/<asset>` holds: the members of {@link AssetRecord} that never change but once. */
export type StoredAsset = Pick<
  AssetRecord,
  "asset" | "kind" | "first" | "firstTs" | "erased" | "erasedAt"
>;

export function encodeRecord(r: StoredAsset): Uint8Array {
  // (measured) A template and Buffer.from cost a fraction of an object spread, JSON.stringify
  // of the object and TextEncoder.
  const erasedAt = r.erasedAt === undefined ? "" : `,"erasedAt":${r.erasedAt}`;
  return Buffer.from(
    `{"kind":"${r.kind}","first":${r.first},"firstTs":${r.firstTs},"erased":${r.erased}${erasedAt}}`,
    "utf8",
  );
}

/**
 * Decodes a stored record; `undefined` for none.
 * @throws LogsealError E_STORE_CORRUPT when the stored bytes are not a record
 */
export function decodeRecord(
  asset: string,
  value: Uint8Array | undefined,
): StoredAsset | undefined {
  if (value === undefined) return undefined;
  let r: unknown;
  try {
    r = JSON.parse(fromUtf8(value) ?? "");
  } catch {
    r = undefined;
  }
  const o = r as Partial<StoredAsset> | undefined;
  if (
    typeof o !== "object" ||
    o === null ||
    !Number.isSafeInteger(o.first) ||
    !Number.isSafeInteger(o.firstTs) ||
    typeof o.kind !== "string" ||
    typeof o.erased !== "boolean" ||
    (o.erasedAt !== undefined && !Number.isSafeInteger(o.erasedAt))
  ) {
    throw damagedRecord(asset);
  }
  const out: StoredAsset = {
    asset,
    kind: o.kind,
    first: o.first as number,
    firstTs: o.firstTs as number,
    erased: o.erased,
  };
  if (o.erasedAt !== undefined) out.erasedAt = o.erasedAt;
  return out;
}

function damagedRecord(asset: string): LogsealError {
  return new LogsealError(
    "E_STORE_CORRUPT",
    `the inventory record of ${JSON.stringify(asset)} is damaged: run 'logseal reindex'`,
    { details: { asset } },
  );
}

/** Reads the stored records of these assets (one `getMany`): first seen, kind, erased. */
export async function readRecords(
  store: LevelStore,
  assets: readonly string[],
): Promise<Array<StoredAsset | undefined>> {
  const values = await store.getMany(assets.map(assetKey));
  return values.map((v, i) => decodeRecord(assets[i] as string, v));
}

/**
 * Visits every group of one field's posting records of segments below `indexed`, in key
 * order (bucket by bucket, segments ascending within a bucket).
 */
async function scanField(
  store: LevelStore,
  field: "asset" | "actor",
  indexed: number,
  fn: (value: string, count: number, last: number, lastTs: number) => void,
  each?: (value: string, index: number) => void,
): Promise<void> {
  const range = { gte: postingPrefix(field, 0), lt: postingEnd(field, 63) };
  for await (const [key, value] of store.iterate(range)) {
    const seg = trailingIndex(key);
    // A segment at or above `indexed` was written after this answer started.
    if (seg >= indexed) continue;
    if (seg < 0 || !forEachGroup(seg, value, fn, each)) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        `the posting record ${JSON.stringify(key)} is damaged: run 'logseal reindex'`,
        { details: { key } },
      );
    }
  }
}

/**
 * The asset inventory, in asset order (bytewise UTF-8 of the reference).
 * @param options.kind only assets of this kind (`dataset`, `model`, …)
 * @throws LogsealError E_INDEX_STALE when the indexes are missing or behind the log
 */
export async function assets(
  store: LevelStore,
  options: { kind?: string } = {},
): Promise<AssetRecord[]> {
  if (options.kind !== undefined && !/^[a-z][a-z0-9_]{0,31}$/.test(options.kind)) {
    throw new LogsealError(
      "E_USAGE",
      `kind ${JSON.stringify(options.kind)} is not an asset kind: a lowercase letter, then up to 31 lowercase letters, digits or '_' (dataset, model)`,
      { location: { field: "kind" } },
    );
  }
  const { indexed } = await requireIndex(store);
  const byAsset = new Map<string, AssetRecord>();
  for await (const [key, value] of store.iterate(assetRange(options.kind))) {
    const r = decodeRecord(key.slice(ASSET_PREFIX.length), value);
    if (r === undefined || r.first >= indexed) continue;
    const a: AssetRecord = {
      asset: r.asset,
      kind: r.kind,
      first: r.first,
      firstTs: r.firstTs,
      last: r.first,
      lastTs: r.firstTs,
      events: 0,
      lastActor: "",
      erased: r.erased,
    };
    if (r.erasedAt !== undefined) a.erasedAt = r.erasedAt;
    byAsset.set(r.asset, a);
  }
  if (byAsset.size === 0) return [];
  // Last seen and counts: each asset's postings, segments in order.
  await scanField(store, "asset", indexed, (value, count, last, lastTs) => {
    const a = byAsset.get(value);
    if (a === undefined) return;
    a.events += count;
    a.last = last;
    a.lastTs = lastTs;
  });
  // The actor of each asset's last entry: the actor postings that hold those entries.
  const wanted = new Map<number, string | null>();
  for (const a of byAsset.values()) wanted.set(a.last, null);
  await scanField(
    store,
    "actor",
    indexed,
    () => {},
    (actor, index) => {
      if (wanted.get(index) === null) wanted.set(index, actor);
    },
  );
  const out: AssetRecord[] = [];
  for (const a of byAsset.values()) {
    const actor = wanted.get(a.last);
    // The postings lack the asset or its last entry's actor: they disagree with the record.
    if (a.events === 0 || actor === null || actor === undefined) throw damagedRecord(a.asset);
    a.lastActor = actor;
    out.push(a);
  }
  // Bytewise UTF-8 order of the reference, as the keys sort.
  const keyed = out.map((r) => ({ r, k: Buffer.from(r.asset, "utf8") }));
  keyed.sort((a, b) => Buffer.compare(a.k, b.k));
  return keyed.map((x) => x.r);
}
