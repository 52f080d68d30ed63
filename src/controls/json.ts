/** Strict JSON for the controls files (policy, SoA, bundle): duplicate keys are an error. */
import { type ErrorCode, type Location, LogsealError } from "../errors.js";
import { scanJson } from "../event/json-scan.js";

/**
 * Parses `text` as exactly one JSON value, rejecting duplicate keys.
 * @throws LogsealError `code` with the file and the line of the syntax error
 */
export function parseStrictJson(
  text: string,
  code: ErrorCode,
  what: string,
  file?: string,
): unknown {
  const scan = scanJson(text, 0, text.length);
  if (!scan.ok) {
    const location: Location = { line: text.slice(0, scan.offset).split("\n").length };
    if (file !== undefined) location.file = file;
    throw new LogsealError(code, `${what} is not valid JSON: ${scan.reason}`, {
      location,
      details: { offset: scan.offset },
    });
  }
  return JSON.parse(text);
}
