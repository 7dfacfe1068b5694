/** Drift events and pair status from a tick report: pure, from the diff of small worlds. */
import { driftEvents } from '../../src/reconciler/alerts/driftEvents';
import { computePairStatus } from '../../src/reconciler/status/pairStatus';
import type { ApplyReport } from '../../src/reconciler/apply';
import { diff } from '../../src/reconciler/diff';
import { applyModes } from '../../src/reconciler/modes';
import type { LockdownPolicy } from '../../src/reconciler/policy/types';
import type { TickReport } from '../../src/reconciler/tick';
import { APPS, foreignRule, NOW, ORDERS, PAYMENTS, policy, subnetRule, World } from '../support/world';

function report(policies: LockdownPolicy[], world: World, outcome?: 'updated' | 'failed'): TickReport {
  const plan = applyModes(diff({ policies, observed: world.observed(), now: NOW }), policies, { now: NOW });
  const apply: ApplyReport | undefined = outcome
    ? {
        outcomes: plan.actions.map((action) => ({ actionId: action.id, kind: action.kind, resourceId: action.resourceId, policies: action.policies, attempts: 1, ...(action.enforcement.apply ? { outcome, ...(outcome === 'failed' ? { reason: 'ScopeLocked: locked' } : {}) } : { outcome: 'skipped' as const, reason: 'audit' }) })),
        pending: [],
      }
    : undefined;
  return { tickId: 't1', startedAt: NOW, observedAt: NOW, finishedAt: '2026-11-28T12:00:05.000Z', policies: { policies, problems: [], files: [], invalidFiles: [] } as unknown as TickReport['policies'], plan, apply };
}

const drifted = () =>
  World.lockedDown()
    .withSite(PAYMENTS, {}, { accessRules: [subnetRule(), foreignRule()], defaultAction: 'Allow', scmUseMain: true })
    .withSite(ORDERS, { integrationSubnetId: APPS.toLowerCase() }, { vnetRouteAllEnabled: false });

describe('drift events', () => {
  it('one event per policy and change, with stable keys, expected and actual', () => {
    const events = driftEvents(report([policy()], drifted(), 'updated'));
    expect(events.map((event) => [event.aspect, event.field, event.expected, event.actual, event.action])).toEqual(
      expect.arrayContaining([
        ['defaultAction', 'ipSecurityRestrictionsDefaultAction', 'Deny', 'Allow', 'repaired'],
        ['accessRule', 'ipSecurityRestrictions[portal-test]', null, expect.objectContaining({ ipAddress: '0.0.0.0/0' }), 'repaired'],
      ]),
    );
    expect(events).toHaveLength(2);
    const callee = events.find((event) => event.aspect === 'defaultAction')!;
    expect(callee.key).toBe(`orders-to-payments|${ORDERS.toLowerCase()}>${PAYMENTS.toLowerCase()}|${PAYMENTS.toLowerCase()}|defaultAction|ipSecurityRestrictionsDefaultAction`);
    expect(callee.pair).toEqual({ policy: 'orders-to-payments', caller: ORDERS, callee: PAYMENTS });
    expect(driftEvents(report([policy()], drifted(), 'updated')).map((event) => event.key)).toEqual(events.map((event) => event.key));
  });

  it.each([
    ['audit mode: reported only', policy({ mode: 'audit' }), 'updated', 'reportedOnly', /^audit/],
    ['a failed write', policy(), 'failed', 'failed', /ScopeLocked/],
    ['plan only (no apply)', policy(), undefined, 'reportedOnly', /plan only/],
  ] as const)('%s', (_name, shape, outcome, action, reason) => {
    const events = driftEvents(report([shape], drifted(), outcome));
    expect(events.every((event) => event.action === action && reason.test(event.reason ?? ''))).toBe(true);
  });

  it('a subnet difference touches every pair of the policy', () => {
    const twoCallees = policy({ callees: [PAYMENTS, PAYMENTS.replace('payments-func', 'legacy-func')] });
    const world = World.lockedDown().withSubnet(APPS, { delegations: [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] });
    const [event] = driftEvents(report([twoCallees], world.withSite(PAYMENTS.replace('payments-func', 'legacy-func'), {}, { accessRules: [subnetRule()], defaultAction: 'Deny', scmUseMain: true }), 'updated'));
    expect(event).toMatchObject({ aspect: 'serviceEndpoint', pairs: [expect.anything(), expect.anything()] });
    expect(event.pair).toBeUndefined();
    expect(event.key).toContain('|*|');
  });
});

describe('pair status', () => {
  const condition = (statuses: ReturnType<typeof computePairStatus>, type: string) => statuses[0].conditions.find((c) => c.type === type)!;

  it.each([
    ['in sync', policy(), World.lockedDown(), 'updated', { Ready: 'True/LockedDown', Drifted: 'False/InSync', Degraded: 'False/AsExpected' }],
    ['repaired this tick', policy(), drifted(), 'updated', { Ready: 'True/LockedDown', Drifted: 'False/Repaired', Degraded: 'False/AsExpected' }],
    ['audit', policy({ mode: 'audit' }), drifted(), 'updated', { Ready: 'False/AuditMode', Drifted: 'True/AuditMode', Degraded: 'False/AsExpected' }],
    ['repair failed', policy(), drifted(), 'failed', { Ready: 'False/RepairFailed', Drifted: 'True/RepairFailed', Degraded: 'True/RepairFailed' }],
    ['caller cannot integrate', policy(), World.lockedDown().withPlan('/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.Web/serverfarms/web-plan', 'Free'), 'updated', { Ready: 'False/PlanCannotIntegrate', Degraded: 'True/PlanCannotIntegrate' }],
  ] as const)('%s', (_name, shape, world, outcome, expected) => {
    const tick = report([shape], world, outcome);
    const statuses = computePairStatus(tick, driftEvents(tick));
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ lastReconcileTime: tick.finishedAt, observedGeneration: 'gen-1' });
    for (const [type, value] of Object.entries(expected)) {
      const c = condition(statuses, type);
      expect(`${c.status}/${c.reason}`).toBe(value);
    }
  });

  it('moves lastTransitionTime only when a status flips', () => {
    const first = report([policy({ mode: 'audit' })], drifted(), 'updated');
    const before = computePairStatus(first, driftEvents(first));
    const later = { ...first, finishedAt: '2026-11-28T13:00:00.000Z' };
    const after = computePairStatus(later, driftEvents(later), before);
    expect(condition(after, 'Drifted').lastTransitionTime).toBe(first.finishedAt);
    const fixed = { ...report([policy({ mode: 'audit' })], World.lockedDown(), 'updated'), finishedAt: '2026-11-28T14:00:00.000Z' };
    const resolved = computePairStatus(fixed, driftEvents(fixed), after);
    expect(condition(resolved, 'Drifted').lastTransitionTime).toBe(fixed.finishedAt);
    expect(condition(resolved, 'Degraded').lastTransitionTime).toBe(first.finishedAt);
  });
});
