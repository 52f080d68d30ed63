/**
 * A progress bar with rate and ETA, drawn on stderr only when stderr is a terminal; silent
 * otherwise, so pipelines and logs never see control characters.
 */
import type { VerifyProgress } from "../src/index.js";

export function progressBar(enabled = process.stderr.isTTY === true): {
  update: (p: VerifyProgress) => void;
  done: () => void;
} {
  let last = 0;
  let drawn = false;
  const update = (p: VerifyProgress) => {
    if (!enabled || p.phase !== "entries") return;
    const now = Date.now();
    if (now - last < 100 && p.done < p.total) return;
    last = now;
    const width = 30;
    const frac = p.total === 0 ? 1 : p.done / p.total;
    const filled = Math.round(frac * width);
    const eta = p.rate > 0 ? (p.total - p.done) / p.rate : 0;
    const line = `verifying [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.done}/${p.total} ${Math.round(p.rate)}/s ETA ${eta.toFixed(0)}s`;
    process.stderr.write(`\r${line}\x1b[K`);
    drawn = true;
  };
  const done = () => {
    if (drawn) process.stderr.write("\r\x1b[K");
  };
  return { update, done };
}
