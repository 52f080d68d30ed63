/**
 * The README's examples are run as written: every `$ …` line of every console block, in order,
 * in one temporary directory, with `logseal` on the PATH. Outputs must match the README after
 * replacing what differs from run to run (keys, signatures, hashes, integration times).
 * `$ cat FILE` lines create FILE from the lines shown. A line `…` ends the comparison of that
 * output. A block right after `<!-- readme-test: skip … -->` is not run.
 */
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAIN, ROOT } from "./cli/cli.js";

const exec = promisify(execFile);

interface Step {
  command: string;
  expected: string[];
}

function steps(readme: string): Step[] {
  const out: Step[] = [];
  const lines = readme.split("\n");
  let skip = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith("<!-- readme-test: skip")) skip = true;
    if (line !== "```console") continue;
    const block: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) block.push(lines[i] as string);
    if (skip) {
      skip = false;
      continue;
    }
    for (const l of block) {
      if (l.startsWith("$ ")) out.push({ command: l.slice(2), expected: [] });
      else out.at(-1)?.expected.push(l);
    }
  }
  return out;
}

const normalise = (text: string) =>
  text
    .replace(/[\w.-]+(?:\/[\w.-]+)*\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*/g, "<vkey>")
    .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, "<base64>")
    .replace(/\b\d{13}\b/g, "<ms>")
    .replace(/(subject[: ])[A-Za-z0-9_-]{22}\b/g, "$1<sid>")
    .trimEnd();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logseal-readme-"));
  await writeFile(join(dir, "logseal"), `#!/bin/sh\nexec "${process.execPath}" "${MAIN}" "$@"\n`);
  await chmod(join(dir, "logseal"), 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("README examples", async () => {
  const all = steps(await readFile(join(ROOT, "README.md"), "utf8"));
  let vkey = "";

  it("has examples for every command", () => {
    for (const c of [
      "init",
      "keys show",
      "append",
      "checkpoint",
      "show",
      "prove inclusion",
      "prove consistency",
      "verify",
      "export",
      "reveal",
      "erase",
    ]) {
      expect(
        all.some(
          (s) => s.command.startsWith(`logseal ${c}`) || s.command.includes(`| logseal ${c}`),
        ),
        c,
      ).toBe(true);
    }
  });

  it.each(all.map((s, i) => [i + 1, s.command, s] as const))(
    "step %i: %s",
    async (_i, _c, step) => {
      const cat = /^cat (\S+)$/.exec(step.command);
      if (cat?.[1] !== undefined) {
        await writeFile(join(dir, cat[1]), `${step.expected.join("\n")}\n`);
        return;
      }
      const command =
        vkey === ""
          ? step.command
          : step.command.replace(
              /example\.com\/logseal\/ml-audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*/g,
              vkey,
            );
      const fails = step.expected.some((l) => l.startsWith("logseal: E_"));
      let output: string;
      try {
        const r = await exec("bash", ["-c", command], {
          cwd: dir,
          env: { ...process.env, NO_COLOR: "1", PATH: `${dir}:${process.env.PATH}` },
        });
        expect(fails, `${command} should have failed`).toBe(false);
        output = r.stdout + r.stderr;
      } catch (e) {
        const err = e as { code?: number; stdout: string; stderr: string };
        expect(fails, `${command} failed with ${err.code}:\n${err.stderr}`).toBe(true);
        expect(err.code).toBe(2);
        output = err.stdout + err.stderr;
      }
      if (step.command.startsWith("logseal keys show")) vkey = output.trim();
      const cut = step.expected.findIndex((l) => l.trim() === "…");
      const expected = cut < 0 ? step.expected : step.expected.slice(0, cut);
      const actual = cut < 0 ? output : output.split("\n").slice(0, cut).join("\n");
      expect(normalise(actual)).toBe(normalise(expected.join("\n")));
    },
  );
});
