/** ARM-style throttling: per-subscription token buckets for reads and writes. */
import type { Clock } from './clock';
import type { RateLimit, ThrottleOptions } from './types';

export const DEFAULT_LIMITS: { reads: RateLimit; writes: RateLimit } = {
  reads: { burst: 250, perSecond: 25 },
  writes: { burst: 200, perSecond: 10 },
};

export type RequestKind = 'read' | 'write';

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {
    this.tokens = limit.burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.perSecond);
    this.last = now;
  }

  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  remaining(): number {
    this.refill();
    return Math.max(0, Math.floor(this.tokens));
  }
}

export class Throttle {
  private limits: { reads: RateLimit; writes: RateLimit } | null;
  private buckets = new Map<string, TokenBucket>();

  constructor(
    options: ThrottleOptions | undefined,
    private readonly clock: Clock,
  ) {
    this.limits = null;
    this.configure(options);
  }

  /** undefined = defaults, false = disabled; resets every bucket to full */
  configure(options: ThrottleOptions | undefined): void {
    this.buckets.clear();
    this.limits =
      options === false
        ? null
        : { reads: options?.reads ?? DEFAULT_LIMITS.reads, writes: options?.writes ?? DEFAULT_LIMITS.writes };
  }

  get enabled(): boolean {
    return this.limits !== null;
  }

  private bucket(subscriptionId: string, kind: RequestKind): TokenBucket | undefined {
    if (!this.limits) return undefined;
    const k = `${subscriptionId.toLowerCase()}|${kind}`;
    let b = this.buckets.get(k);
    if (!b) {
      b = new TokenBucket(kind === 'read' ? this.limits.reads : this.limits.writes, this.clock);
      this.buckets.set(k, b);
    }
    return b;
  }

  /** false when the request must be refused with 429 */
  take(subscriptionId: string, kind: RequestKind): boolean {
    return this.bucket(subscriptionId, kind)?.take() ?? true;
  }

  /** value for x-ms-ratelimit-remaining-subscription-reads|writes */
  remaining(subscriptionId: string, kind: RequestKind): number {
    const b = this.bucket(subscriptionId, kind);
    if (b) return b.remaining();
    return kind === 'read' ? DEFAULT_LIMITS.reads.burst - 1 : DEFAULT_LIMITS.writes.burst - 1;
  }
}
