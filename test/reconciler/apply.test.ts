import { apply } from '../../src/reconciler/apply';
import { diff } from '../../src/reconciler/diff';
import type { Plan } from '../../src/reconciler/plan';
import { canonicalId } from '../../src/reconciler/resourceId';
import { armError, RecordingPort } from '../support/recordingPort';
import { APPS, NOW, ORDERS, PAYMENTS, policy, siteId, subnetId, World } from '../support/world';

const openPlan = (): Plan => diff({ policies: [policy()], observed: World.open().observed(), now: NOW });
const fast = { retryDelayInMs: 1 };

describe('apply', () => {
  it('writes the subnet, then the caller, then the callee', async () => {
    const port = new RecordingPort();
    const report = await apply(openPlan(), port, fast);
    expect(port.calls.map((call) => `${call.method} ${call.target}`)).toEqual([
      `putSubnet ${APPS}`,
      `connectSiteToSubnet ${ORDERS}`,
      `updateSiteConfig ${PAYMENTS}`,
    ]);
    expect(report.outcomes.map((outcome) => outcome.outcome)).toEqual(['updated', 'created', 'updated']);
  });

  it('skips what depends on a failed action, with the reason, and never locks the callee', async () => {
    const port = new RecordingPort((method) => (method === 'connectSiteToSubnet' ? armError('SubnetMissingRequiredDelegation', 400) : undefined));
    const report = await apply(openPlan(), port, fast);
    const byKind = Object.fromEntries(report.outcomes.map((outcome) => [outcome.kind, outcome]));
    expect(byKind['caller.connectToSubnet']).toMatchObject({ outcome: 'failed', error: { code: 'SubnetMissingRequiredDelegation', retry: 'fatal' }, attempts: 1 });
    expect(byKind['callee.restrictAccess']).toMatchObject({ outcome: 'skipped', reason: expect.stringContaining('caller.connectToSubnet') });
    expect(port.calls.some((call) => call.target === PAYMENTS)).toBe(false);
  });

  it('retries a retryable ARM error and succeeds', async () => {
    const port = new RecordingPort((method, _target, attempt) => (method === 'putSubnet' && attempt < 3 ? armError('AnotherOperationInProgress', 409) : undefined));
    const report = await apply(openPlan(), port, fast);
    expect(report.outcomes[0]).toMatchObject({ outcome: 'updated', attempts: 3 });
  });

  it('gives up after the last attempt on a retryable error', async () => {
    const port = new RecordingPort((method) => (method === 'putSubnet' ? armError('InternalServerError', 500) : undefined));
    const report = await apply(openPlan(), port, { ...fast, maxAttempts: 2 });
    expect(report.outcomes[0]).toMatchObject({ outcome: 'failed', attempts: 2 });
  });

  it('does not retry a fatal error', async () => {
    const port = new RecordingPort((method) => (method === 'putSubnet' ? armError('InvalidRequestContent', 400) : undefined));
    const report = await apply(openPlan(), port, fast);
    expect(report.outcomes[0]).toMatchObject({ outcome: 'failed', attempts: 1 });
  });

  it('keeps going with other pairs when one pair fails', async () => {
    const spoke = subnetId('spoke', 'apps');
    const billing = siteId('web', 'billing-web');
    const ledger = siteId('fn', 'ledger');
    const policies = [policy(), policy({ name: 'billing', subnet: spoke, callers: [billing], callees: [ledger] })];
    const world = World.open().withSubnet(spoke, {}).withSite(billing, {}, {}).withSite(ledger, {}, {});
    const plan = diff({ policies, observed: world.observed(), now: NOW });
    const port = new RecordingPort((method, target) => (method === 'putSubnet' && target === APPS ? armError('AuthorizationFailed', 403) : undefined));
    const report = await apply(plan, port, fast);
    const ledgerOutcome = report.outcomes.find((outcome) => outcome.resourceId === ledger)!;
    const paymentsOutcome = report.outcomes.find((outcome) => outcome.resourceId === PAYMENTS)!;
    expect(ledgerOutcome.outcome).toBe('updated');
    expect(paymentsOutcome.outcome).toBe('skipped');
  });

  it('never runs two writes to one virtual network at once', async () => {
    const callers = ['a', 'b', 'c', 'd'].map((name) => siteId('web', name));
    const spoke = subnetId('spoke', 'apps');
    const world = World.open().withSubnet(spoke, {}).withSite(siteId('web', 'billing-web'), {}, {}).withSite(siteId('fn', 'ledger'), {}, {});
    for (const caller of callers) world.withSite(caller, {}, {});
    const policies = [policy({ callers }), policy({ name: 'billing', subnet: spoke, callers: [siteId('web', 'billing-web')], callees: [siteId('fn', 'ledger')] })];
    const plan = diff({ policies, observed: world.observed(), now: NOW });
    const port = new RecordingPort();
    await apply(plan, port, { ...fast, concurrency: 8 });
    const vnetWrites = (call: { method: string }) => call.method === 'putSubnet' || call.method === 'connectSiteToSubnet';
    const hubWrites = (call: { method: string; target: string }) => vnetWrites(call) && (call.target.includes('/virtualNetworks/hub/') || callers.includes(call.target));
    expect(port.calls.filter(hubWrites)).toHaveLength(5);
    expect(port.maxOverlap(hubWrites)).toBe(1);
    // writes to another virtual network run beside them
    expect(port.maxOverlap(() => true)).toBeGreaterThan(1);
  });

  it('starts nothing new past the deadline and reports it pending', async () => {
    const port = new RecordingPort();
    let clock = 0;
    const report = await apply(openPlan(), port, { ...fast, deadlineInMs: 1, now: () => clock++ });
    expect(port.calls).toHaveLength(1);
    expect(report.pending).toHaveLength(2); // the deferred action and the one that waits for it
    expect(report.outcomes.map((outcome) => outcome.outcome)).toEqual(['updated', 'skipped', 'skipped']);
    expect(report.outcomes[1].reason).toMatch(/time budget/);
  });

  it('reports a skipped action with the reason the modes gave', async () => {
    const plan = openPlan();
    plan.actions = plan.actions.map((action) => ({ ...action, enforcement: { apply: false, reason: 'audit', detail: 'audit mode' } }));
    const port = new RecordingPort();
    const report = await apply(plan, port, fast);
    expect(port.calls).toEqual([]);
    expect(report.outcomes.every((outcome) => outcome.outcome === 'skipped' && outcome.reason === 'audit: audit mode')).toBe(true);
  });

  it('uses stable action ids made of the kind and the canonical resource id', () => {
    expect(openPlan().actions[0].id).toBe(`subnet.enableAppServiceAccess:${canonicalId(APPS)}`);
  });
});
