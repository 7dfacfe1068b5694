/**
 * Lockdown end to end: real SDK clients against the ARM emulator, policies from YAML files.
 */
import type { EmulatorStateSnapshot } from '../../emulator/src/types';
import { apply } from '../../src/reconciler/apply';
import { demoTopology, ids, pairPolicy, startEmulatorWorld, subnetPutBody, type EmulatorWorld } from '../support/emulatorWorld';

const find = (map: Record<string, any>, id: string) => Object.entries(map).find(([key]) => key.toLowerCase() === id.toLowerCase())?.[1];
const subnetOf = (state: EmulatorStateSnapshot, id = ids.apps) => find(state.subnets, id);
const siteOf = (state: EmulatorStateSnapshot, id: string) => find(state.sites, id);
const configOf = (state: EmulatorStateSnapshot, id: string) => find(state.siteConfigs, `${id}/config/web`);
const rulesOf = (state: EmulatorStateSnapshot, id: string) => (configOf(state, id)?.properties?.ipSecurityRestrictions ?? []) as any[];
const owned = (rules: any[]) => rules.filter((rule) => String(rule.description ?? '').startsWith('lockdown:'));

const portal = (world: EmulatorWorld, actor: string, path: string, body: unknown, method = 'PATCH') =>
  world.emulator.admin.outOfBand(actor, { method, path, body });

let world: EmulatorWorld;
beforeEach(async () => {
  world = await startEmulatorWorld();
  world.writePolicies({ 'orders.yaml': pairPolicy() });
});
afterEach(() => world.stop());

describe('Lockdown on the emulator', () => {
  it('locks down an open pair, then plans nothing', async () => {
    const first = await world.tick();
    expect(first.apply!.outcomes.map((outcome) => [outcome.kind, outcome.outcome])).toEqual([
      ['subnet.enableAppServiceAccess', 'updated'],
      ['caller.connectToSubnet', 'created'],
      ['callee.restrictAccess', 'updated'],
    ]);
    const state = world.emulator.admin.state();
    const subnet = subnetOf(state).properties;
    expect(subnet.serviceEndpoints.map((endpoint: any) => endpoint.service)).toContain('Microsoft.Web');
    expect(subnet.delegations.map((delegation: any) => delegation.properties.serviceName)).toEqual(['Microsoft.Web/serverFarms']);
    expect(siteOf(state, ids.orders).properties.virtualNetworkSubnetId.toLowerCase()).toBe(ids.apps.toLowerCase());
    const config = configOf(state, ids.payments).properties;
    expect(config.ipSecurityRestrictionsDefaultAction).toBe('Deny');
    expect(config.scmIpSecurityRestrictionsUseMain).toBe(true);
    expect(owned(config.ipSecurityRestrictions).map((rule: any) => rule.vnetSubnetResourceId.toLowerCase())).toEqual([ids.apps.toLowerCase()]);

    world.emulator.admin.clearRequests();
    const second = await world.tick();
    expect(second.plan.actions).toEqual([]);
    expect(world.writes()).toEqual([]);
  });

  it("gives each write one correlation id, shared by its guard's reads and named in its outcome", async () => {
    const report = await world.tick();
    const exchanges = world.emulator.admin.requests();
    const correlationOf = (exchange: { requestHeaders: Record<string, string> }) => exchange.requestHeaders['x-ms-correlation-request-id'];
    for (const outcome of report.apply!.outcomes) {
      const traced = exchanges.filter((exchange) => correlationOf(exchange) === outcome.correlationId);
      expect(outcome.correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(traced.filter((exchange) => exchange.method !== 'GET' && !exchange.url.includes('/operations/'))).toHaveLength(1);
    }
    // The callee lock is guarded: the caller's site and config, its VNet and the callee are read again with the lock's id.
    const lock = report.apply!.outcomes.find((outcome) => outcome.kind === 'callee.restrictAccess')!;
    const reads = exchanges.filter((exchange) => exchange.method === 'GET' && correlationOf(exchange) === lock.correlationId).map((exchange) => exchange.url.split('?')[0].replace(/^.*\/providers\//, ''));
    expect(reads).toEqual(
      expect.arrayContaining(['Microsoft.Web/sites/orders-web', 'Microsoft.Web/sites/orders-web/config/web', 'Microsoft.Network/virtualNetworks/hub', 'Microsoft.Web/sites/payments-func', 'Microsoft.Web/sites/payments-func/config/web']),
    );
    // Observation reads carry no write's id.
    const ids = new Set(report.apply!.outcomes.map((outcome) => outcome.correlationId));
    expect(exchanges.filter((exchange) => exchange.method === 'GET' && !ids.has(correlationOf(exchange))).length).toBeGreaterThan(0);
  });

  it('writes in dependency order: subnet, integration, callee', async () => {
    await world.tick();
    expect(world.writes().map((write) => `${write.method} ${write.url.replace(/^.*\/providers\//, '')}`)).toEqual([
      'PUT Microsoft.Network/virtualNetworks/hub/subnets/apps',
      'PUT Microsoft.Web/sites/orders-web/networkConfig/virtualNetwork',
      'PATCH Microsoft.Web/sites/payments-func/config/web',
    ]);
  });

  it('keeps the NSG and route table through the subnet update', async () => {
    const before = subnetOf(world.emulator.admin.state()).properties;
    expect(before.networkSecurityGroup?.id).toBeDefined();
    await world.tick();
    const after = subnetOf(world.emulator.admin.state()).properties;
    expect(after.networkSecurityGroup).toEqual(before.networkSecurityGroup);
    expect(after.routeTable).toEqual(before.routeTable);
    expect(after.addressPrefix).toBe(before.addressPrefix);
  });

  it('never locks the callee before the caller can reach it (every intermediate state)', async () => {
    await world.tick();
    let lockedStates = 0;
    for (const state of world.emulator.admin.history()) {
      const config = configOf(state, ids.payments)?.properties;
      const explicitRules = (config?.ipSecurityRestrictions ?? []).filter((rule: any) => rule.priority !== 2147483647);
      const locked = config?.ipSecurityRestrictionsDefaultAction === 'Deny' || explicitRules.length > 0;
      if (!locked) continue;
      lockedStates++;
      const subnet = subnetOf(state).properties;
      expect((subnet.serviceEndpoints ?? []).some((endpoint: any) => endpoint.service === 'Microsoft.Web')).toBe(true);
      expect(siteOf(state, ids.orders).properties.virtualNetworkSubnetId?.toLowerCase()).toBe(ids.apps.toLowerCase());
    }
    expect(lockedStates).toBeGreaterThan(0); // the final state is locked, so the check above ran
    expect(world.emulator.admin.history().length).toBeGreaterThan(4);
  });

  it('moves a caller to another subnet without cutting it off in any intermediate state', async () => {
    await world.tick();
    const before = world.emulator.admin.history().length;
    world.writePolicies({ 'orders.yaml': pairPolicy({ subnet: ids.data }) });
    const report = await world.tick();
    expect(report.apply!.outcomes.map((outcome) => `${outcome.kind} ${outcome.outcome}`)).toEqual([
      'callee.admitCallers updated',
      'subnet.enableAppServiceAccess updated',
      'caller.connectToSubnet updated',
      'callee.restrictAccess updated',
    ]);
    const states = world.emulator.admin.history().slice(before - 1);
    expect(states.length).toBeGreaterThan(4);
    for (const state of states) {
      const integrated = siteOf(state, ids.orders).properties.virtualNetworkSubnetId?.toLowerCase();
      const allowed = rulesOf(state, ids.payments)
        .filter((rule) => rule.action === 'Allow' && rule.vnetSubnetResourceId)
        .map((rule) => rule.vnetSubnetResourceId.toLowerCase());
      expect({ cause: state.cause, allowed: allowed.includes(integrated) }).toEqual({ cause: state.cause, allowed: true });
    }
    const finalRules = owned(rulesOf(world.emulator.admin.state(), ids.payments)).map((rule) => rule.vnetSubnetResourceId.toLowerCase());
    expect(finalRules).toEqual([ids.data.toLowerCase()]);
    expect((await world.tick()).plan.actions).toEqual([]);
  });

  describe('repairs drift', () => {
    beforeEach(async () => {
      await world.tick();
      world.emulator.admin.clearRequests();
    });

    it('a portal change that opens the callee', async () => {
      await portal(world, 'alice@example.test', `${ids.payments}/config/web`, {
        properties: {
          ipSecurityRestrictions: [...rulesOf(world.emulator.admin.state(), ids.payments), { ipAddress: '0.0.0.0/0', action: 'Allow', priority: 50, name: 'just-a-test' }],
          ipSecurityRestrictionsDefaultAction: 'Allow',
        },
      });
      const report = await world.tick();
      const callee = report.plan.actions.find((action) => action.kind === 'callee.restrictAccess')!;
      expect(callee.removedRules).toEqual([expect.objectContaining({ name: 'just-a-test', ipAddress: '0.0.0.0/0' })]);
      const config = configOf(world.emulator.admin.state(), ids.payments).properties;
      expect(config.ipSecurityRestrictionsDefaultAction).toBe('Deny');
      expect(config.ipSecurityRestrictions.map((rule: any) => rule.name)).not.toContain('just-a-test');
      expect((await world.tick()).plan.actions).toEqual([]);
    });

    it('a subnet update that wiped the service endpoint', async () => {
      const subnet = subnetOf(world.emulator.admin.state());
      await portal(world, 'bob@example.test', ids.apps, subnetPutBody(subnet, { serviceEndpoints: [] }), 'PUT');
      const report = await world.tick();
      expect(report.plan.actions.map((action) => action.kind)).toEqual(['subnet.enableAppServiceAccess']);
      expect(report.apply!.outcomes[0].outcome).toBe('updated');
      expect((await world.tick()).plan.actions).toEqual([]);
    });

    it('a redeploy that dropped the VNet integration', async () => {
      await portal(world, 'pipeline@example.test', `${ids.orders}/networkConfig/virtualNetwork`, undefined, 'DELETE');
      const report = await world.tick();
      expect(report.plan.actions.map((action) => action.kind)).toEqual(['caller.connectToSubnet']);
      expect(siteOf(world.emulator.admin.state(), ids.orders).properties.virtualNetworkSubnetId?.toLowerCase()).toBe(ids.apps.toLowerCase());
    });

    it('SCM opened and public access disabled, and leaves route-all as someone set it', async () => {
      await portal(world, 'carol@example.test', `${ids.orders}/config/web`, { properties: { vnetRouteAllEnabled: true } });
      await portal(world, 'carol@example.test', `${ids.payments}/config/web`, { properties: { scmIpSecurityRestrictionsUseMain: false } });
      await portal(world, 'carol@example.test', `${ids.payments}/config/web`, { properties: { publicNetworkAccess: 'Disabled' } });
      const report = await world.tick();
      expect(report.plan.actions.map((action) => action.kind).sort()).toEqual(['callee.enablePublicAccess', 'callee.restrictAccess']);
      expect(configOf(world.emulator.admin.state(), ids.orders).properties.vnetRouteAllEnabled).toBe(true);
      expect(report.apply!.outcomes.every((outcome) => outcome.outcome === 'updated')).toBe(true);
      expect((await world.tick()).plan.actions).toEqual([]);
    });
  });

  it('keeps a rule it does not own in a non-exclusive policy', async () => {
    world.writePolicies({ 'orders.yaml': pairPolicy({ exclusive: false }) });
    await portal(world, 'alice@example.test', `${ids.payments}/config/web`, {
      properties: { ipSecurityRestrictions: [{ ipAddress: '198.51.100.0/24', action: 'Allow', priority: 50, name: 'office' }] },
    });
    const report = await world.tick();
    expect(report.plan.conditions.map((condition) => condition.reason)).toContain('ForeignRulesKept');
    expect(rulesOf(world.emulator.admin.state(), ids.payments).map((rule) => rule.name)).toContain('office');
    expect((await world.tick()).plan.actions).toEqual([]);
  });

  it('writes nothing in audit mode and reports the drift', async () => {
    world.writePolicies({ 'orders.yaml': pairPolicy({ mode: 'audit' }) });
    const report = await world.tick();
    expect(report.plan.actions).toHaveLength(3);
    expect(report.apply!.outcomes.every((outcome) => outcome.outcome === 'skipped')).toBe(true);
    expect(world.writes()).toEqual([]);
  });

  it('writes nothing for a suspended policy', async () => {
    world.writePolicies({ 'orders.yaml': pairPolicy({ extra: '  suspend:\n    reason: incident 4711' }) });
    const report = await world.tick();
    expect(report.apply!.outcomes.map((outcome) => outcome.reason)).toEqual(report.plan.actions.map(() => expect.stringMatching(/^suspended: .*incident 4711/)));
    expect(world.writes()).toEqual([]);
  });

  it('gives two pairs sharing a callee and a subnet one rule', async () => {
    const topology = demoTopology();
    topology.sites.push({ resourceGroup: 'web', name: 'inventory-web', location: 'westeurope', kind: 'app', serverFarm: 'web-plan' });
    world.emulator.admin.seed(topology);
    const inventory = ids.orders.replace('orders-web', 'inventory-web');
    world.writePolicies({
      'orders.yaml': pairPolicy(),
      'inventory.yaml': pairPolicy({ name: 'inventory-to-payments', callers: [inventory] }),
    });
    const report = await world.tick();
    const callees = report.plan.actions.filter((action) => action.kind === 'callee.restrictAccess');
    expect(callees).toHaveLength(1);
    expect(callees[0].policies).toEqual(['inventory-to-payments', 'orders-to-payments']);
    expect(report.apply!.outcomes.every((outcome) => outcome.outcome !== 'failed' && outcome.outcome !== 'skipped')).toBe(true);
    const state = world.emulator.admin.state();
    expect(siteOf(state, inventory).properties.virtualNetworkSubnetId.toLowerCase()).toBe(ids.apps.toLowerCase());
    expect(owned(rulesOf(world.emulator.admin.state(), ids.payments))).toHaveLength(1);
    expect(report.plan.actions.filter((action) => action.kind === 'subnet.enableAppServiceAccess')).toHaveLength(1);
  });

  it('never overwrites a subnet change made between observation and write', async () => {
    const planned = await world.tick({ apply: false });
    const subnet = subnetOf(world.emulator.admin.state());
    const nsg = subnet.properties.networkSecurityGroup.id.replace('apps-nsg', 'apps-nsg-v2');
    await portal(world, 'dave@example.test', ids.apps, subnetPutBody(subnet, { networkSecurityGroup: { id: nsg } }), 'PUT');
    const report = await apply(planned.plan, world.port, { retryDelayInMs: 1 });
    expect(report.outcomes[0]).toMatchObject({ kind: 'subnet.enableAppServiceAccess', outcome: 'failed', error: { code: 'PreconditionFailed', retry: 'slow' } });
    expect(subnetOf(world.emulator.admin.state()).properties.networkSecurityGroup.id).toBe(nsg);
    // the next tick observes again and keeps the new NSG
    const next = await world.tick();
    expect(next.apply!.outcomes.every((outcome) => outcome.outcome !== 'failed')).toBe(true);
    expect(subnetOf(world.emulator.admin.state()).properties.networkSecurityGroup.id).toBe(nsg);
  });

  it('never drops a rule someone added between observation and write', async () => {
    world.writePolicies({ 'orders.yaml': pairPolicy({ exclusive: false }) });
    const planned = await world.tick({ apply: false });
    await portal(world, 'erin@example.test', `${ids.payments}/config/web`, {
      properties: { ipSecurityRestrictions: [{ ipAddress: '198.51.100.7/32', action: 'Allow', priority: 60, name: 'partner' }] },
    });
    const report = await apply(planned.plan, world.port, { retryDelayInMs: 1 });
    const callee = report.outcomes.find((outcome) => outcome.kind === 'callee.restrictAccess')!;
    expect(callee).toMatchObject({ outcome: 'failed', error: { code: 'PreconditionFailed', retry: 'slow' } });
    expect(rulesOf(world.emulator.admin.state(), ids.payments).map((rule) => rule.name)).toContain('partner');
    await world.tick();
    expect(rulesOf(world.emulator.admin.state(), ids.payments).map((rule) => rule.name)).toEqual(expect.arrayContaining(['partner', 'ld-hub-apps']));
  });

  it('reads each resource once per tick however many pairs mention it', async () => {
    world.writePolicies({ 'orders-legacy.yaml': pairPolicy({ name: 'orders-to-legacy', callees: [ids.payments, ids.legacy] }) });
    await world.tick({ apply: false });
    const reads = world.emulator.admin.requests().filter((exchange) => exchange.method === 'GET').map((exchange) => exchange.url.split('?')[0].toLowerCase());
    const slotLists = reads.filter((url) => url.endsWith('/slots'));
    const resources = reads.filter((url) => !url.endsWith('/slots'));
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.length).toBe(new Set(resources).size);
    // 1 VNet + 3 sites × (site + config) + 1 plan
    expect(resources).toHaveLength(8);
    // One slot list per callee: through ARM as it observes; through Resource Graph the rows carry
    // the slots and the confirmation before the writes lists them through ARM once.
    expect(slotLists).toHaveLength(2);
    expect(new Set(slotLists).size).toBe(2);
  });

  it('does not let a failing pair stop the others', async () => {
    world.writePolicies({ 'orders.yaml': pairPolicy({ callees: [ids.payments, ids.legacy] }) });
    world.emulator.admin.addFault({ method: 'PATCH', pathPattern: 'sites/legacy-func/config/web', kind: 'status', status: 500, times: 100 });
    const report = await world.tick();
    const byResource = Object.fromEntries(report.apply!.outcomes.filter((o) => o.kind === 'callee.restrictAccess').map((o) => [o.resourceId.split('/').pop(), o.outcome]));
    expect(byResource).toEqual({ 'payments-func': 'updated', 'legacy-func': 'failed' });
  });

  it('reports a caller whose plan cannot integrate and leaves its callee open', async () => {
    world.writePolicies({ 'orders.yaml': pairPolicy({ name: 'legacy-to-payments', callers: [ids.legacy] }) });
    const report = await world.tick();
    expect(report.plan.conditions.map((condition) => condition.reason)).toContain('PlanCannotIntegrate');
    expect(configOf(world.emulator.admin.state(), ids.payments).properties.ipSecurityRestrictionsDefaultAction).not.toBe('Deny');
  });

  it('never lets a typo in one policy file cut off the callers it declares', async () => {
    // inventory-web (its own plan, so its own subnet) and orders-web both call payments-func.
    const topology = demoTopology();
    topology.serverFarms.push({ resourceGroup: 'web', name: 'inventory-plan', location: 'westeurope', sku: { name: 'P1v3', tier: 'PremiumV3' } });
    topology.sites.push({ resourceGroup: 'web', name: 'inventory-web', location: 'westeurope', kind: 'app', serverFarm: 'inventory-plan' });
    world.emulator.admin.seed(topology);
    const inventory = ids.orders.replace('orders-web', 'inventory-web');
    const inventoryPolicy = pairPolicy({ name: 'inventory-to-payments', callers: [inventory], subnet: ids.data });
    world.writePolicies({ 'inventory.yaml': inventoryPolicy });
    await world.tick();
    expect(owned(rulesOf(world.emulator.admin.state(), ids.payments))).toHaveLength(2);

    world.writePolicies({ 'inventory.yaml': inventoryPolicy.replace('callers:', 'calers:') });
    world.emulator.admin.clearRequests();
    const report = await world.tick();
    const callee = report.plan.actions.find((action) => action.kind === 'callee.restrictAccess')!;
    expect(callee.enforcement).toMatchObject({ apply: false, reason: 'invalidPolicy' });
    expect(world.writes()).toEqual([]);
    expect(owned(rulesOf(world.emulator.admin.state(), ids.payments)).map((rule) => rule.vnetSubnetResourceId.toLowerCase()).sort()).toEqual(
      [ids.apps.toLowerCase(), ids.data.toLowerCase()].sort(),
    );
  });

  it('never writes for an invalid policy file and still reconciles the valid ones', async () => {
    const inventory = ids.orders.replace('orders-web', 'inventory-web');
    world.writePolicies({ 'broken.yaml': pairPolicy({ name: 'broken', callers: [inventory], callees: [ids.legacy], subnet: ids.data }).replace('callers:', 'calers:') });
    const report = await world.tick();
    expect(report.policies.invalidFiles.map((file) => file.split('/').pop())).toEqual(['broken.yaml']);
    expect(report.plan.actions.every((action) => !action.policies.includes('broken'))).toBe(true);
    expect(world.writes().some((write) => /legacy-func|subnets\/data/.test(write.url))).toBe(false);
    expect(world.writes().some((write) => write.url.includes('payments-func'))).toBe(true);
  });
});
