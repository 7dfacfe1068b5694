/**
 * The emulator's time source (throttling buckets, Activity Log timestamps and ingestion). Tests
 * inject one so that what they assert on time does not depend on how busy the machine is.
 */
export interface Clock {
  /** epoch milliseconds */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Stands still until advanced: for assertions on rates and windows. */
export class ManualClock implements Clock {
  constructor(private nowInMs = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.nowInMs;
  }

  advance(ms: number): void {
    this.nowInMs += ms;
  }
}

/** Wall-clock time plus an offset a test moves forward: time still flows, and a test skips ahead without sleeping. */
export class AdvancingClock implements Clock {
  private offsetInMs = 0;

  now(): number {
    return Date.now() + this.offsetInMs;
  }

  advance(ms: number): void {
    this.offsetInMs += ms;
  }
}
