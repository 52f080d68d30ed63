/**
 * The block cache both data sources share (tui/data/blocks.ts): reads shared while in flight,
 * least recently used blocks dropped, a tail block read again when the log has grown past it.
 * The sources themselves run on a real store and a real server in screens and server tests.
 */
import { describe, expect, it } from "vitest";
import { BLOCK_ROWS, RowBlocks } from "../../tui/data/blocks.js";
import type { Row } from "../../tui/data/source.js";

/** A log of `size` rows whose reads are counted per block. */
function logOf(size: number) {
  const log = { size, reads: [] as number[] };
  const blocks = new RowBlocks(
    async (n, want) => {
      log.reads.push(n);
      await new Promise((r) => setTimeout(r, 5));
      return Array.from(
        { length: want },
        (_, i) => ({ index: n * BLOCK_ROWS + i, event: { action: "x" } }) as unknown as Row,
      );
    },
    () => log.size,
    3,
  );
  return { log, blocks };
}

describe("RowBlocks", () => {
  it("reads a block once for callers that ask while it is read, and peeks it after", async () => {
    const { log, blocks } = logOf(1000);
    expect(blocks.peek(10)).toBeUndefined();
    const [a, b] = await Promise.all([blocks.rows(0, 20), blocks.rows(10, 20)]);
    expect(log.reads).toEqual([0]);
    expect(a.map((r) => r.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(b[0]?.index).toBe(10);
    expect(blocks.peek(255)?.index).toBe(255);
    // Across a block boundary, and clipped at the end of the log.
    const c = await blocks.rows(250, 10);
    expect(c.map((r) => r.index)).toEqual([250, 251, 252, 253, 254, 255, 256, 257, 258, 259]);
    expect((await blocks.rows(995, 10)).map((r) => r.index)).toEqual([995, 996, 997, 998, 999]);
  });

  it("keeps the most recently used blocks, and reads a tail block again once it grew", async () => {
    const { log, blocks } = logOf(1000);
    for (const n of [0, 1, 2]) await blocks.block(n);
    await blocks.block(0); // used again: block 1 is now the oldest
    await blocks.block(3);
    expect(blocks.get(1)).toBeUndefined();
    expect(blocks.get(0)).toBeDefined();
    expect(log.reads).toEqual([0, 1, 2, 3]);
    expect((await blocks.block(3)).length).toBe(1000 - 3 * BLOCK_ROWS);
    log.size = 1010;
    expect((await blocks.block(3)).length).toBe(1010 - 3 * BLOCK_ROWS);
    expect(log.reads).toEqual([0, 1, 2, 3, 3]);
  });

  it("keeps rows put from a live stream, growing a block in place", () => {
    const { blocks } = logOf(0);
    const row = (index: number) => ({ index, event: {} }) as unknown as Row;
    const block = [row(512)];
    blocks.put(2, block);
    block.push(row(513));
    expect(blocks.peek(513)?.index).toBe(513);
    expect(blocks.peek(514)).toBeUndefined();
  });
});
