// A token bucket per client address (joins and purchases of queue sales):
// RATE_LIMIT_PER_SECOND tokens a second, up to RATE_LIMIT_BURST. Kept in each
// worker's memory, so the limit a client meets is per worker process.
import { spikeError } from '../errors/errors';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(private readonly perSecond: number, private readonly burst: number) {}

  get enabled(): boolean {
    return this.perSecond > 0;
  }

  /** Takes one token for the address, or throws 429 rate_limited with the seconds until one is back. */
  take(address: string, now: number): void {
    if (!this.enabled || address === '') return;
    this.sweep(now);
    let bucket = this.buckets.get(address);
    if (!bucket) this.buckets.set(address, (bucket = { tokens: this.burst, at: now }));
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.perSecond) / 1000);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
    const error = spikeError('RATE_LIMITED', { retryAfter });
    error.headers = { 'retry-after': String(retryAfter) };
    throw error;
  }

  /** Forgets full buckets now and then, so a crowd of addresses cannot grow the map for good. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    const refill = (this.burst * 1000) / this.perSecond;
    for (const [address, bucket] of this.buckets) if (now - bucket.at >= refill) this.buckets.delete(address);
  }
}
