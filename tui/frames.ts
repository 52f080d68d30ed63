/**
 * A key's frame drawn at once, not behind Ink's frame throttle.
 *
 * Ink 6.8 draws at most `maxFps` frames a second: after a frame, the next one waits for the end
 * of the window (17 ms at 60). A follow tick draws a frame four times a second, so a key that
 * landed just after one waited up to 17 ms before its own frame was even drawn, and those keys
 * made the slow end of the key-to-frame latency. The throttle stays for everything else (the
 * follow ticks, scans and the verifier's progress); after a key, the next commit (the key's
 * update) flushes it, so that frame is drawn now.
 *
 * Ink does not export its instances: this reads `ink/build/instances.js` (Ink 6.8.0, pinned in
 * package.json) next to the entry the `ink` specifier resolves to, and degrades to nothing when
 * the file, the root node's hook or the throttle is not where 6.8 keeps them.
 */

/**
 * What of Ink's instance this uses: the root node's `onRender`, which Ink calls after each
 * commit (it calls the throttled renderer), and the throttled renderer (es-toolkit's, with
 * `flush`).
 */
interface InkInstance {
  rootNode?: { onRender?: () => void };
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
 * For the Ink app rendered on `stdout` (call it after `render(…, { stdout })`): a function to
 * call when a key arrives. The next commit after it (the key's update: React commits it a
 * scheduler task later, so the key handler cannot flush by itself) is drawn at once. A key
 * that changes nothing leaves the flag for the next commit, which is then drawn at once too.
 * Does nothing when Ink is not laid out as 6.8 lays it out.
 */
export function frameFlusher(stdout: object): () => void {
  const ink = instances?.get(stdout);
  const root = ink?.rootNode;
  const throttledRender = root?.onRender;
  const flush = ink?.throttledOnRender?.flush;
  if (root === undefined || throttledRender === undefined || flush === undefined) return () => {};
  let keyPending = false;
  root.onRender = () => {
    throttledRender();
    if (keyPending) {
      keyPending = false;
      flush();
    }
  };
  return () => {
    keyPending = true;
  };
}
