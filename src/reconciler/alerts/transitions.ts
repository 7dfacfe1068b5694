/**
 * Alert on transitions, not on every tick. Pure: previous drift records and this tick's
 * events in, the transitions to write out.
 *
 * - a new difference opens a record and alerts once (if Lockdown repaired it in the same
 *   tick, that one alert says so and the record is born resolved: no second message);
 * - a difference that persists (audit, suspended, a repair that keeps failing) alerts
 *   again only after `renotifyAfterInMs`;
 * - an open difference that is gone (repaired later, or fixed by hand) sends a "resolved"
 *   notice; "gone" needs the resource to have been judged this tick, so an unreadable
 *   resource or a policy that failed to load never resolves anything;
 * - an observation older than what the record already knows is ignored (an overlapping,
 *   slower run), and a record another run is notifying is left to it.
 */
import { canonicalId } from '../resourceId';
import type { AlertDelivery, DriftRecord } from './store';
import type { DriftEvent } from './types';

export const DEFAULT_RENOTIFY_MINUTES = 240;
export const DEFAULT_TOMBSTONE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface TransitionInput {
  records: DriftRecord[];
  events: DriftEvent[];
  /** Canonical ids of the resources this tick observed and diffed. */
  judged: Set<string>;
  /** Names of the policies loaded this tick. */
  policies: Set<string>;
  /** When this tick observed the state. */
  observedAt: string;
  /** When this tick's repairs were done. */
  repairedAt: string;
  now: string;
  /** 0 or less: never re-notify. */
  renotifyAfterInMs: number;
  tombstoneTtlInMs?: number;
}

export type Transition =
  /** A new difference: create the record (or replace a resolved tombstone) with an "opened" alert. */
  | { type: 'open'; key: string; event: DriftEvent; replaces?: DriftRecord; repairedAt?: string }
  /** Still there, nothing to say: refresh what the record knows. */
  | { type: 'persist'; key: string; record: DriftRecord; event: DriftEvent }
  /** Still there and quiet for long enough: a reminder. */
  | { type: 'remind'; key: string; record: DriftRecord; event: DriftEvent }
  /** Gone: a "resolved" notice. */
  | { type: 'resolve'; key: string; record: DriftRecord; resolvedAt: string; how: 'repaired' | 'gone'; event?: DriftEvent }
  /** A resolved record past its tombstone time, with nothing left to deliver. */
  | { type: 'purge'; key: string; record: DriftRecord };

const at = (iso: string) => Date.parse(iso);

export function isUndelivered(alert: AlertDelivery | undefined): boolean {
  return alert !== undefined && alert.status !== 'sent';
}

export function isClaimedByAnother(alert: AlertDelivery | undefined, now: string): boolean {
  return alert?.status === 'notifying' && alert.claimedUntil !== undefined && at(alert.claimedUntil) > at(now);
}

export function planTransitions(input: TransitionInput): Transition[] {
  const records = new Map(input.records.map((record) => [record.key, record]));
  const events = new Map<string, DriftEvent>();
  for (const event of input.events) if (!events.has(event.key)) events.set(event.key, event);
  const transitions: Transition[] = [];

  for (const [key, event] of events) {
    const record = records.get(key);
    const repairedAt = event.action === 'repaired' ? input.repairedAt : undefined;
    if (!record) {
      transitions.push({ type: 'open', key, event, ...(repairedAt ? { repairedAt } : {}) });
      continue;
    }
    if (isClaimedByAnother(record.alert, input.now)) continue;
    if (record.resolvedAt !== undefined) {
      // A tombstone: the drift came back after it was resolved (a stale observation did not).
      if (at(event.detectedAt) > at(record.resolvedAt)) transitions.push({ type: 'open', key, event, replaces: record, ...(repairedAt ? { repairedAt } : {}) });
      continue;
    }
    if (at(event.detectedAt) <= at(record.lastDetectedAt)) continue;
    if (repairedAt) {
      transitions.push({ type: 'resolve', key, record, resolvedAt: repairedAt, how: 'repaired', event });
      continue;
    }
    const quietFor = record.alert ? at(input.now) - at(record.alert.createdAt) : 0;
    const remind = input.renotifyAfterInMs > 0 && record.alert?.status === 'sent' && quietFor >= input.renotifyAfterInMs;
    transitions.push({ type: remind ? 'remind' : 'persist', key, record, event });
  }

  const tombstoneTtl = input.tombstoneTtlInMs ?? DEFAULT_TOMBSTONE_TTL_MS;
  for (const [key, record] of records) {
    if (events.has(key) || isClaimedByAnother(record.alert, input.now)) continue;
    if (record.resolvedAt !== undefined) {
      if (!isUndelivered(record.alert) && at(input.now) - at(record.resolvedAt) >= tombstoneTtl) transitions.push({ type: 'purge', key, record });
      continue;
    }
    if (!input.policies.has(record.policy)) continue;
    if (!input.judged.has(canonicalId(record.resourceId))) continue;
    if (at(input.observedAt) <= at(record.lastDetectedAt)) continue;
    transitions.push({ type: 'resolve', key, record, resolvedAt: input.observedAt, how: 'gone' });
  }
  return transitions;
}
