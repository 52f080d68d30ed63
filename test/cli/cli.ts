/** Runs the built CLI (`dist/cli/main.js`) as a real child process in temporary directories. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MAIN = join(ROOT, "dist", "cli", "main.js");

if (!existsSync(MAIN))
  throw new Error(`${MAIN} is missing: run 'npm run build' first (npm test does)`);

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a child process to its end, feeding `input` on stdin (or an empty, closed stdin). */
export function runProcess(
  cmd: string,
  args: string[],
  options: { input?: string | Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** Runs `logseal ...args` with `input` on stdin (or an empty, closed stdin). */
export function logseal(
  args: string[],
  options: { input?: string | Uint8Array; cwd?: string; env?: Record<string, string> } = {},
): Promise<Result> {
  return runProcess(process.execPath, [MAIN, ...args], {
    ...options,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
  });
}

/** Parses stdout as JSON, failing with the whole output when it is not. */
export function json<T = Record<string, unknown>>(r: Result): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "logseal-test-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const ORIGIN = "example.com/logseal/test";

/** A valid event of schema v1; `n` varies it. */
export function event(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ts: 1_764_000_000_000 + n * 1000,
    actor: { id: n % 2 === 0 ? "alice" : "svc-trainer", kind: n % 2 === 0 ? "user" : "service" },
    action: n % 3 === 0 ? "dataset.read" : "model.export",
    outcome: "success",
    asset: `dataset:raw/tickets-${n}`,
    ...extra,
  };
}

export function jsonl(events: unknown[]): string {
  return `${events.map((e) => JSON.stringify(e)).join("\n")}\n`;
}

/** `r` when it exited 0; otherwise fails with its exit code, stdout and stderr. */
export const ok = (r: Result): Result => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
};
