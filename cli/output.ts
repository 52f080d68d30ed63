/** Output helpers: stdout for results, stderr for messages and progress; NO_COLOR respected. */
import { isLogsealError } from "../src/index.js";
import { EXIT_STORE, exitCodeFor } from "./exit-codes.js";

const colour = process.env.NO_COLOR === undefined && process.stderr.isTTY === true;
const paint = (code: string) => (s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
export const red = paint("31");
export const green = paint("32");
export const dim = paint("2");
export const bold = paint("1");

/** Paints for stdout, which may be a terminal when stderr is not (and the other way round). */
const stdoutColour = process.env.NO_COLOR === undefined && process.stdout.isTTY === true;
export const out = {
  red: (s: string) => (stdoutColour ? `\x1b[31m${s}\x1b[0m` : s),
  green: (s: string) => (stdoutColour ? `\x1b[32m${s}\x1b[0m` : s),
  dim: (s: string) => (stdoutColour ? `\x1b[2m${s}\x1b[0m` : s),
  bold: (s: string) => (stdoutColour ? `\x1b[1m${s}\x1b[0m` : s),
};

export function print(line = ""): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Reports an error and returns the exit code. Human text goes to stderr; with `--json` the
 * same error is also printed to stdout as `{"ok":false,"error":{…}}` for scripts.
 */
export function reportError(e: unknown, json: boolean): number {
  if (!isLogsealError(e)) {
    const message = e instanceof Error ? e.message : String(e);
    note(`${red("logseal: error")}: ${message}`);
    if (json) printJson({ ok: false, error: { code: "E_INTERNAL", message } });
    return EXIT_STORE;
  }
  const where = e.where();
  note(`${red(`logseal: ${e.code}`)}: ${where ? `${where}: ` : ""}${e.message}`);
  if (json) printJson({ ok: false, error: e.toJSON() });
  return exitCodeFor(e.code);
}
