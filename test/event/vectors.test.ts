import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type EventVectors, eventVectorsText } from "../../formats/vectors/generate-events.js";
import { fromHex, toHex } from "../../src/bytes.js";
import { LogsealError } from "../../src/errors.js";
import {
  completeEvent,
  decodeLeaf,
  type Event,
  encodeLeaf,
  validateEvent,
} from "../../src/event/index.js";

const path = new URL("../../formats/vectors/events-v1.json", import.meta.url);
const text = readFileSync(path, "utf8");
const vectors = JSON.parse(text) as EventVectors;

describe("formats/vectors/events-v1.json", () => {
  it("is what the generator writes now (regenerate: npx tsx formats/vectors/generate-events.ts)", () => {
    expect(text).toBe(eventVectorsText());
  });
  it("covers valid and invalid leaves", () => {
    expect(vectors.valid.length).toBeGreaterThanOrEqual(15);
    expect(vectors.invalid.length).toBeGreaterThanOrEqual(30);
  });
  it.each(vectors.valid.map((v) => [v.description, v] as const))("valid: %s", (_, v) => {
    const leaf = encodeLeaf(v.event as Event);
    expect(toHex(leaf)).toBe(v.leaf_hex);
    const hash = createHash("sha256").update(Uint8Array.of(0)).update(leaf).digest("hex");
    expect(hash).toBe(v.leaf_hash_hex);
    expect(decodeLeaf(fromHex(v.leaf_hex) as Uint8Array)).toEqual(v.event);
  });
  it.each(vectors.invalid.map((v) => [v.description, v] as const))("invalid: %s", (_, v) => {
    let caught: unknown;
    try {
      decodeLeaf(fromHex(v.leaf_hex) as Uint8Array);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(LogsealError);
    expect((caught as LogsealError).code).toBe(v.error);
  });
});

describe("formats/event-v1.md", () => {
  const doc = readFileSync(new URL("../../formats/event-v1.md", import.meta.url), "utf8");
  const blocks = [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1],
    body: m[2] as string,
  }));
  it("the example: input, stored event, leaf and leaf hash agree with the code", () => {
    const [input, stored] = blocks.filter((b) => b.lang === "json").map((b) => JSON.parse(b.body));
    const plain = blocks.filter((b) => b.lang === "").map((b) => b.body.replace(/\s+/g, ""));
    const [leafHex, hashHex] = plain;
    const event = completeEvent(validateEvent(input), stored.at);
    expect(event).toEqual(stored);
    const leaf = encodeLeaf(event);
    expect(toHex(leaf)).toBe(leafHex);
    expect(leaf.length).toBe(303);
    expect(createHash("sha256").update(Uint8Array.of(0)).update(leaf).digest("hex")).toBe(hashHex);
    expect(vectors.valid[1]?.leaf_hex).toBe(leafHex);
  });
});
