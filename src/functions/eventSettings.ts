/** Settings of the resource-event Function, with their defaults. */

export interface EventSettings {
  /** Events for one resource within this window share one targeted reconcile. */
  coalesceWindowInMs: number;
  /** How long a targeted reconcile waits for another instance's lease before the event is handed back to Event Grid. */
  leaseWaitInMs: number;
}

export const DEFAULT_COALESCE_MS = 2000;
export const DEFAULT_LEASE_WAIT_SECONDS = 30;

function nonNegative(env: Record<string, string | undefined>, name: string, fallback: number, unit: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of ${unit} (0 or more), not "${raw}"`);
  return value;
}

export function readEventSettings(env: Record<string, string | undefined> = process.env): EventSettings {
  return {
    coalesceWindowInMs: nonNegative(env, 'LOCKDOWN_EVENT_COALESCE_MS', DEFAULT_COALESCE_MS, 'milliseconds'),
    leaseWaitInMs: nonNegative(env, 'LOCKDOWN_EVENT_LEASE_WAIT_SECONDS', DEFAULT_LEASE_WAIT_SECONDS, 'seconds') * 1000,
  };
}
