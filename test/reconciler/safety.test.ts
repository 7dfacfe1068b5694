import { ArmError } from '../../src/reconciler/armError';
import type { Plan, PlannedAction } from '../../src/reconciler/plan';
import type { LockdownPolicy } from '../../src/reconciler/policy/types';
import { planTick } from '../../src/reconciler/tick';
import { APPS, NOW, ORDERS, PAYMENTS, policy, siteId, World } from '../support/world';

const plan = (world: World, policies: LockdownPolicy[] = [policy()]): Plan => planTick({ policies, observed: world.observed(), now: NOW });
const action = (result: Plan, kind: PlannedAction['kind'], resourceId?: string) => result.actions.find((candidate) => candidate.kind === kind && (!resourceId || candidate.resourceId === resourceId));

describe('safety proof of a plan', () => {
  it('lets a plan through that keeps every open path in every state a tick can leave', () => {
    const result = plan(World.open().withSite(ORDERS, { outboundAddresses: ['198.51.100.10'] }, {}));
    expect(result.actions.every((candidate) => candidate.enforcement.apply)).toBe(true);
    expect(result.conditions).toEqual([]);
  });

  it('does not move a caller whose callee cannot be read, and says why', () => {
    const world = World.open();
    const observed = world.observed();
    observed.siteConfigs.set(PAYMENTS.toLowerCase(), { status: 'unreadable', error: new ArmError('busy', 'AnotherOperationInProgress', 409, 'retryable') });
    const result = planTick({ policies: [policy()], observed, now: NOW });
    expect(action(result, 'caller.connectToSubnet')!.enforcement).toMatchObject({ apply: false, reason: 'unsafe' });
    expect(result.conditions).toContainEqual(expect.objectContaining({ severity: 'error', reason: 'PathUnprovable', policy: 'orders-to-payments' }));
  });

  it('waits to lock a callee while that would cut off a pair that is only audited, and the waiting is an error', () => {
    const inventory = siteId('web', 'inventory-web');
    const policies = [policy(), policy({ name: 'inventory', mode: 'audit', subnet: APPS, callers: [inventory] })];
    const world = World.open().withSite(inventory, { outboundAddresses: ['198.51.100.20'] }, {});
    const result = plan(world, policies);
    expect(action(result, 'callee.restrictAccess')!.enforcement).toMatchObject({ apply: false, reason: 'unsafe' });
    expect(result.conditions).toContainEqual(expect.objectContaining({ severity: 'error', reason: 'AuditedPairWouldBeCutOff', policy: 'orders-to-payments' }));
  });

  it('holds back what depends on a withheld write, with the reason', () => {
    const inventory = siteId('web', 'inventory-web');
    const legacy = siteId('fn', 'legacy-func');
    const policies = [policy({ callees: [PAYMENTS] }), policy({ name: 'orders-to-legacy', mode: 'audit', callees: [legacy] })];
    const world = World.open()
      .withSite(ORDERS, { outboundAddresses: ['198.51.100.10'] }, {})
      .withSite(legacy, {}, { accessRules: [{ name: 'orders', action: 'Allow', priority: 10, ipAddress: '198.51.100.10/32' }], defaultAction: 'Deny' })
      .withSite(inventory, {}, {});
    const result = plan(world, policies);
    expect(action(result, 'caller.connectToSubnet')!.enforcement).toMatchObject({ apply: false, reason: 'unsafe' });
    expect(action(result, 'callee.restrictAccess', PAYMENTS)!.enforcement).toMatchObject({ apply: false, reason: 'unsafe', detail: expect.stringContaining('waits for caller.connectToSubnet') });
  });
});
