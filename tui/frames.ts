/**
 * A key's frame drawn at once, not behind Ink's frame throttle.
 *
 * Ink 6.8 draws at most `maxFps` frames a second: after a frame, the next one waits for the end
 * of the window (17 ms at 60). A follow tick draws a frame four times a second, so a key that
 * lands just after one waited up to 17 ms before its own frame was even drawn, and those keys
 * made the slow end of the key-to-frame latency. The throttle stays for everything else (the
 * follow ticks, scans and the verifier's progress), and a key flushes it: the frame the key's
 * update is waiting for is drawn now; when nothing waits (the key's frame was the first of the
 * window and already drawn), the flush does nothing.
 *
 * Ink does not export its instances: this reads `ink/build/instances.js` (Ink 6.8.0, pinned in
 * package.json) next to the entry the `ink` specifier resolves to, and degrades to nothing when
 * the file or the throttle is not where 6.8 keeps them.
 */

/** What of Ink's instance this uses: its throttled `onRender` (es-toolkit's, with `flush`). */
interface InkInstance {
  throttledOnRender?: { flush?: () => void };
}

let instances: WeakMap<object, InkInstance> | undefined | null;

async function inkInstances(): Promise<WeakMap<object, InkInstance> | null> {
  if (instances === undefined) {
    try {
      const url = new URL("./instances.js", import.meta.resolve("ink"));
      instances = ((await import(url.href)) as { default: WeakMap<object, InkInstance> }).default;
    } catch {
      instances = null;
    }
  }
  return instances;
}

/** Loads Ink's instance table; call once before `frameFlusher` (main.tsx and the benchmark). */
export async function loadFrameFlusher(): Promise<void> {
  await inkInstances();
}

/**
 * A function that draws the frame Ink's throttle holds back for the Ink app rendered on
 * `stdout`, or does nothing. Call it after `render(…, { stdout })`.
 */
export function frameFlusher(stdout: object): () => void {
  return () => {
    instances?.get(stdout)?.throttledOnRender?.flush?.();
  };
}
