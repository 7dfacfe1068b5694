/**
 * The least-privilege role (deploy/lockdown-operator-role.json) is sufficient and minimal:
 * a fresh lockdown (deployment slots of a callee and of a caller included) succeeds with exactly
 * its actions, and fails without any one of them.
 * "Succeeds" includes what the timer does after the tick: looking up in the Activity Log who
 * made each change (alerts), which needs Microsoft.Insights/eventtypes/values/read.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ActorLookup } from '../../src/reconciler/alerts/actor';
import { driftEvents } from '../../src/reconciler/alerts/driftEvents';
import { demoTopology, ids, OPERATOR, pairPolicy, ROOT, startEmulatorWorld } from '../support/emulatorWorld';

const role = JSON.parse(readFileSync(path.join(ROOT, 'deploy/lockdown-operator-role.json'), 'utf8')) as { Actions: string[] };

async function lockdownWith(allowedActions: string[]) {
  // The callee starts with public access disabled so that every kind of write is needed.
  // A callee slot and a caller slot (`callerSlots: all`) need the slot actions.
  const topology = demoTopology();
  const payments = topology.sites.find((site) => site.name === 'payments-func')!;
  payments.publicNetworkAccess = 'Disabled';
  payments.slots = [{ name: 'staging' }];
  topology.sites.find((site) => site.name === 'orders-web')!.slots = [{ name: 'staging' }];
  const world = await startEmulatorWorld({ rbac: { allowedActions }, topology });
  try {
    world.writePolicies({ 'orders.yaml': pairPolicy().replace('  callers:', '  callerSlots: all\n  callers:') });
    const report = await world.tick();
    const lookup = new ActorLookup(world.port, { now: new Date().toISOString(), ownCallers: [OPERATOR] });
    const actors = await Promise.all(driftEvents(report).map((event) => lookup.lookup({ resourceId: event.resourceId, aspect: event.aspect, detectedAt: event.detectedAt })));
    const actorsLookedUp = actors.length > 0 && actors.every((actor) => !(actor.unknown && actor.why === 'lookupFailed'));
    const denied = world.emulator.admin.requests().filter((exchange) => exchange.status === 403).length;
    const complete =
      actorsLookedUp && report.plan.conditions.length === 0 && report.apply!.outcomes.every((outcome) => outcome.outcome !== 'failed' && outcome.outcome !== 'skipped');
    return { complete, denied, outcomes: report.apply!.outcomes.map((outcome) => `${outcome.kind} ${outcome.outcome}`) };
  } finally {
    await world.stop();
  }
}

describe('least-privilege role', () => {
  it('is sufficient for a fresh lockdown', async () => {
    const result = await lockdownWith(role.Actions);
    expect(result).toMatchObject({ complete: true, denied: 0 });
  });

  it.each(role.Actions)('needs %s', async (action) => {
    const result = await lockdownWith(role.Actions.filter((candidate) => candidate !== action));
    expect(result.complete).toBe(false);
    expect(result.denied).toBeGreaterThan(0);
  });
});

describe('least-privilege role, beyond a fresh lockdown', () => {
  it('is sufficient to repair drift and to move a caller to another subnet', async () => {
    const world = await startEmulatorWorld({ rbac: { allowedActions: role.Actions } });
    try {
      world.writePolicies({ 'orders.yaml': pairPolicy() });
      await world.tick();
      await world.emulator.admin.outOfBand('alice@example.test', {
        method: 'PATCH',
        path: `${ids.payments}/config/web`,
        body: { properties: { ipSecurityRestrictionsDefaultAction: 'Allow', scmIpSecurityRestrictionsUseMain: false } },
      });
      const repair = await world.tick();
      world.writePolicies({ 'orders.yaml': pairPolicy({ subnet: ids.data }) });
      const move = await world.tick();
      for (const report of [repair, move]) {
        expect(report.plan.conditions).toEqual([]);
        expect(report.apply!.outcomes.filter((outcome) => outcome.outcome === 'failed' || outcome.outcome === 'skipped')).toEqual([]);
      }
      expect(move.apply!.outcomes.map((outcome) => outcome.kind)).toContain('callee.admitCallers');
      expect(world.emulator.admin.requests().filter((exchange) => exchange.status === 403)).toEqual([]);
    } finally {
      await world.stop();
    }
  });
});
