/**
 * Resource Graph's per-user quota: a number of queries per window for each caller, announced
 * on every answer in x-ms-user-quota-remaining and x-ms-user-quota-resets-after (hh:mm:ss).
 * Azure's default is 15 queries per 5 seconds.
 */
import { ArmError } from '../errors';

export interface ResourceGraphQuota {
  queries: number;
  windowInMs: number;
}

export const DEFAULT_QUOTA: ResourceGraphQuota = { queries: 15, windowInMs: 5000 };

function hms(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
}

export class UserQuota {
  #windows = new Map<string, { startedAt: number; used: number }>();
  constructor(public limit: ResourceGraphQuota | false = DEFAULT_QUOTA) {}

  /** Counts one query for the caller; throws 429 RateLimiting when its window is used up. */
  take(user: string, now = Date.now()): Record<string, string> {
    if (!this.limit) return {};
    let window = this.#windows.get(user);
    if (!window || now - window.startedAt >= this.limit.windowInMs) {
      window = { startedAt: now, used: 0 };
      this.#windows.set(user, window);
    }
    const resetsAfter = window.startedAt + this.limit.windowInMs - now;
    if (window.used >= this.limit.queries) {
      throw new ArmError(429, 'RateLimiting', `Please provide below info when asking for support: timestamp = ${new Date(now).toISOString()}. Client application has been throttled and should not attempt to repeat the request until an amount of time has elapsed.`, {
        'x-ms-user-quota-remaining': '0',
        'x-ms-user-quota-resets-after': hms(resetsAfter),
        'Retry-After': String(Math.ceil(resetsAfter / 1000)),
      });
    }
    window.used += 1;
    return { 'x-ms-user-quota-remaining': String(this.limit.queries - window.used), 'x-ms-user-quota-resets-after': hms(resetsAfter) };
  }
}
