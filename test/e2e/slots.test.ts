/**
 * Deployment slots end to end: a locked callee has no open back door. Real SDK clients against
 * the ARM emulator; slots seeded, created and swapped as portal edits.
 */
import type { EmulatorStateSnapshot, Topology } from '../../emulator/src/types';
import { startAlertWorld, type AlertWorld } from '../support/alertHarness';
import { demoTopology, ids, pairPolicy, startEmulatorWorld, type EmulatorWorld } from '../support/emulatorWorld';
import { safetyViolations } from '../support/safetyProperties';
import { driftEvents } from '../../src/reconciler/alerts/driftEvents';
import { computePairStatus } from '../../src/reconciler/status/pairStatus';
import { actionSummary } from '../../src/reconciler/render/summary';
import { canonicalId } from '../../src/reconciler/resourceId';

const find = (map: Record<string, any>, id: string) => Object.entries(map).find(([key]) => key.toLowerCase() === id.toLowerCase())?.[1];
const configOf = (state: EmulatorStateSnapshot, id: string) => find(state.siteConfigs, `${id}/config/web`)?.properties;
const owned = (rules: any[]) => rules.filter((rule) => String(rule.description ?? '').startsWith('lockdown:'));
const slot = (app: string, name: string) => `${app}/slots/${name}`;
const lockedToApps = (state: EmulatorStateSnapshot, id: string) => {
  const config = configOf(state, id);
  return {
    defaultAction: config.ipSecurityRestrictionsDefaultAction,
    owned: owned(config.ipSecurityRestrictions).map((rule: any) => rule.vnetSubnetResourceId.toLowerCase()),
  };
};
const LOCKED = { defaultAction: 'Deny', owned: [ids.apps.toLowerCase()] };

function withSlots(slots: Record<string, string[]>): Topology {
  const topology = demoTopology();
  for (const site of topology.sites) if (slots[site.name]) site.slots = slots[site.name].map((name) => ({ name }));
  return topology;
}

let world: EmulatorWorld;
afterEach(() => world?.stop());

describe('deployment slots of a callee', () => {
  beforeEach(async () => {
    world = await startEmulatorWorld({ topology: withSlots({ 'payments-func': ['staging', 'canary'] }) });
    world.writePolicies({ 'orders.yaml': pairPolicy() });
  });

  it('locks a callee and both its slots in one apply, then writes nothing', async () => {
    const first = await world.tick();
    const restricted = first.apply!.outcomes.filter((outcome) => outcome.kind === 'callee.restrictAccess');
    expect(restricted.map((outcome) => [outcome.resourceId.toLowerCase(), outcome.outcome]).sort()).toEqual(
      [ids.payments, slot(ids.payments, 'canary'), slot(ids.payments, 'staging')].map((id) => [id.toLowerCase(), 'updated']).sort(),
    );
    const state = world.emulator.admin.state();
    for (const id of [ids.payments, slot(ids.payments, 'staging'), slot(ids.payments, 'canary')]) expect(lockedToApps(state, id)).toEqual(LOCKED);
    expect(configOf(state, slot(ids.payments, 'staging')).scmIpSecurityRestrictionsUseMain).toBe(true);

    world.emulator.admin.clearRequests();
    const second = await world.tick();
    expect(second.plan.actions).toEqual([]);
    expect(world.writes()).toEqual([]);
    const reads = world.emulator.admin.requests().map((exchange) => exchange.url.split('?')[0].toLowerCase());
    expect(reads.length).toBe(new Set(reads).size); // the steady tick reads each resource once
  });

  it('reads the slots with one list per callee, not one read per slot name', async () => {
    await world.tick();
    const lists = world.emulator.admin.requests().filter((exchange) => exchange.operationId === 'WebApps_ListSlots');
    expect(lists.map((exchange) => exchange.url.split('?')[0].toLowerCase())).toEqual([`${ids.payments}/slots`.toLowerCase()]);
    // A slot is read by name only by a write's path guard, with the correlation id of that write.
    const exchanges = world.emulator.admin.requests();
    const writes = new Set(exchanges.filter((exchange) => exchange.method !== 'GET').map((exchange) => exchange.requestHeaders['x-ms-correlation-request-id']));
    const slotReads = exchanges.filter((exchange) => exchange.operationId === 'WebApps_GetSlot');
    expect(slotReads.filter((exchange) => !writes.has(exchange.requestHeaders['x-ms-correlation-request-id']))).toEqual([]);
  });

  it('names the slot in the plan, the drift and the pairs the status reports', async () => {
    const report = await world.tick();
    expect(report.plan.actions.map((action) => actionSummary(action).split(':')[0])).toEqual(expect.arrayContaining(['callee payments-func/staging', 'callee payments-func/canary']));
    expect(report.policies.policies[0].callees.map((callee) => callee.displayId)).toEqual([ids.payments, slot(ids.payments, 'staging'), slot(ids.payments, 'canary')]);
    const statuses = computePairStatus(report, driftEvents(report));
    expect(statuses.map((status) => status.callee)).toEqual([ids.payments, slot(ids.payments, 'staging'), slot(ids.payments, 'canary')]);
    expect(statuses.find((status) => status.callee === slot(ids.payments, 'staging'))!.conditions.find((condition) => condition.type === 'Drifted')!.message).toContain('payments-func/staging');
  });

  it('locks only the named slots, and none with `slots: none`', async () => {
    world.writePolicies({ 'orders.yaml': pairPolicy({ extra: '      slots: [canary]' }) });
    await world.tick();
    let state = world.emulator.admin.state();
    expect(lockedToApps(state, slot(ids.payments, 'canary'))).toEqual(LOCKED);
    expect(configOf(state, slot(ids.payments, 'staging')).ipSecurityRestrictionsDefaultAction).not.toBe('Deny');

    world.writePolicies({ 'orders.yaml': pairPolicy({ extra: '      slots: none' }) });
    const report = await world.tick();
    expect(report.policies.problems).toEqual([expect.objectContaining({ severity: 'warning', path: 'spec.callees[0].slots' })]);
    state = world.emulator.admin.state();
    expect(configOf(state, slot(ids.payments, 'staging')).ipSecurityRestrictionsDefaultAction).not.toBe('Deny');
  });

  it('locks an open slot created by a portal edit on the next tick', async () => {
    await world.tick();
    await world.emulator.admin.outOfBand('mallory@example.test', { method: 'PUT', path: slot(ids.payments, 'hotfix'), body: { location: 'westeurope' } });
    const report = await world.tick();
    expect(report.plan.actions.map((action) => action.resourceId.toLowerCase())).toEqual([slot(ids.payments, 'hotfix').toLowerCase()]);
    expect(lockedToApps(world.emulator.admin.state(), slot(ids.payments, 'hotfix'))).toEqual(LOCKED);
  });

  it('reports a slot list it cannot read as an error condition, and still locks the app', async () => {
    world.emulator.admin.addFault({ method: 'GET', pathPattern: '/sites/payments-func/slots$', kind: 'status', status: 500, times: 50 });
    const report = await world.tick();
    expect(report.plan.conditions).toEqual([expect.objectContaining({ severity: 'error', reason: 'SlotsUnreadable', policy: 'orders-to-payments', resourceId: ids.payments })]);
    const state = world.emulator.admin.state();
    expect(lockedToApps(state, ids.payments)).toEqual(LOCKED);
    expect(configOf(state, slot(ids.payments, 'staging')).ipSecurityRestrictionsDefaultAction).not.toBe('Deny');
  });

  it('plans nothing for a slot cloned from the locked app: it already is locked', async () => {
    await world.tick();
    await world.emulator.admin.outOfBand('mallory@example.test', { method: 'PUT', path: slot(ids.payments, 'hotfix'), body: { location: 'westeurope', properties: { cloningInfo: { sourceWebAppId: ids.payments } } } });
    expect(lockedToApps(world.emulator.admin.state(), slot(ids.payments, 'hotfix'))).toEqual(LOCKED);
    world.emulator.admin.clearRequests();
    expect((await world.tick()).plan.actions).toEqual([]);
    expect(world.writes()).toEqual([]);
  });

  it('re-checks both sides of a swap: restrictions stay with each slot, nothing to write', async () => {
    await world.tick();
    const swapped = await world.emulator.admin.outOfBand('release@example.test', { method: 'POST', path: `${ids.payments}/slotsswap`, body: { targetSlot: 'staging', preserveVnet: true } });
    expect(swapped.status).toBe(200);
    world.emulator.admin.clearRequests();
    const report = await world.tick();
    expect(report.plan.actions).toEqual([]);
    const reads = world.emulator.admin.requests().filter((exchange) => exchange.operationId?.startsWith('WebApps_GetConfiguration')).map((exchange) => exchange.url.split('?')[0].toLowerCase());
    expect(reads).toEqual(expect.arrayContaining([`${ids.payments}/config/web`.toLowerCase(), `${slot(ids.payments, 'staging')}/config/web`.toLowerCase()]));
  });
});

describe('deployment slots of a caller', () => {
  it('integrates a caller slot named in callers', async () => {
    world = await startEmulatorWorld({ topology: withSlots({ 'orders-web': ['staging'] }) });
    world.writePolicies({ 'orders.yaml': pairPolicy({ callers: [ids.orders, slot(ids.orders, 'staging')] }) });
    const first = await world.tick();
    expect(first.apply!.outcomes.filter((outcome) => outcome.kind === 'caller.connectToSubnet').map((outcome) => outcome.resourceId.toLowerCase()).sort()).toEqual(
      [ids.orders, slot(ids.orders, 'staging')].map((id) => id.toLowerCase()).sort(),
    );
    const state = world.emulator.admin.state();
    expect(find(state.sites, slot(ids.orders, 'staging')).properties.virtualNetworkSubnetId.toLowerCase()).toBe(ids.apps.toLowerCase());
    world.emulator.admin.clearRequests();
    expect((await world.tick()).plan.actions).toEqual([]);
    expect(world.writes()).toEqual([]);
  });

  it('integrates every slot of a caller with `callerSlots: all`', async () => {
    world = await startEmulatorWorld({ topology: withSlots({ 'orders-web': ['staging', 'canary'] }) });
    world.writePolicies({ 'orders.yaml': pairPolicy().replace('  callers:', '  callerSlots: all\n  callers:') });
    await world.tick();
    const state = world.emulator.admin.state();
    for (const name of ['staging', 'canary']) expect(find(state.sites, slot(ids.orders, name)).properties.virtualNetworkSubnetId?.toLowerCase()).toBe(ids.apps.toLowerCase());
    world.emulator.admin.clearRequests();
    expect((await world.tick()).plan.actions).toEqual([]);
  });
});

describe('alerts on deployment slots', () => {
  let alerts: AlertWorld;
  afterEach(() => alerts?.stop());

  it('alerts a slot created between ticks, naming who created it, once it is locked', async () => {
    alerts = await startAlertWorld();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy() });
    await alerts.tickAndAlert();
    alerts.receiver.requests.length = 0;
    await alerts.world.emulator.admin.outOfBand('mallory@example.test', { method: 'PUT', path: slot(ids.payments, 'hotfix'), body: { location: 'westeurope' } });
    await alerts.tickAndAlert();
    const opened = alerts.webhookAlerts().filter((alert) => alert.kind === 'opened');
    expect(opened.length).toBeGreaterThan(0);
    for (const alert of opened) {
      expect(alert.resourceId.toLowerCase()).toBe(slot(ids.payments, 'hotfix').toLowerCase());
      expect(alert).toMatchObject({ policy: 'orders-to-payments', action: 'repaired', actor: { caller: 'mallory@example.test' } });
    }
    expect(lockedToApps(alerts.world.emulator.admin.state(), slot(ids.payments, 'hotfix'))).toEqual(LOCKED);
  });

  it('resolves the drift of a slot that is deleted before it was repaired', async () => {
    alerts = await startAlertWorld();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy({ mode: 'audit' }) });
    await alerts.world.emulator.admin.outOfBand('mallory@example.test', { method: 'PUT', path: slot(ids.payments, 'hotfix'), body: { location: 'westeurope' } });
    await alerts.tickAndAlert();
    const hotfix = (alert: any) => alert.resourceId.toLowerCase() === slot(ids.payments, 'hotfix').toLowerCase();
    expect(alerts.webhookAlerts().filter((alert) => alert.kind === 'opened' && hotfix(alert)).length).toBeGreaterThan(0);
    alerts.receiver.requests.length = 0;
    await alerts.world.emulator.admin.outOfBand('mallory@example.test', { method: 'DELETE', path: slot(ids.payments, 'hotfix') });
    await alerts.tickAndAlert();
    const afterDelete = alerts.webhookAlerts().filter(hotfix);
    expect(afterDelete.length).toBeGreaterThan(0);
    expect(afterDelete.map((alert) => alert.kind)).not.toContain('opened');
    expect(afterDelete.every((alert) => alert.kind === 'resolved')).toBe(true);
  });
});

describe('never cut off, slots included', () => {
  it('migrates a caller slot and a callee slot from an IP allow-list without a state that cuts the pair off', async () => {
    // orders-web/staging is integrated (route-all on) with a delegated subnet that lacks the endpoint;
    // payments-func/staging denies by default and allows the address its calls leave from.
    const topology = withSlots({ 'orders-web': ['staging'], 'payments-func': ['staging'] });
    const apps = topology.virtualNetworks[0].subnets.find((subnet) => subnet.name === 'apps')!;
    apps.delegations = [{ name: 'web', serviceName: 'Microsoft.Web/serverFarms' }];
    delete apps.routeTableId;
    const orders = topology.sites.find((site) => site.name === 'orders-web')!;
    orders.outboundIpAddresses = ['198.51.100.10'];
    orders.slots![0] = { name: 'staging', virtualNetworkSubnetId: ids.apps, vnetRouteAllEnabled: true };
    const allowOrders = { ipSecurityRestrictions: [{ name: 'orders', ipAddress: '198.51.100.10/32', action: 'Allow', priority: 100 }], ipSecurityRestrictionsDefaultAction: 'Deny' as const };
    const payments = topology.sites.find((site) => site.name === 'payments-func')!;
    payments.config = allowOrders;
    payments.slots![0] = { name: 'staging', config: allowOrders };
    world = await startEmulatorWorld({ topology });
    world.writePolicies({ 'orders.yaml': pairPolicy({ callers: [ids.orders, slot(ids.orders, 'staging')] }) });
    const tickStarts = [world.emulator.admin.state().seq];
    const report = await world.tick();
    expect(report.apply!.outcomes.filter((outcome) => outcome.outcome === 'failed')).toEqual([]);
    tickStarts.push(world.emulator.admin.state().seq);
    world.emulator.admin.clearRequests();
    await world.tick();
    expect(world.writes()).toEqual([]);
    const policies = report.policies.policies;
    expect(policies[0].callees.map((callee) => callee.id)).toContain(canonicalId(slot(ids.payments, 'staging')));
    const violations = safetyViolations({
      history: world.emulator.admin.history(),
      policies,
      portalStates: new Set(),
      tickStarts,
      sources: [{ kind: 'subnet', subnetId: canonicalId(ids.apps) }, { kind: 'addresses', addresses: ['198.51.100.10'] }, { kind: 'addresses', addresses: ['203.0.113.99'] }],
    });
    expect(violations).toEqual([]);
    expect(lockedToApps(world.emulator.admin.state(), slot(ids.payments, 'staging'))).toEqual(LOCKED);
  });
});
