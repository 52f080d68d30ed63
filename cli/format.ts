/** Small text renderings shared by the commands. */
import { parseCheckpoint, parseNote, toBase64 } from "../src/index.js";

/** The base64 root hash of a stored (trusted-to-parse) checkpoint note. */
export function checkpointRoot(note: string): string {
  return toBase64(parseCheckpoint(parseNote(note).text).root);
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
