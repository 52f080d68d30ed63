/**
 * The layering rules of DESIGN.md, enforced: `src/` imports nothing from `cli/` or `tui/`, nor
 * ink or react; `cli/` and `tui/` reach the library only through its public entry.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

async function imports(file: string): Promise<string[]> {
  const text = await readFile(join(ROOT, file), "utf8");
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"';]*?from\s+["']([^"']+)["']/g)].map(
    (m) => m[1] as string,
  );
}

describe("layering", () => {
  it("src/ imports no cli, tui, ink or react", async () => {
    for (const file of await sources("src")) {
      for (const spec of await imports(file)) {
        expect(spec, file).not.toMatch(/^(ink|react)(\/|$)|\/(cli|tui)\//);
      }
    }
  });

  it("cli/ and tui/ use the library through src/index.ts only", async () => {
    const files = [...(await sources("cli")), ...(await sources("tui"))];
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      for (const spec of await imports(file)) {
        if (!spec.includes("/src/")) continue;
        expect(spec, file).toMatch(/\/src\/index\.js$/);
      }
    }
  });

  it("cli/ loads the TUI (and so React) only lazily, from the tui command", async () => {
    for (const file of await sources("cli")) {
      for (const spec of await imports(file)) {
        expect(spec, file).not.toMatch(/^(ink|react)(\/|$)|\/tui\//);
      }
    }
    const text = await readFile(join(ROOT, "cli/commands/tui.ts"), "utf8");
    // A dynamic import, started when the command runs (it overlaps the store's opening).
    expect(text).toContain('import("../../tui/main.js")');
  });
});
