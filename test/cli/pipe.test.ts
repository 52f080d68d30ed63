/**
 * A reader that stops early (`logseal query | head`): the CLI stops quietly with its exit code
 * instead of dying on an unhandled EPIPE.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { init } from "../../src/index.js";
import { event, MAIN, ORIGIN, tempDir } from "./cli.js";

let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const log = await init(join(dir, "store"), { origin: ORIGIN });
  await log.append(Array.from({ length: 5000 }, (_, i) => event(i)));
  await log.close();
});
afterAll(() => cleanup());

/** Runs the CLI and closes its stdout after the first chunk, as `head -1` would. */
function firstChunkOnly(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.once("data", () => child.stdout.destroy());
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("output into a pipe closed early", () => {
  it.each([
    ["query", ["query", "--limit", "5000"]],
    ["query --jsonl", ["query", "--limit", "5000", "--jsonl"]],
    ["assets", ["assets"]],
  ])("%s stops quietly, exit 0", async (_name, args) => {
    const r = await firstChunkOnly([...args, "--store", join(dir, "store")]);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.js:\d+/);
    expect(r.code).toBe(0);
  });
});
