/**
 * fast-check arbitraries of JSON values and complete events, including the encoding's edge
 * cases (integer and length boundaries, array-index and `__proto__` keys, astral characters).
 * Shared by the leaf encoding's laws (leaf-properties.test.ts) and the live tail's leaf-to-JSON
 * transcoder (test/server/leaf-json.test.ts).
 */
import fc from "fast-check";
import { completeEvent, type Event, MAX_TIMESTAMP, validateEvent } from "../../src/event/index.js";
import type { JsonValue } from "../../src/event/schema.js";

const interestingInts = [
  0,
  1,
  31,
  32,
  127,
  128,
  255,
  256,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  -1,
  -31,
  -32,
  -33,
  -127,
  -128,
  -129,
  -32768,
  -32769,
  -(2 ** 31),
  -(2 ** 31) - 1,
  -(2 ** 32),
  -(2 ** 53 - 1),
];
export const safeInt = fc.oneof(
  fc.constantFrom(...interestingInts),
  fc.integer({ min: -1000, max: 1000 }),
  fc.maxSafeInteger(),
  fc.integer({ min: -(2 ** 31) - 10, max: 2 ** 32 + 10 }),
);
export const float = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .filter((x) => !Number.isInteger(x) || Number.isSafeInteger(x))
  .map((x) => (x === 0 ? 0 : x));
export const anyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
  fc.constantFrom("", "a".repeat(31), "a".repeat(32), "é".repeat(128), "x".repeat(256)),
);
export const key = fc.oneof(
  anyString,
  fc.constantFrom("a", "B", "10", "2", "é", "\uE000", "\u{1F600}", "__proto__", "constructor", ""),
);

export const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    safeInt,
    float,
    anyString,
    fc.array(tie("json"), { maxLength: 5 }),
    fc.dictionary(key, tie("json"), { maxKeys: 5, noNullPrototype: true }),
    // Around the fixarray/array16 and fixmap/map16 boundaries (15/16 entries).
    fc.array(fc.oneof(safeInt, anyString), { minLength: 14, maxLength: 18 }),
    fc.dictionary(key, safeInt, { minKeys: 14, maxKeys: 18, noNullPrototype: true }),
  ),
}));
export const details = fc.dictionary(key, json, { maxKeys: 6, noNullPrototype: true });

export const text = fc
  .string({
    unit: fc.constantFrom(..."abcXYZ019-_.@:/ é日😀"),
    minLength: 1,
    maxLength: 16,
  })
  .filter((s) => s.trim() === s);
const segment = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
export const action = fc.array(segment, { minLength: 2, maxLength: 4 }).map((s) => s.join("."));
export const assetRef = fc
  .tuple(fc.constantFrom("dataset", "model", "run", "job", "file", "k_9"), text)
  .map(([k, n]) => `${k}:${n}`);
export const control = fc
  .tuple(fc.integer({ min: 5, max: 8 }), fc.integer({ min: 1, max: 37 }))
  .map(([a, b]) => `A.${a}.${b}`);
export const timestamp = fc.oneof(
  fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 1_764_000_000_000, MAX_TIMESTAMP),
  fc.integer({ min: 0, max: MAX_TIMESTAMP }),
);

export const eventInput = fc.record(
  {
    v: fc.constant(1),
    id: text,
    ts: timestamp,
    actor: fc.record(
      { id: text, role: text, kind: fc.constantFrom("user", "service", "agent") },
      { requiredKeys: ["id"] },
    ),
    action,
    outcome: fc.constantFrom("success", "failure", "denied"),
    asset: assetRef,
    inputs: fc.uniqueArray(assetRef, { maxLength: 4 }),
    outputs: fc.uniqueArray(assetRef, { maxLength: 4 }),
    controls: fc.uniqueArray(control, { maxLength: 4 }),
    details,
  },
  { requiredKeys: ["actor", "action", "outcome"] },
);
export const event: fc.Arbitrary<Event> = fc
  .tuple(eventInput, timestamp)
  .map(([input, at]) => completeEvent(validateEvent(input), at));
