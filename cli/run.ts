/** Runs a command body: maps thrown errors to exit codes and always closes the log. */
import { type Log, open } from "../src/index.js";
import { EXIT_OK } from "./exit-codes.js";
import { reportError } from "./output.js";

/** Runs `body`, sets the process exit code from its result or its error. */
export async function run(json: boolean, body: () => Promise<number | undefined>): Promise<void> {
  try {
    process.exitCode = (await body()) ?? EXIT_OK;
  } catch (e) {
    process.exitCode = reportError(e, json);
  }
}

/** Opens the log in `dir`, runs `fn`, and closes the log whatever happens. */
export async function withLog<T>(dir: string, fn: (log: Log) => Promise<T>): Promise<T> {
  const log = await open(dir);
  try {
    return await fn(log);
  } finally {
    await log.close();
  }
}
