import { diff } from '../../src/reconciler/diff';
import { applyModes } from '../../src/reconciler/modes';
import { EVERY_RESOURCE, type LockdownPolicy } from '../../src/reconciler/policy/types';
import { NOW, PAYMENTS, policy, siteId, World } from '../support/world';

const planFor = (policies: LockdownPolicy[], options: { dryRun?: boolean } = {}) => {
  const world = World.open().withSite(siteId('web', 'inventory-web'), {}, {});
  return applyModes(diff({ policies, observed: world.observed(), now: NOW }), policies, { now: NOW, ...options });
};
const reasons = (policies: LockdownPolicy[], options: { dryRun?: boolean } = {}) =>
  planFor(policies, options).actions.map((action) => (action.enforcement.apply ? 'apply' : action.enforcement.reason));

describe('modes', () => {
  it('applies everything for an enforcing policy', () => {
    expect(reasons([policy()])).toEqual(['apply', 'apply', 'apply']);
  });

  it('reports only, in audit mode', () => {
    expect(reasons([policy({ mode: 'audit' })])).toEqual(['audit', 'audit', 'audit']);
  });

  it('reports only while a policy is suspended', () => {
    const plan = planFor([policy({ suspend: { until: '2026-11-29T00:00:00Z', reason: 'incident 4711' } })]);
    expect(plan.actions.map((action) => action.enforcement)).toEqual(
      plan.actions.map(() => ({ apply: false, reason: 'suspended', detail: 'policy orders-to-payments is suspended until 2026-11-29T00:00:00Z (incident 4711)' })),
    );
  });

  it('enforces again once the suspension has expired', () => {
    expect(reasons([policy({ suspend: { until: '2026-11-01T00:00:00Z' } })])).toEqual(['apply', 'apply', 'apply']);
  });

  it('suspends until removed when no expiry is given', () => {
    expect(reasons([policy({ suspend: {} })])).toEqual(['suspended', 'suspended', 'suspended']);
  });

  it('writes nothing in a dry run', () => {
    expect(reasons([policy()], { dryRun: true })).toEqual(['dryRun', 'dryRun', 'dryRun']);
  });

  it('lets an enforcing policy repair a resource it shares with an audit policy', () => {
    const policies = [policy(), policy({ name: 'inventory', mode: 'audit', callers: [siteId('web', 'inventory-web')] })];
    const plan = planFor(policies);
    const callee = plan.actions.find((action) => action.kind === 'callee.restrictAccess')!;
    expect(callee.enforcement.apply).toBe(true);
    const inventoryCaller = plan.actions.find((action) => action.resourceId === siteId('web', 'inventory-web'))!;
    expect(inventoryCaller.enforcement).toMatchObject({ apply: false, reason: 'audit' });
  });

  it('writes nothing of a suspended policy on a shared resource: the callee gets the enforcing policy\'s rules only', () => {
    const policies = [policy(), policy({ name: 'inventory', suspend: {}, callers: [siteId('web', 'inventory-web')] })];
    const callee = planFor(policies).actions.find((action) => action.kind === 'callee.restrictAccess')!;
    expect(callee.policies).toEqual(['orders-to-payments']);
    const inventoryCaller = planFor(policies).actions.find((action) => action.resourceId === siteId('web', 'inventory-web'))!;
    expect(inventoryCaller.enforcement).toMatchObject({ apply: false, reason: 'suspended' });
  });

  it('keeps a blocked action blocked', () => {
    const policies = [policy()];
    const world = World.open().withPlan('/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.Web/serverfarms/web-plan', 'Dynamic');
    const plan = applyModes(diff({ policies, observed: world.observed(), now: NOW }), policies, { now: NOW, dryRun: true });
    expect(plan.actions.map((action) => (action.enforcement.apply ? 'apply' : action.enforcement.reason))).toEqual(['dryRun', 'blocked']);
  });
});

describe('modes: resources named by an invalid policy file', () => {
  it('never writes a resource an invalid file names', () => {
    const plan = planFor([policy()]);
    const frozen = applyModes(plan, [policy()], { now: NOW, frozenResources: [{ id: PAYMENTS.toLowerCase(), file: 'policies/typo.yaml' }] });
    const byKind = Object.fromEntries(frozen.actions.map((action) => [action.kind, action.enforcement]));
    expect(byKind['callee.restrictAccess']).toEqual({
      apply: false,
      reason: 'invalidPolicy',
      detail: 'named in the invalid policy file policies/typo.yaml: nothing it names is written until it is fixed',
    });
    expect(byKind['subnet.enableAppServiceAccess']).toEqual({ apply: true });
  });

  it('writes nothing at all when a policy file could not be read', () => {
    const frozen = applyModes(planFor([policy()]), [policy()], { now: NOW, frozenResources: [{ id: EVERY_RESOURCE, file: 'policies/locked.yaml' }] });
    expect(frozen.actions.every((action) => !action.enforcement.apply && action.enforcement.reason === 'invalidPolicy')).toBe(true);
  });
});
