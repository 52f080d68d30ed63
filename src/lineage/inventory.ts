/**
 * The asset inventory (ISO/IEC 27001:2022 control 5.9): one record per asset any event names,
 * kept by the indexer in the same batch as the entries it describes. `x/a/<asset>` is written
 * when the asset is first named, when it is first erased, and at each fold; between folds the
 * latest record of each asset an append named is in that append's delta (`x/i/<first>`), and
 * the inventory is `x/a/` overlaid with the deltas from `meta/inventory` on.
 *
 *   x/a/<asset> → {"kind":"dataset","first":0,"firstTs":…,"last":7,"lastTs":…,"events":3,
 *                  "lastActor":"svc-ingest","erased":false}
 *
 * `first` and `last` are the entry indexes of the first and the latest event naming the asset
 * (as `asset`, an input or an output), with those events' `ts`; `events` counts them;
 * `lastActor` is the latest one's `actor.id`. `erased` becomes true, with `erasedAt` the entry
 * index, when a successful `data.erase` event names the asset.
 */
import { fromUtf8 } from "../bytes.js";
import { LogsealError } from "../errors.js";
import type { LevelStore } from "../store/level-store.js";
import { decodeDelta } from "./blocks.js";
import { assetKind } from "./edges.js";
import type { IndexedFields } from "./fields.js";
import { ASSET_PREFIX, assetKey, assetRange, inventoryKey, parseInventoryKey } from "./keys.js";
import { readInventoryMark, requireIndex } from "./status.js";

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

/** Starts or extends `record` with event `index`; returns it (a new one when undefined). */
export function touch(
  record: AssetRecord | undefined,
  asset: string,
  index: number,
  e: IndexedFields,
): AssetRecord {
  const erase = e.action === "data.erase" && e.outcome === "success";
  if (record === undefined) {
    const r: AssetRecord = {
      asset,
      kind: assetKind(asset),
      first: index,
      firstTs: e.ts,
      last: index,
      lastTs: e.ts,
      events: 1,
      lastActor: e.actor.id,
      erased: erase,
    };
    if (erase) r.erasedAt = index;
    return r;
  }
  record.last = index;
  record.lastTs = e.ts;
  record.events++;
  record.lastActor = e.actor.id;
  if (erase && !record.erased) {
    record.erased = true;
    record.erasedAt = index;
  }
  return record;
}

export function encodeRecord(r: AssetRecord): Uint8Array {
  // (measured) A template and Buffer.from cost a fraction of an object spread, JSON.stringify
  // of the object and TextEncoder, for the thousands of records a batch rewrites.
  const erasedAt = r.erasedAt === undefined ? "" : `,"erasedAt":${r.erasedAt}`;
  return Buffer.from(
    `{"kind":"${r.kind}","first":${r.first},"firstTs":${r.firstTs},"last":${r.last},"lastTs":${r.lastTs},"events":${r.events},"lastActor":${JSON.stringify(r.lastActor)},"erased":${r.erased}${erasedAt}}`,
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
): AssetRecord | undefined {
  if (value === undefined) return undefined;
  let r: unknown;
  try {
    r = JSON.parse(fromUtf8(value) ?? "");
  } catch {
    r = undefined;
  }
  const o = r as Partial<AssetRecord> | undefined;
  if (
    typeof o !== "object" ||
    o === null ||
    !Number.isSafeInteger(o.first) ||
    !Number.isSafeInteger(o.last) ||
    !Number.isSafeInteger(o.events) ||
    typeof o.kind !== "string" ||
    typeof o.lastActor !== "string" ||
    typeof o.erased !== "boolean"
  ) {
    throw new LogsealError(
      "E_STORE_CORRUPT",
      `the inventory record of ${JSON.stringify(asset)} is damaged: run 'logseal reindex'`,
      { details: { asset } },
    );
  }
  return { asset, ...(o as Omit<AssetRecord, "asset">) };
}

/**
 * Reads the inventory records of these assets as `x/a/` holds them (one `getMany`): `first`,
 * `kind` and `erasedAt` are exact; `last`, `events` and `lastActor` may be those of the last
 * fold (use {@link assets} for those).
 */
export async function readRecords(
  store: LevelStore,
  assets: readonly string[],
): Promise<Array<AssetRecord | undefined>> {
  const values = await store.getMany(assets.map(assetKey));
  return values.map((v, i) => decodeRecord(assets[i] as string, v));
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
    if (r !== undefined) byAsset.set(r.asset, r);
  }
  // The deltas after the last fold, in order: each holds the latest records of its assets.
  const folded = await readInventoryMark(store);
  const prefix = options.kind === undefined ? "" : `${options.kind}:`;
  for await (const [key, value] of store.iterate({
    gte: inventoryKey(folded),
    lt: inventoryKey(indexed),
  })) {
    const rows = parseInventoryKey(key) < 0 ? null : decodeDelta(value);
    if (rows === null) {
      throw new LogsealError(
        "E_STORE_CORRUPT",
        `the inventory delta ${JSON.stringify(key)} is damaged: run 'logseal reindex'`,
        { details: { key } },
      );
    }
    for (const r of rows) if (r.asset.startsWith(prefix)) byAsset.set(r.asset, r);
  }
  const out: AssetRecord[] = [];
  for (const r of byAsset.values()) if (r.first < indexed) out.push(r);
  // Bytewise UTF-8 order of the reference, as the keys sort.
  const keyed = out.map((r) => ({ r, k: Buffer.from(r.asset, "utf8") }));
  keyed.sort((a, b) => Buffer.compare(a.k, b.k));
  return keyed.map((x) => x.r);
}
