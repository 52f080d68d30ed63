/** `logseal serve` as a child process of the test (the built CLI). */
import { type ChildProcess, spawn } from "node:child_process";
import { MAIN } from "../cli/cli.js";

export interface Served {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `logseal serve` on a free port and resolves once it prints its URL. */
export function serve(store: string, ...extra: string[]): Promise<Served> {
  const child = spawn(
    process.execPath,
    [MAIN, "serve", "--store", store, "--listen", "127.0.0.1:0", "--json", ...extra],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      try {
        const { url } = JSON.parse(out.slice(0, nl)) as { url: string };
        resolve({ child, url, stderr: () => stderr, exited });
      } catch {
        reject(new Error(`serve printed ${out}`));
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}
