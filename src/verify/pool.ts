/**
 * Where chunks are hashed: inline on the main thread, or in a pool of worker threads while the
 * main thread reads the store and combines results in order.
 *
 * The pool is only used when every worker starts and uses the same hashing backend as the main
 * thread (a worker that fell back to node:crypto would be slower than inline); otherwise
 * `startWorkers` returns null and the caller hashes inline. Running from TypeScript sources
 * without a loader in the workers (vitest) is one such case.
 */
import { Worker } from "node:worker_threads";
import { hashBackend } from "../merkle/index.js";
import { type ChunkJob, type ChunkResult, hashChunk } from "./chunk.js";
import { packJob, type ResultMessage } from "./wire.js";

export interface ChunkHasher {
  /** Worker threads in use; 0 for inline. */
  readonly threads: number;
  hash(job: ChunkJob): Promise<ChunkResult>;
  close(): Promise<void>;
}

/** Hashes on the calling thread. */
export const inlineHasher: ChunkHasher = {
  threads: 0,
  hash: async (job) => hashChunk(job),
  close: async () => {},
};

const here = import.meta.url;
const WORKER_URL = new URL(here.endsWith(".ts") ? "./worker.ts" : "./worker.js", here);
const STARTUP_MS = 15_000;

interface Pending {
  resolve: (r: ChunkResult) => void;
  reject: (e: Error) => void;
}

/** Bytes of each shared buffer a worker hashes from: a chunk of 300-byte leaves takes 1.4 MB. */
const SLOT_BYTES = 4 << 20;

/**
 * A worker hashes chunks that arrive in shared memory and sends back hashes: it needs little
 * heap. (measured, 10M events, one worker as `logseal tui`'s verify screen runs it) With V8's
 * default young generation the verify peaked at 146 MB of anonymous memory (101 MB hashing
 * inline); with a 2 MB young generation at 114–119 MB, in the same time (16.8 s and 17.1 s in
 * back-to-back runs).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 };
/** Chunks in flight per worker (one hashing, one waiting). */
export const PER_WORKER = 2;

class WorkerSlot {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending & { slot?: SharedArrayBuffer }>();
  readonly free: SharedArrayBuffer[] = [];
  failed: Error | undefined;

  constructor(worker: Worker) {
    this.worker = worker;
    for (let i = 0; i < PER_WORKER; i++) this.free.push(new SharedArrayBuffer(SLOT_BYTES));
    worker.on("message", (m: ResultMessage) => {
      if ("ready" in m) return;
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (p.slot !== undefined) this.free.push(p.slot);
      if ("error" in m) p.reject(new Error(`verifier worker: ${m.error}`));
      else p.resolve(m.result);
    });
    const fail = (e: Error) => {
      this.failed = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`verifier worker exited with code ${code}`)));
  }
}

/**
 * Starts `count` hashing workers.
 * @returns the pool, or null when a worker does not start or hashes with another backend
 */
export async function startWorkers(count: number): Promise<ChunkHasher | null> {
  const workers: Worker[] = [];
  const started = await Promise.all(
    Array.from({ length: count }, () => {
      let worker: Worker;
      try {
        worker = new Worker(WORKER_URL, { resourceLimits: WORKER_LIMITS });
      } catch {
        return Promise.resolve(false);
      }
      workers.push(worker);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), STARTUP_MS);
        worker.once("message", (m: ResultMessage) => {
          clearTimeout(timer);
          resolve("ready" in m && m.backend === hashBackend);
        });
        worker.once("error", () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
    }),
  );
  if (!started.every(Boolean)) {
    await Promise.all(workers.map((w) => w.terminate()));
    return null;
  }
  const slots = workers.map((w) => new WorkerSlot(w));
  let nextId = 0;
  return {
    threads: count,
    hash(job) {
      // The least busy worker; chunks are alike, so this is round-robin in practice.
      const slot = slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      if (slot.failed !== undefined) return Promise.reject(slot.failed);
      const id = nextId++;
      const shared = slot.free.pop();
      const { msg, transfer } = packJob(id, job, shared);
      // A chunk too large for the shared buffer went in fresh buffers: the slot stays free.
      const used = transfer.length === 0 ? shared : undefined;
      if (shared !== undefined && used === undefined) slot.free.push(shared);
      return new Promise<ChunkResult>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject, ...(used !== undefined ? { slot: used } : {}) });
        slot.worker.postMessage(msg, transfer);
      });
    },
    async close() {
      for (const s of slots) s.worker.removeAllListeners("exit");
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}

/**
 * Runs `hash` over `jobs` with up to `concurrency` in flight, yielding results in job order.
 */
export async function* hashInOrder<J>(
  jobs: AsyncIterable<J>,
  hash: (job: J) => Promise<ChunkResult>,
  concurrency: number,
): AsyncGenerator<ChunkResult> {
  const it = jobs[Symbol.asyncIterator]();
  const queue: Array<Promise<ChunkResult>> = [];
  let done = false;
  try {
    for (;;) {
      while (!done && queue.length < concurrency) {
        const next = await it.next();
        if (next.done === true) {
          done = true;
          break;
        }
        const p = hash(next.value);
        p.catch(() => {}); // awaited in turn below
        queue.push(p);
      }
      const head = queue.shift();
      if (head === undefined) return;
      yield await head;
    }
  } finally {
    await it.return?.();
  }
}
