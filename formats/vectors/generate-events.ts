/**
 * Writes formats/vectors/events-v1.json: test vectors for event schema v1 and its canonical
 * leaf encoding (formats/event-v1.md). Deterministic: the same code writes the same file.
 *
 *   npx tsx formats/vectors/generate-events.ts
 *
 * `valid`: events with their leaf bytes and RFC 6962 leaf hash SHA-256(0x00 || leaf).
 * `invalid`: byte strings that a decoder must reject, with the error logseal reports.
 */

import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromHex, toHex } from "../../src/bytes.js";
import { LogsealError } from "../../src/errors.js";
import { decodeLeaf, type Event, encodeLeaf, MAX_TIMESTAMP } from "../../src/event/index.js";

export interface ValidVector {
  description: string;
  event: Event;
  leaf_hex: string;
  leaf_hash_hex: string;
}

export interface InvalidVector {
  description: string;
  leaf_hex: string;
  error: "E_EVENT_NOT_CANONICAL" | "E_EVENT_INVALID" | "E_EVENT_TOO_LARGE";
}

export interface EventVectors {
  description: string;
  spec: string;
  generator: string;
  valid: ValidVector[];
  invalid: InvalidVector[];
}

const AT = 1_793_606_400_123; // 2026-11-02T08:00:00.123Z
const TS = 1_793_606_400_000;

const base: Event = {
  v: 1,
  ts: TS,
  at: AT,
  actor: { id: "svc-test", kind: "service" },
  action: "test.vector",
  outcome: "success",
};

const validCases: [string, Event][] = [
  [
    "minimal event: the six required fields; small integers as positive fixint",
    { v: 1, ts: 0, at: 1, actor: { id: "a" }, action: "a.b", outcome: "success" },
  ],
  [
    "the example of event-v1.md: a training run reads a dataset and a model, writes a model",
    {
      v: 1,
      id: "run-2f6c-start",
      ts: TS,
      at: AT,
      actor: { id: "bob@acme.example", role: "ml-engineer", kind: "user" },
      action: "run.start",
      outcome: "success",
      asset: "run:2f6c1a7e",
      inputs: ["dataset:clean/support-tickets/2026-11-02", "model:churn@v6"],
      outputs: ["model:churn@v7"],
      controls: ["A.8.32"],
      details: { gpus: 8, lr: 0.0003, framework: "pytorch" },
    },
  ],
  [
    "dataset.ingest with lineage and a content hash",
    {
      v: 1,
      id: "ing-2026-11-02-001",
      ts: TS,
      at: AT,
      actor: { id: "svc-ingest", kind: "service" },
      action: "dataset.ingest",
      outcome: "success",
      asset: "dataset:raw/support-tickets/2026-11-02",
      inputs: ["source:s3://acme-landing/support-tickets/2026-11-02/"],
      outputs: ["dataset:raw/support-tickets/2026-11-02"],
      controls: ["A.5.9", "A.8.15"],
      details: {
        rows: 212345,
        bytes: 98765432100,
        format: "parquet",
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      },
    },
  ],
  [
    "pii.mask",
    {
      ...base,
      actor: { id: "svc-pii-scanner", kind: "service" },
      action: "pii.mask",
      asset: "dataset:clean/support-tickets/2026-11-02",
      inputs: ["dataset:raw/support-tickets/2026-11-02"],
      outputs: ["dataset:clean/support-tickets/2026-11-02"],
      controls: ["A.8.11", "A.5.34"],
      details: { detectors: ["email", "phone", "iban"], masked: { email: 1832, phone: 77 } },
    },
  ],
  [
    "model.export",
    {
      ...base,
      actor: { id: "svc-model-registry", kind: "service" },
      action: "model.export",
      asset: "model:churn@v7",
      outputs: ["file:s3://acme-models/churn/v7/model.onnx"],
      controls: ["A.8.32"],
      details: { format: "onnx", approved_by: "carol" },
    },
  ],
  [
    "access.denied by an actor without kind",
    {
      ...base,
      actor: { id: "mallory@contractor.example", role: "analyst" },
      action: "access.denied",
      outcome: "denied",
      asset: "dataset:raw/call-transcripts/2026-11-02",
      controls: ["A.5.15", "A.8.3"],
      details: { reason: "role analyst may not read raw datasets" },
    },
  ],
  [
    "data.erase",
    {
      ...base,
      id: "erasure-req-4711",
      actor: { id: "dpo@acme.example", role: "privacy-officer", kind: "user" },
      action: "data.erase",
      asset: "subject:7f3a",
      controls: ["A.8.10", "A.5.34"],
      details: { legal_basis: "GDPR Art. 17", keys_deleted: 1 },
    },
  ],
  [
    "an agent actor, outcome failure, empty details and empty lists",
    {
      ...base,
      actor: { id: "agent:copilot-7", kind: "agent" },
      action: "prompt.send",
      outcome: "failure",
      inputs: [],
      outputs: [],
      controls: [],
      details: {},
    },
  ],
  [
    "non-negative integer boundaries: fixint, uint8, uint16, uint32, uint64",
    {
      ...base,
      details: {
        u: [0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 9007199254740991],
      },
    },
  ],
  [
    "negative integer boundaries: negative fixint, int8, int16, int32, int64",
    {
      ...base,
      details: {
        n: [-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -9007199254740991],
      },
    },
  ],
  [
    "timestamps at the ends of their range: ts 0 (fixint), at 8640000000000000 (uint64)",
    { ...base, ts: 0, at: MAX_TIMESTAMP },
  ],
  [
    "non-integer numbers as float64",
    {
      ...base,
      details: {
        f: [0.5, -1.25, 0.1, 1e-300, 5e-324, 4503599627370495.5, -2.2250738585072014e-308],
      },
    },
  ],
  [
    "key order: UTF-8 bytes, so digits < uppercase < lowercase < é < U+E000 < U+1F600",
    {
      ...base,
      details: { a: 1, B: 2, "10": 3, "2": 4, é: 5, "\uE000": 6, "\u{1F600}": 7, "": 8, ab: 9 },
    },
  ],
  [
    "a __proto__ key is an ordinary key",
    { ...base, details: JSON.parse('{"__proto__": {"x": 1}, "constructor": null}') },
  ],
  [
    "string headers: 31 and 32 bytes (fixstr, str8), 255 and 256 bytes (str8, str16)",
    {
      ...base,
      details: {
        s31: "a".repeat(31),
        s32: "a".repeat(32),
        s255: "a".repeat(255),
        s256: "a".repeat(256),
        e15: "é".repeat(15),
        e16: "é".repeat(16),
      },
    },
  ],
  [
    "fixarray and fixmap up to 15 entries, array16 and map16 from 16",
    {
      ...base,
      details: {
        a15: Array.from({ length: 15 }, (_, i) => i),
        a16: Array.from({ length: 16 }, (_, i) => i),
        m16: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])),
      },
    },
  ],
  [
    "null, booleans, free text with control characters and any Unicode",
    {
      ...base,
      details: { z: null, t: true, f: false, text: "line 1\nline 2\t\u0000 日本 😀 \u202e" },
    },
  ],
  ["details nested 32 levels deep (the limit)", { ...base, details: nest(32) }],
  [
    "Unicode in identifiers and asset names with colons and slashes",
    {
      ...base,
      id: "événement-1",
      actor: { id: "José.García@example.es", role: "データ", kind: "user" },
      asset: "dataset:s3://bucket/a:b/ü.parquet",
    },
  ],
];

/** `{a: {a: … {}}}` with `depth` objects. */
function nest(depth: number): Record<string, never> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) v = { a: v };
  return v as Record<string, never>;
}

// Invalid leaves are built from the pieces of the minimal event's leaf.
const P = {
  action: "a6616374696f6e" + "a3612e62",
  actor: "a56163746f72" + "81a26964a161",
  at: "a26174" + "01",
  outcome: "a76f7574636f6d65" + "a773756363657373",
  ts: "a27473" + "00",
  v: "a176" + "01",
  details: "a764657461696c73",
};
const minimalHex = `86${P.action}${P.actor}${P.at}${P.outcome}${P.ts}${P.v}`;
const withAt = (atHex: string) => `86${P.action}${P.actor}a26174${atHex}${P.outcome}${P.ts}${P.v}`;
const withDetails = (detailsHex: string) =>
  `87${P.action}${P.actor}${P.at}${P.details}${detailsHex}${P.outcome}${P.ts}${P.v}`;

const invalidCases: [string, string, InvalidVector["error"]][] = [
  ["uint8 0xcc for an integer that fits a fixint", withAt("cc01"), "E_EVENT_NOT_CANONICAL"],
  ["uint16 0xcd for an integer that fits uint8", withAt("cd0080"), "E_EVENT_NOT_CANONICAL"],
  [
    "uint64 0xcf for an integer that fits uint32",
    withAt("cf00000000ffffffff"),
    "E_EVENT_NOT_CANONICAL",
  ],
  [
    "int64 0xd3 for a positive integer (unsigned types are used for n >= 0)",
    withAt("d30000000100000000"),
    "E_EVENT_NOT_CANONICAL",
  ],
  ["int8 0xd0 for a non-negative integer", withAt("d001"), "E_EVENT_NOT_CANONICAL"],
  ["int16 0xd1 for -1", withDetails("81a16ed1ffff"), "E_EVENT_NOT_CANONICAL"],
  ["float64 for an integral value (1.0)", withAt("cb3ff0000000000000"), "E_EVENT_NOT_CANONICAL"],
  [
    "float64 -0.0 (the integer 0 is written 0x00)",
    withDetails("81a17acb8000000000000000"),
    "E_EVENT_NOT_CANONICAL",
  ],
  [
    "float32 0xca (non-integers are float64)",
    withDetails("81a166ca3f000000"),
    "E_EVENT_NOT_CANONICAL",
  ],
  ["float64 NaN", withDetails("81a166cb7ff8000000000000"), "E_EVENT_INVALID"],
  ["float64 +Infinity", withDetails("81a166cb7ff0000000000000"), "E_EVENT_INVALID"],
  [
    "uint64 2^53: canonical MessagePack, but not a safe integer",
    withAt("cf0020000000000000"),
    "E_EVENT_INVALID",
  ],
  [
    "float64 1e300: integral and beyond 2^53-1",
    withDetails("81a166cb7e37e43c8800759c"),
    "E_EVENT_INVALID",
  ],
  [
    "str8 0xd9 for a string that fits a fixstr",
    `86${P.action.replace("a3612e62", "d903612e62")}${P.actor}${P.at}${P.outcome}${P.ts}${P.v}`,
    "E_EVENT_NOT_CANONICAL",
  ],
  [
    "str16 0xda for a key that fits a fixstr",
    `86${P.action}${P.actor}${P.at}${P.outcome}${P.ts}da000176 01`.replace(" ", ""),
    "E_EVENT_NOT_CANONICAL",
  ],
  [
    "bin8 0xc4 for a string",
    `86${P.action.replace("a3612e62", "c403612e62")}${P.actor}${P.at}${P.outcome}${P.ts}${P.v}`,
    "E_EVENT_NOT_CANONICAL",
  ],
  ["map16 0xde for a map of 6 entries", `de0006${minimalHex.slice(2)}`, "E_EVENT_NOT_CANONICAL"],
  ["array16 0xdc for an array of 1", withDetails("81a161dc000101"), "E_EVENT_NOT_CANONICAL"],
  [
    "keys out of order (actor before action)",
    `86${P.actor}${P.action}${P.at}${P.outcome}${P.ts}${P.v}`,
    "E_EVENT_NOT_CANONICAL",
  ],
  [
    "keys in UTF-16 order (U+1F600 before U+E000)",
    withDetails("82a4f09f988001a3ee808002"),
    "E_EVENT_NOT_CANONICAL",
  ],
  ["a duplicate key", withDetails("82a16101a16102"), "E_EVENT_NOT_CANONICAL"],
  ["a trailing byte", `${minimalHex}00`, "E_EVENT_NOT_CANONICAL"],
  ["two concatenated leaves", `${minimalHex}${minimalHex}`, "E_EVENT_NOT_CANONICAL"],
  ["truncated by one byte", minimalHex.slice(0, -2), "E_EVENT_NOT_CANONICAL"],
  ["empty", "", "E_EVENT_NOT_CANONICAL"],
  ["an ext type (fixext1)", withAt("d40001"), "E_EVENT_NOT_CANONICAL"],
  ["the timestamp extension (type -1)", withAt("d6ff00000001"), "E_EVENT_NOT_CANONICAL"],
  ["the never-used byte 0xc1", withAt("c1"), "E_EVENT_NOT_CANONICAL"],
  ["a non-string map key", withDetails("810101"), "E_EVENT_NOT_CANONICAL"],
  ["invalid UTF-8 (0xff)", withDetails("81a161a1ff"), "E_EVENT_NOT_CANONICAL"],
  [
    "an overlong UTF-8 encoding of '/' (0xc0 0xaf)",
    withDetails("81a161a2c0af"),
    "E_EVENT_NOT_CANONICAL",
  ],
  [
    "UTF-8 of a surrogate (U+D800 as ed a0 80)",
    withDetails("81a161a3eda080"),
    "E_EVENT_NOT_CANONICAL",
  ],
  ["the root is not a map", "01", "E_EVENT_INVALID"],
  ["at missing", `85${P.action}${P.actor}${P.outcome}${P.ts}${P.v}`, "E_EVENT_INVALID"],
  [
    "an unknown field",
    `87${P.action}${P.actor}${P.at}a478747261c0${P.outcome}${P.ts}${P.v}`,
    "E_EVENT_INVALID",
  ],
  ["v 2", `86${P.action}${P.actor}${P.at}${P.outcome}${P.ts}a17602`, "E_EVENT_INVALID"],
  ["details nested 33 levels deep", withDetails(`${"81a161".repeat(32)}80`), "E_EVENT_INVALID"],
  ["a map32 count beyond the buffer", withDetails("dfffffffff"), "E_EVENT_NOT_CANONICAL"],
];

export function eventVectors(): EventVectors {
  const valid = validCases.map(([description, event]): ValidVector => {
    const leaf = encodeLeaf(event);
    return {
      description,
      event: decodeLeaf(leaf), // the normalised event, as a decoder returns it
      leaf_hex: toHex(leaf),
      leaf_hash_hex: createHash("sha256").update(Uint8Array.of(0)).update(leaf).digest("hex"),
    };
  });
  const invalid = invalidCases.map(([description, leafHex, error]): InvalidVector => {
    // Self-check: the case must fail the way it says.
    let code: unknown = "accepted";
    try {
      decodeLeaf(fromHex(leafHex) ?? new Uint8Array(0));
    } catch (e) {
      code = e instanceof LogsealError ? e.code : e;
    }
    if (code !== error) throw new Error(`invalid vector "${description}": got ${String(code)}`);
    return { description, leaf_hex: leafHex, error };
  });
  return {
    description:
      "logseal event schema v1: canonical MessagePack leaves. valid: encode event to leaf_hex " +
      "and decode leaf_hex to event; leaf_hash_hex is SHA-256(0x00 || leaf). invalid: a decoder " +
      "must reject leaf_hex; error is the code logseal reports.",
    spec: "formats/event-v1.md",
    generator: "npx tsx formats/vectors/generate-events.ts",
    valid,
    invalid,
  };
}

/** The file's text: JSON, two-space indent, trailing newline. */
export function eventVectorsText(): string {
  return `${JSON.stringify(eventVectors(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = fileURLToPath(new URL("./events-v1.json", import.meta.url));
  writeFileSync(out, eventVectorsText());
  console.log(`wrote ${out}`);
}
