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
 *   resource or a policy that failed to load never resolves anything. If its "opened" alert
 *   has not reached every sink yet, those sinks get it still, saying it is resolved (see
 *   `resolvedAlert` in alerting.ts): the owners always hear that it happened and who did it;
 * - drift that comes back after it was resolved opens a new record, but not while the
 *   previous occurrence's "opened" alert is still held back (waiting for its actor, or left
 *   by a deadline): replacing it would drop that alert unsent;
 * - an observation older than what the record already knows is ignored (an overlapping,
 *   slower run), and a record another run is notifying is left to it.
 */
import { canonicalId } from '../resourceId';
import type { AlertDelivery, DriftRecord } from '../state/store';
import type { DriftEvent } from './types';

export const DEFAULT_RENOTIFY_MINUTES = 240;
export const DEFAULT_TOMBSTONE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface TransitionInput {
  records: DriftRecord[];
  events: DriftEvent[];
  /** Canonical ids of the resources this tick observed and diffed (a deleted slot of a listed app included). */
  judged: Pick<ReadonlySet<string>, 'has'>;
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

/** The alert still has an "opened" notice to deliver to some sink (possibly sent as "opened" in a resolved alert). */
export function carriesOpened(alert: AlertDelivery | undefined): boolean {
  if (!alert || alert.status === 'sent') return false;
  return Object.values(alert.sinks).some((sink) => sink.state === 'pending' && (sink.kind ?? alert.kind) === 'opened');
}

/** An "opened" notice no sink has failed yet: held for its actor, or not reached before a deadline. */
export function isOpenedHeld(alert: AlertDelivery | undefined): boolean {
  return carriesOpened(alert) && Object.values(alert!.sinks).every((sink) => sink.state !== 'pending' || sink.attempts === 0);
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
      // While the previous occurrence's opened alert is held, reopening would drop it unsent:
      // it goes out first (its actor wait is bounded), and a later tick reopens.
      if (at(event.detectedAt) > at(record.resolvedAt) && !isOpenedHeld(record.alert)) transitions.push({ type: 'open', key, event, replaces: record, ...(repairedAt ? { repairedAt } : {}) });
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
