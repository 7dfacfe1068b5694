/**
 * The least-privilege role (deploy/lockdown-operator-role.json) is sufficient and minimal:
 * a fresh lockdown (deployment slots of a callee and of a caller included) succeeds with exactly
 * its actions, and fails without any one of them.
 * The subnet it locks links what landing zones attach to subnets (network security group,
 * route table, NAT gateway, service endpoint policy): ARM checks join/action on each of them
 * on every subnet write, whether the link changes or not.
 * "Succeeds" includes what the timer does after the tick: looking up in the Activity Log who
 * made each change (alerts), which needs Microsoft.Insights/eventtypes/values/read.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ActorLookup } from '../../src/reconciler/alerts/actor';
import { driftEvents } from '../../src/reconciler/alerts/driftEvents';
import { demoTopology, ids, OPERATOR, pairPolicy, ROOT, startEmulatorWorld, SUB } from '../support/emulatorWorld';

const role = JSON.parse(readFileSync(path.join(ROOT, 'deploy/lockdown-operator-role.json'), 'utf8')) as { Actions: string[] };

const NET = `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network`;
const linked = {
  networkSecurityGroupId: `${NET}/networkSecurityGroups/apps-nsg`,
  routeTableId: `${NET}/routeTables/apps-rt`,
  natGatewayId: `${NET}/natGateways/egress`,
  serviceEndpointPolicyIds: [`${NET}/serviceEndpointPolicies/storage-only`],
};

/** the demo estate with every kind of link on both subnets a policy may name */
function landingZoneTopology() {
  const topology = demoTopology();
  for (const subnet of topology.virtualNetworks[0].subnets) Object.assign(subnet, structuredClone(linked));
  return topology;
}

async function lockdownWith(allowedActions: string[]) {
  // The callee starts with public access disabled so that every kind of write is needed.
  // A callee slot and a caller slot (`callerSlots: all`) need the slot actions.
  const topology = landingZoneTopology();
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
  it('is sufficient for a fresh lockdown of a subnet with an NSG, a route table, a NAT gateway and a service endpoint policy', async () => {
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
    const world = await startEmulatorWorld({ rbac: { allowedActions: role.Actions }, topology: landingZoneTopology() });
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

describe('least-privilege role, linked resources', () => {
  it.each([
    ['Microsoft.Network/networkSecurityGroups/join/action', linked.networkSecurityGroupId],
    ['Microsoft.Network/routeTables/join/action', linked.routeTableId],
    ['Microsoft.Network/natGateways/join/action', linked.natGatewayId],
    ['Microsoft.Network/serviceEndpointPolicies/join/action', linked.serviceEndpointPolicyIds[0]],
  ])('without %s the subnet write is refused as LinkedAuthorizationFailed on the unchanged link', async (action, scope) => {
    const world = await startEmulatorWorld({ rbac: { allowedActions: role.Actions.filter((candidate) => candidate !== action) }, topology: landingZoneTopology() });
    try {
      world.writePolicies({ 'orders.yaml': pairPolicy() });
      await world.tick();
      const refused = world.emulator.admin.requests().filter((exchange) => exchange.status === 403);
      expect(refused.map((exchange) => `${exchange.method} ${exchange.url.split('?')[0]}`)).toEqual([`PUT ${ids.apps}`]);
      const error = (refused[0].responseBody as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('LinkedAuthorizationFailed');
      expect(error.message).toContain(`action(s) '${action}' on the linked scope(s) '${scope}'`);
      expect(world.emulator.admin.state().subnets[ids.apps].properties.delegations).toEqual([]);
    } finally {
      await world.stop();
    }
  });
});
