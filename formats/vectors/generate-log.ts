/**
 * Writes formats/vectors/log-v1.json: a whole logseal log, end to end, for independent
 * implementations: 300 events appended in three batches with fixed integration times, their
 * leaves, the checkpoints signed after each batch with a fixed test key, and every file of the
 * C2SP tlog-tiles export of the final tree. Deterministic: the same code writes the same file.
 *
 *   npx tsx formats/vectors/generate-log.ts
 *
 * It computes everything with the pure functions of the library (no store), so that the test
 * that replays it through a real LevelDB store and `logseal export` checks two paths against
 * each other.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  completeEvent,
  demoScenario,
  encodeLeaf,
  entriesPath,
  leafHash,
  parseSkey,
  signCheckpoint,
  tilePath,
  tilesForSize,
  toBase64,
  toHex,
  treeHash,
  validateEvent,
} from "../../src/index.js";
import { encodeEntryBundle } from "../../src/merkle/index.js";

/** The throwaway key of checkpoint.md (seed 00..1f). Never use it for anything real. */
export const SKEY =
  "PRIVATE+KEY+example.com/logseal/ml-audit+4e5c32f0+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f";
export const ORIGIN = "example.com/logseal/ml-audit";
/** Batch boundaries and the integration time (`at`) stamped on each batch. */
export const BATCHES = [
  { end: 100, at: 1_793_700_000_000 },
  { end: 256, at: 1_793_786_400_000 },
  { end: 300, at: 1_793_872_800_000 },
] as const;

export interface LogVectors {
  description: string;
  generator: string;
  origin: string;
  skey: string;
  vkey: string;
  batches: Array<{ at: number; events: Record<string, unknown>[] }>;
  leaves_sha256_hex: string[];
  checkpoints: Array<{ size: number; root_base64: string; note: string }>;
  tiles: Array<{ path: string; bytes: number; sha256_hex: string }>;
}

const sha256hex = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/**
 * Builds the vectors from `events` (default: the first 300 events of the demo scenario; the
 * test passes the events of the committed file, so the file does not drift with the demo).
 */
export function generate(
  events: Record<string, unknown>[] = demoScenario({ days: 14 })
    .flatMap((d) => d.events)
    .slice(0, 300),
): LogVectors {
  const signer = parseSkey(SKEY);
  const leaves: Uint8Array[] = [];
  const batches: LogVectors["batches"] = [];
  const checkpoints: LogVectors["checkpoints"] = [];
  let start = 0;
  for (const b of BATCHES) {
    const batch = events.slice(start, b.end);
    for (const e of batch) leaves.push(encodeLeaf(completeEvent(validateEvent(e), b.at)));
    batches.push({ at: b.at, events: batch });
    const root = treeHash(leaves.map(leafHash));
    const note = signCheckpoint({ origin: ORIGIN, size: b.end, root, extensions: [] }, signer);
    checkpoints.push({ size: b.end, root_base64: toBase64(root), note });
    start = b.end;
  }

  // The tiles export of the final tree, from the leaves alone.
  const size = leaves.length;
  const hashes = leaves.map(leafHash);
  const tiles: LogVectors["tiles"] = [];
  const add = (path: string, data: Uint8Array | string) =>
    tiles.push({
      path,
      bytes: typeof data === "string" ? Buffer.byteLength(data) : data.length,
      sha256_hex: sha256hex(data),
    });
  for (const t of tilesForSize(size)) {
    // Hash i of tile (L, N) is the root of the perfect subtree over 256^L leaves.
    const span = 256 ** t.level;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < t.width; i++) {
      const lo = (t.index * 256 + i) * span;
      parts.push(treeHash(hashes.slice(lo, lo + span)));
    }
    add(tilePath(t.level, t.index, t.width), Buffer.concat(parts));
  }
  for (let n = 0; n * 256 < size; n++) {
    const width = Math.min(256, size - n * 256);
    add(
      entriesPath(n, width === 256 ? undefined : width),
      encodeEntryBundle(leaves.slice(n * 256, n * 256 + width)),
    );
  }
  add("checkpoint", checkpoints.at(-1)?.note ?? "");
  tiles.sort((a, b) => (a.path < b.path ? -1 : 1));

  return {
    description:
      "SELF-GENERATED. A logseal log end to end: the events of each batch, stamped with the batch's `at`, give these leaves (SHA-256 of each leaf's bytes listed), the checkpoints signed after each batch with the test key, and every file of the tlog-tiles export of the final tree (path, length, SHA-256). The key is a throwaway test key (seed 00..1f).",
    generator: "formats/vectors/generate-log.ts",
    origin: ORIGIN,
    skey: SKEY,
    vkey: signer.vkey,
    batches,
    leaves_sha256_hex: leaves.map((l) => toHex(createHash("sha256").update(l).digest())),
    checkpoints,
    tiles,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = new URL("log-v1.json", import.meta.url);
  writeFileSync(out, `${JSON.stringify(generate(), null, 1)}\n`);
  console.log(`wrote ${fileURLToPath(out)}`);
}
