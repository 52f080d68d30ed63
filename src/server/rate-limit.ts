/**
 * Token buckets: `burst` tokens at most, refilled at `rate` per second. A request takes one;
 * an empty bucket says how long until the next token.
 */

export interface RateLimit {
  /** Tokens added per second. */
  rate: number;
  /** Bucket capacity: the largest burst allowed after a quiet period. */
  burst: number;
}

export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  constructor(limit: RateLimit, now: number = performance.now()) {
    if (!(limit.rate > 0) || !(limit.burst >= 1)) {
      throw new RangeError(
        `a rate limit needs rate > 0 and burst >= 1, got ${limit.rate}/${limit.burst}`,
      );
    }
    this.#rate = limit.rate;
    this.#burst = limit.burst;
    this.#tokens = limit.burst;
    this.#at = now;
  }

  /**
   * Takes one token if there is one.
   * @returns 0 when taken, else the seconds until one is available
   */
  take(now: number = performance.now()): number {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return (1 - this.#tokens) / this.#rate;
  }

  /** Whether the bucket is full (it can be forgotten without changing any outcome). */
  full(now: number = performance.now()): boolean {
    this.#refill(now);
    return this.#tokens >= this.#burst;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#at) / 1000;
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#rate);
    this.#at = now;
  }
}

/** One bucket per key (a token id), created on first use; full buckets are forgotten. */
export class KeyedRateLimiter {
  readonly #limit: RateLimit;
  readonly #max: number;
  readonly #buckets = new Map<string, TokenBucket>();

  /** @param max the most keys tracked; beyond it full buckets, then the oldest, are dropped */
  constructor(limit: RateLimit, max = 10_000) {
    this.#limit = limit;
    this.#max = max;
  }

  /** @returns 0 when allowed, else the seconds until the key may try again */
  take(key: string, now: number = performance.now()): number {
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#max) this.sweep(now);
      if (this.#buckets.size >= this.#max) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      bucket = new TokenBucket(this.#limit, now);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(now);
  }

  /** Forgets full buckets. */
  sweep(now: number = performance.now()): void {
    for (const [key, bucket] of this.#buckets) if (bucket.full(now)) this.#buckets.delete(key);
  }
}
