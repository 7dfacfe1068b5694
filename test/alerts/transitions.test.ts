/** Alert on transitions, not on every tick: the pure rules, one row per case. */
import type { AlertDelivery, DriftRecord } from '../../src/reconciler/state/store';
import { planTransitions, type TransitionInput } from '../../src/reconciler/alerts/transitions';
import type { DriftEvent } from '../../src/reconciler/alerts/types';
import { at, driftEvent, driftRecord, PAYMENTS_ID as PAYMENTS } from '../support/driftFixtures';

const T = at;
const event = driftEvent;
const sent = (minute: number): AlertDelivery => ({ alertId: 'a', kind: 'opened', createdAt: T(minute), status: 'sent', sinks: { log: { state: 'delivered', attempts: 1 } } });
const record = (overrides: Partial<DriftRecord> = {}): DriftRecord => driftRecord({ alert: sent(0), ...overrides });

function run(records: DriftRecord[], events: DriftEvent[], minute: number, overrides: Partial<TransitionInput> = {}) {
  return planTransitions({
    records,
    events,
    judged: new Set([PAYMENTS.toLowerCase()]),
    policies: new Set(['orders-to-payments']),
    observedAt: T(minute),
    repairedAt: T(minute),
    now: T(minute),
    renotifyAfterInMs: 60 * 60_000,
    ...overrides,
  }).map((transition) => transition.type);
}

describe('alert transitions', () => {
  it.each([
    ['a new difference opens an alert', [], [event(5)], 5, {}, ['open']],
    ['a difference repaired in the same tick still opens (one alert that says repaired)', [], [event(5, { action: 'repaired' })], 5, {}, ['open']],
    ['a persisting difference says nothing before the interval', [record()], [event(30)], 30, {}, ['persist']],
    ['a persisting difference is re-notified after the interval', [record()], [event(60)], 60, {}, ['remind']],
    ['re-notification off (0) never reminds', [record()], [event(59)], 59, { renotifyAfterInMs: 0 }, ['persist']],
    ['no reminder while the first alert is still undelivered', [record({ alert: { ...sent(0), status: 'open' } })], [event(59)], 59, {}, ['persist']],
    ['a difference that is gone is resolved', [record()], [], 10, {}, ['resolve']],
    ['a difference repaired on a later tick is resolved', [record({ action: 'failed' })], [event(10, { action: 'repaired' })], 10, {}, ['resolve']],
    ['not resolved when the resource was not judged (unreadable)', [record()], [], 10, { judged: new Set<string>() }, []],
    ['not resolved when its policy did not load', [record()], [], 10, { policies: new Set<string>() }, []],
    ['an older observation (an overlapping slower run) is ignored', [record({ lastDetectedAt: T(10) })], [event(5)], 12, {}, []],
    ['an older in-sync observation does not resolve newer drift', [record({ lastDetectedAt: T(10) })], [], 5, { now: T(12) }, []],
    ['a record another run is notifying is left alone', [record({ alert: { ...sent(0), status: 'notifying', claimedUntil: T(20) } })], [], 10, {}, []],
    ['a dead run\'s claim (expired) no longer blocks', [record({ alert: { ...sent(0), status: 'notifying', claimedUntil: T(5) } })], [], 10, {}, ['resolve']],
    ['drift that comes back after it was resolved opens again', [record({ resolvedAt: T(5) })], [event(10)], 10, {}, ['open']],
    ['a stale observation of resolved drift does not reopen it', [record({ resolvedAt: T(5) })], [event(4)], 10, {}, []],
    [
      'drift that comes back while the previous opened alert is still held (actor wait) does not replace it yet',
      [record({ resolvedAt: T(5), alert: { ...sent(0), status: 'open', sinks: { log: { state: 'pending', attempts: 0 } } } })],
      [event(10)],
      10,
      {},
      [],
    ],
    [
      'drift that comes back while a resolved alert is sent as opened to a sink that missed it does not replace it yet',
      [record({ resolvedAt: T(5), alert: { ...sent(0), kind: 'resolved', status: 'open', sinks: { log: { state: 'delivered', attempts: 1 }, webhook: { state: 'pending', attempts: 0, kind: 'opened' } } } })],
      [event(10)],
      10,
      {},
      [],
    ],
    ['drift that comes back after the previous opened alert was tried and failed reopens', [record({ resolvedAt: T(5), alert: { ...sent(0), status: 'open', sinks: { log: { state: 'pending', attempts: 3 } } } })], [event(10)], 10, {}, ['open']],
    ['drift that comes back while only the previous resolved notice is undelivered reopens', [record({ resolvedAt: T(5), alert: { ...sent(0), kind: 'resolved', status: 'open', sinks: { log: { state: 'pending', attempts: 0 } } } })], [event(10)], 10, {}, ['open']],
    ['a resolved tombstone is purged after its time', [record({ resolvedAt: T(0) })], [], 30, { tombstoneTtlInMs: 20 * 60_000 }, ['purge']],
    ['a resolved record with an undelivered notice is kept', [record({ resolvedAt: T(0), alert: { ...sent(0), status: 'open' } })], [], 30, { tombstoneTtlInMs: 20 * 60_000 }, []],
  ] as const)('%s', (_name, records, events, minute, overrides, expected) => {
    expect(run([...records], [...events], minute, overrides as Partial<TransitionInput>)).toEqual(expected);
  });

  it('marks an alert opened by a repair with the repair time', () => {
    const [transition] = planTransitions({
      records: [],
      events: [event(5, { action: 'repaired' })],
      judged: new Set(),
      policies: new Set(['orders-to-payments']),
      observedAt: T(5),
      repairedAt: T(6),
      now: T(6),
      renotifyAfterInMs: 0,
    });
    expect(transition).toMatchObject({ type: 'open', repairedAt: T(6) });
  });
});
