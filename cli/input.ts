/** Reads command input from a file or standard input, as UTF-8 text. */
import { readFile } from "node:fs/promises";
import { fromUtf8, LogsealError } from "../src/index.js";

/**
 * Reads `file` (or standard input for `-`) and decodes it as strict UTF-8.
 * @param name how the input is named in errors (`<stdin>` for standard input)
 * @throws LogsealError E_IO when it cannot be read, E_INPUT_JSON when it is not UTF-8
 */
export async function readInput(file: string, name: string): Promise<string> {
  let bytes: Buffer;
  try {
    if (file !== "-") bytes = await readFile(file);
    else {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      bytes = Buffer.concat(chunks);
    }
  } catch (e) {
    throw new LogsealError("E_IO", `cannot read ${name}: ${(e as Error).message}`, {
      location: { file: name },
      cause: e,
    });
  }
  const text = fromUtf8(bytes);
  if (text === null) {
    throw new LogsealError("E_INPUT_JSON", `${name} is not valid UTF-8`, {
      location: { file: name },
    });
  }
  return text;
}
