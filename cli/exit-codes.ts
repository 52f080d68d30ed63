/**
 * Exit codes (stable; scripts branch on them):
 *   0 success, 1 integrity failure, 2 bad usage or bad input, 3 store or I/O error,
 *   4 permission denied.
 */
import type { ErrorCode } from "../src/index.js";

export const EXIT_OK = 0;
export const EXIT_INTEGRITY = 1;
export const EXIT_USAGE = 2;
export const EXIT_STORE = 3;
export const EXIT_DENIED = 4;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case "E_NOTE_BAD_SIGNATURE":
    case "E_COMMITMENT_MISMATCH":
      return EXIT_INTEGRITY;
    case "E_STORE_MISSING":
    case "E_STORE_EXISTS":
    case "E_STORE_LOCKED":
    case "E_STORE_CORRUPT":
    case "E_STORE_VERSION":
    case "E_IO":
    case "E_RATE_LIMITED":
    case "E_SERVER_BUSY":
    case "E_SERVER":
    case "E_VAULT_MISSING":
      return EXIT_STORE;
    case "E_UNAUTHORIZED":
    case "E_FORBIDDEN":
    case "E_VAULT_KEY_MISSING":
    case "E_VAULT_KEY_WRONG":
    case "E_STORE_ENCRYPTED":
      return EXIT_DENIED;
    default:
      return EXIT_USAGE;
  }
}
