/** Who made the change: the pure choice from Activity Log records, and what "none" means. */
import { activityWindow, explainNoActor, pickActor, ActorLookup } from '../../src/reconciler/alerts/actor';
import type { ActivityRecord } from '../../src/reconciler/port';

const SITE = '/subscriptions/s/resourceGroups/fn/providers/Microsoft.Web/sites/payments-func';
const SUBNET = '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps';
const write = (caller: string, minute: number, overrides: Partial<ActivityRecord> = {}): ActivityRecord => ({
  eventTimestamp: new Date(Date.UTC(2026, 10, 28, 12, minute)).toISOString(),
  caller,
  operationName: 'Microsoft.Web/sites/config/write',
  resourceId: `${SITE}/config/web`,
  correlationId: `corr-${caller}-${minute}`,
  status: 'Succeeded',
  ...overrides,
});
const request = { resourceId: SITE, aspect: 'accessRule' as const, lastInSyncAt: '2026-11-28T11:00:00.000Z', detectedAt: '2026-11-28T13:00:00.000Z' };

describe('actor', () => {
  it('picks the latest successful write', () => {
    expect(pickActor([write('alice', 1), write('bob', 2), write('carol', 3, { status: 'Failed' }), write('dave', 4, { status: 'Started' })], request)).toEqual({
      caller: 'bob',
      time: '2026-11-28T12:02:00.000Z',
      operation: 'Microsoft.Web/sites/config/write',
      correlationId: 'corr-bob-2',
    });
  });

  it("leaves out Lockdown's own writes", () => {
    expect(pickActor([write('alice', 1), write('lockdown-operator', 2)], request, { ownCallers: ['Lockdown-Operator'] })?.caller).toBe('alice');
  });

  it('prefers a write that can change the aspect over a later unrelated one', () => {
    const records = [write('alice', 1), write('bob', 2, { operationName: 'Microsoft.Web/sites/write', resourceId: SITE })];
    expect(pickActor(records, request)?.caller).toBe('alice');
    expect(pickActor(records, { ...request, aspect: 'publicAccess' })?.caller).toBe('bob');
  });

  it('ignores writes to other resources', () => {
    expect(pickActor([write('alice', 1, { resourceId: SITE.replace('payments', 'legacy') })], request)).toBeUndefined();
  });

  it("keeps an app's and its deployment slots' writes apart, and names a slot's creator", () => {
    const slot = `${SITE}/slots/hotfix`;
    const created = write('mallory', 2, { operationName: 'Microsoft.Web/sites/slots/write', resourceId: slot });
    const slotConfig = write('erin', 3, { operationName: 'Microsoft.Web/sites/slots/config/write', resourceId: `${slot}/config/web` });
    expect(pickActor([write('alice', 1), created, slotConfig], request)?.caller).toBe('alice');
    expect(pickActor([write('alice', 1), created], { ...request, resourceId: slot })?.caller).toBe('mallory');
    expect(pickActor([created, slotConfig, write('bob', 4, { operationName: 'Microsoft.Web/sites/slots/write', resourceId: slot })], { ...request, resourceId: slot })?.caller).toBe('erin');
  });

  it('counts a PUT of the whole virtual network for a subnet', () => {
    const vnetWrite = write('bob', 1, { operationName: 'Microsoft.Network/virtualNetworks/write', resourceId: SUBNET.replace('/subnets/apps', '') });
    expect(pickActor([vnetWrite], { ...request, resourceId: SUBNET, aspect: 'serviceEndpoint' })?.caller).toBe('bob');
  });

  it('searches from the last in-sync observation to the detection, or 24 h without one, never past 90 days', () => {
    const now = '2026-11-28T13:05:00.000Z';
    expect(activityWindow(request, { now })).toEqual({ from: request.lastInSyncAt, to: request.detectedAt, truncated: 'none' });
    expect(activityWindow({ ...request, lastInSyncAt: undefined }, { now })).toEqual({ from: '2026-11-27T13:00:00.000Z', to: request.detectedAt, truncated: 'noInSyncObservation' });
    expect(activityWindow({ ...request, lastInSyncAt: '2026-01-01T00:00:00.000Z' }, { now }).truncated).toBe('retention');
    // an hour inside the 90 days: ARM refuses a start past them, and the query reaches it after `now`
    expect(activityWindow({ ...request, lastInSyncAt: '2026-01-01T00:00:00.000Z' }, { now }).from).toBe('2026-08-30T14:05:00.000Z');
  });

  it('never starts the window after its end: an in-sync time at or after the detection falls back to 24 h', () => {
    const now = '2026-11-28T13:05:00.000Z';
    // After a repair the store's lastInSyncAt is the repair, later than the observation that found the drift.
    for (const lastInSyncAt of ['2026-11-28T13:00:30.000Z', request.detectedAt]) {
      const window = activityWindow({ ...request, lastInSyncAt }, { now });
      expect(window).toEqual({ from: '2026-11-27T13:00:00.000Z', to: request.detectedAt, truncated: 'noInSyncObservation' });
    }
    // A detection older than the log keeps: a degenerate window, not an inverted one.
    const old = activityWindow({ ...request, lastInSyncAt: '2026-01-01T00:00:00.000Z', detectedAt: '2026-02-01T00:00:00.000Z' }, { now });
    expect(Date.parse(old.from)).toBeLessThanOrEqual(Date.parse(old.to));
  });

  it.each([
    ['a recent change is not yet ingested', {}, '2026-11-28T13:05:00.000Z', 'notYetIngested'],
    ['an in-sync time older than the log keeps is outside the window', { lastInSyncAt: '2026-01-01T00:00:00.000Z' }, '2026-11-28T14:00:00.000Z', 'outsideLogWindow'],
    ['never seen in sync: possibly older than the window', { lastInSyncAt: undefined }, '2026-11-28T14:00:00.000Z', 'outsideLogWindow'],
  ] as const)('explains an empty answer: %s', (_name, overrides, now, why) => {
    const lookup = { ...request, ...overrides };
    expect(explainNoActor(activityWindow(lookup, { now }), lookup, { now, ingestionGraceInMs: 15 * 60_000 })).toMatchObject({ unknown: true, why });
  });

  it('reports a failed lookup instead of throwing, and asks once per resource and window', async () => {
    let calls = 0;
    const lookup = new ActorLookup(
      {
        listActivity: async () => {
          calls++;
          throw Object.assign(new Error('denied'), { name: 'ArmError', code: 'AuthorizationFailed', statusCode: 403 });
        },
      },
      { now: '2026-11-28T13:05:00.000Z' },
    );
    const [first, second] = await Promise.all([lookup.lookup(request), lookup.lookup({ ...request, aspect: 'defaultAction' })]);
    expect(first).toMatchObject({ unknown: true, why: 'lookupFailed', detail: expect.stringContaining('AuthorizationFailed') });
    expect(second).toMatchObject({ why: 'lookupFailed' });
    expect(calls).toBe(1);
  });
});
