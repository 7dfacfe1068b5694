/**
 * Never cut off, end to end: the starting points where a fixed order of writes used to lock a
 * declared caller out, checked over every state the emulator recorded.
 */
import type { EmulatorStateSnapshot, Topology } from '../../emulator/src/types';
import { demoTopology, ids, pairPolicy, startEmulatorWorld, type EmulatorWorld } from '../support/emulatorWorld';

const ORDERS_IP = '198.51.100.10';
const find = (map: Record<string, any>, id: string) => Object.entries(map).find(([key]) => key.toLowerCase() === id.toLowerCase())?.[1];
const siteOf = (state: EmulatorStateSnapshot, id: string) => find(state.sites, id);
const configOf = (state: EmulatorStateSnapshot, id: string) => find(state.siteConfigs, `${id}/config/web`)?.properties ?? {};
const inventory = ids.orders.replace('orders-web', 'inventory-web');

/**
 * Whether a caller's calls get through a callee's main-site access restrictions in a state:
 * they come from its subnet when it is integrated with a subnet that has the Microsoft.Web
 * service endpoint, and from its outbound addresses otherwise.
 */
function reaches(state: EmulatorStateSnapshot, callerId: string, calleeId: string): boolean {
  const caller = siteOf(state, callerId).properties;
  const subnetId = caller.virtualNetworkSubnetId?.toLowerCase();
  const endpoint = subnetId ? (find(state.subnets, subnetId)?.properties?.serviceEndpoints ?? []).some((e: any) => e.service === 'Microsoft.Web') : false;
  const addresses: string[] = caller.outboundIpAddresses.split(',');
  const config = configOf(state, calleeId);
  const rules = [...(config.ipSecurityRestrictions ?? [])].filter((rule: any) => rule.priority !== 2147483647).sort((a: any, b: any) => a.priority - b.priority);
  const match = rules.find((rule: any) =>
    endpoint ? rule.vnetSubnetResourceId?.toLowerCase() === subnetId : addresses.every((address) => rule.ipAddress === `${address}/32` || rule.ipAddress === 'Any'),
  );
  if (match) return match.action === 'Allow';
  return (config.ipSecurityRestrictionsDefaultAction ?? (rules.length > 0 ? 'Deny' : 'Allow')) === 'Allow';
}

function expectAlwaysReaches(world: EmulatorWorld, callerId: string, calleeId: string): void {
  const states = world.emulator.admin.history();
  expect(states.length).toBeGreaterThan(1);
  for (const state of states) expect({ cause: state.cause, reaches: reaches(state, callerId, calleeId) }).toEqual({ cause: state.cause, reaches: true });
}

let world: EmulatorWorld;
beforeEach(async () => {
  world = await startEmulatorWorld();
});
afterEach(() => world.stop());

describe('never cut off', () => {
  it('migrates from an IP allow-list: the callee admits the subnet before the endpoint moves the caller onto it', async () => {
    // The usual starting point: orders-web is integrated (route-all on) with a delegated subnet
    // that lacks the endpoint; payments-func denies by default and allows orders-web's address.
    const topology: Topology = demoTopology();
    const apps = topology.virtualNetworks[0].subnets.find((subnet) => subnet.name === 'apps')!;
    apps.delegations = [{ name: 'web', serviceName: 'Microsoft.Web/serverFarms' }];
    delete apps.routeTableId; // with a route table, where route-all traffic leaves from is unknown
    const orders = topology.sites.find((site) => site.name === 'orders-web')!;
    Object.assign(orders, { virtualNetworkSubnetId: ids.apps, vnetRouteAllEnabled: true, outboundIpAddresses: [ORDERS_IP] });
    const payments = topology.sites.find((site) => site.name === 'payments-func')!;
    payments.config = { ipSecurityRestrictions: [{ name: 'orders-outbound', ipAddress: `${ORDERS_IP}/32`, action: 'Allow', priority: 50 }], ipSecurityRestrictionsDefaultAction: 'Deny' };
    world.emulator.admin.seed(topology);
    world.writePolicies({ 'orders.yaml': pairPolicy() });

    const report = await world.tick();
    expect(report.apply!.outcomes.map((outcome) => `${outcome.kind} ${outcome.outcome}`)).toEqual([
      'callee.admitCallers updated',
      'subnet.enableAppServiceAccess updated',
      'callee.restrictAccess updated',
    ]);
    expectAlwaysReaches(world, ids.orders, ids.payments);
    expect(configOf(world.emulator.admin.state(), ids.payments).ipSecurityRestrictions.map((rule: any) => rule.name)).not.toContain('orders-outbound');
    expect((await world.tick()).plan.actions).toEqual([]);
  });

  it('migrates from an IP allow-list under a failing write: every intermediate state keeps the path', async () => {
    const topology: Topology = demoTopology();
    const apps = topology.virtualNetworks[0].subnets.find((subnet) => subnet.name === 'apps')!;
    apps.delegations = [{ name: 'web', serviceName: 'Microsoft.Web/serverFarms' }];
    delete apps.routeTableId;
    Object.assign(topology.sites.find((site) => site.name === 'orders-web')!, { virtualNetworkSubnetId: ids.apps, vnetRouteAllEnabled: true, outboundIpAddresses: [ORDERS_IP] });
    topology.sites.find((site) => site.name === 'payments-func')!.config = {
      ipSecurityRestrictions: [{ name: 'orders-outbound', ipAddress: `${ORDERS_IP}/32`, action: 'Allow', priority: 50 }],
      ipSecurityRestrictionsDefaultAction: 'Deny',
    };
    world.emulator.admin.seed(topology);
    world.writePolicies({ 'orders.yaml': pairPolicy() });
    world.emulator.admin.addFault({ method: 'PUT', pathPattern: 'subnets/apps$', kind: 'lroFailed', times: 10 });

    const report = await world.tick();
    expect(report.apply!.outcomes.find((outcome) => outcome.kind === 'callee.restrictAccess')!.outcome).toBe('skipped');
    world.emulator.admin.clearFaults();
    await world.tick();
    expectAlwaysReaches(world, ids.orders, ids.payments);
    expect((await world.tick()).plan.actions).toEqual([]);
  });

  it('never moves a caller\'s calls while its callee cannot be read: no write, an error condition, a non-zero exit', async () => {
    world.writePolicies({ 'orders.yaml': pairPolicy() });
    world.emulator.admin.addFault({ method: 'GET', pathPattern: 'sites/payments-func/config/web$', kind: 'anotherOperationInProgress', status: 409, times: 100 });
    const report = await world.tick();
    const connect = report.plan.actions.find((action) => action.kind === 'caller.connectToSubnet')!;
    expect(connect.enforcement).toMatchObject({ apply: false, reason: 'unsafe' });
    expect(report.plan.conditions).toContainEqual(expect.objectContaining({ severity: 'error', reason: 'PathUnprovable', policy: 'orders-to-payments' }));
    // Error conditions make the run exit 1 (src/cli/main.ts) and the pair Degraded.
    expect(report.plan.conditions.filter((condition) => condition.severity === 'error').length).toBeGreaterThan(0);
    expect(world.writes().filter((write) => write.url.includes('orders-web'))).toEqual([]);
    expectAlwaysReaches(world, ids.orders, ids.payments);

    world.emulator.admin.clearFaults();
    await world.tick();
    expect((await world.tick()).plan.actions).toEqual([]);
    expectAlwaysReaches(world, ids.orders, ids.payments);
  });

  describe('audit and enforce on one callee', () => {
    const withInventory = () => {
      const topology: Topology = demoTopology();
      topology.serverFarms.push({ resourceGroup: 'web', name: 'inventory-plan', location: 'westeurope', sku: { name: 'P1v3', tier: 'PremiumV3' } });
      topology.sites.push({ resourceGroup: 'web', name: 'inventory-web', location: 'westeurope', kind: 'app', serverFarm: 'inventory-plan' });
      world.emulator.admin.seed(topology);
    };
    const auditExtra = ['  alsoAllow:', '    - name: office', '      ipAddress: 203.0.113.0/24'].join('\n');
    const neverWritesTheAuditAllow = () => {
      for (const state of world.emulator.admin.history()) {
        expect((configOf(state, ids.payments).ipSecurityRestrictions ?? []).map((rule: any) => rule.name)).not.toContain('ld-office');
      }
    };

    it('waits to lock the callee while that would cut off a pair that is only audited, and says why', async () => {
      withInventory();
      world.writePolicies({
        'orders.yaml': pairPolicy(),
        'inventory.yaml': pairPolicy({ name: 'inventory-to-payments', mode: 'audit', callers: [inventory], subnet: ids.data, extra: auditExtra }),
      });
      const report = await world.tick();
      const restrict = report.plan.actions.find((action) => action.kind === 'callee.restrictAccess')!;
      expect(restrict.policies).toEqual(['orders-to-payments']);
      expect(restrict.enforcement).toMatchObject({ apply: false, reason: 'unsafe' });
      expect(report.plan.conditions).toContainEqual(expect.objectContaining({ severity: 'error', reason: 'AuditedPairWouldBeCutOff', policy: 'orders-to-payments' }));
      expectAlwaysReaches(world, inventory, ids.payments);
      expectAlwaysReaches(world, ids.orders, ids.payments);
      neverWritesTheAuditAllow();
    });

    it('never writes the extra allow of an audit policy that shares the caller', async () => {
      world.writePolicies({
        'orders.yaml': pairPolicy(),
        'orders-audit.yaml': pairPolicy({ name: 'orders-audit', mode: 'audit', extra: auditExtra }),
      });
      const report = await world.tick();
      expect(report.apply!.outcomes.every((outcome) => outcome.outcome !== 'failed')).toBe(true);
      expect(configOf(world.emulator.admin.state(), ids.payments).ipSecurityRestrictionsDefaultAction).toBe('Deny');
      neverWritesTheAuditAllow();
      expectAlwaysReaches(world, ids.orders, ids.payments);
    });
  });
});
