import { diff } from '../../src/reconciler/diff';
import { planTick } from '../../src/reconciler/tick';
import type { Plan, PlannedAction } from '../../src/reconciler/plan';
import { canonicalId } from '../../src/reconciler/resourceId';
import { APPS, foreignRule, NOW, ORDERS, PAYMENTS, policy, siteId, subnetId, subnetRule, WEB_PLAN, World } from '../support/world';
import type { LockdownPolicy } from '../../src/reconciler/policy/types';

const plan = (world: World, policies: LockdownPolicy[] = [policy()]): Plan => diff({ policies, observed: world.observed(), now: NOW });
const action = (result: Plan, kind: PlannedAction['kind'], resourceId?: string) =>
  result.actions.find((candidate) => candidate.kind === kind && (!resourceId || canonicalId(candidate.resourceId) === canonicalId(resourceId)));
const kinds = (result: Plan) => result.actions.map((candidate) => candidate.kind);

describe('diff', () => {
  it('plans nothing when every pair matches its policy', () => {
    const result = plan(World.lockedDown());
    expect(result.actions).toEqual([]);
    expect(result.conditions).toEqual([]);
    expect(result.unchanged.map(canonicalId).sort()).toEqual([APPS, ORDERS, PAYMENTS].map(canonicalId).sort());
  });

  it('locks down an open pair in dependency order: subnet, caller, callee', () => {
    const result = plan(World.open());
    expect(kinds(result)).toEqual(['subnet.enableAppServiceAccess', 'caller.connectToSubnet', 'callee.restrictAccess']);
    const subnet = action(result, 'subnet.enableAppServiceAccess')!;
    const connect = action(result, 'caller.connectToSubnet')!;
    const callee = action(result, 'callee.restrictAccess')!;
    expect(connect.dependsOn).toEqual([subnet.id]);
    expect(callee.dependsOn.sort()).toEqual([subnet.id, connect.id].sort());
    expect(callee.write).toEqual({
      operation: 'updateSiteConfig',
      siteId: PAYMENTS,
      patch: { accessRules: [subnetRule()], defaultAction: 'Deny', scmUseMain: true },
      expected: { accessRules: [] },
    });
  });

  it('adds the service endpoint and delegation and keeps every other subnet field', () => {
    const nsg = { id: '/subscriptions/x/resourceGroups/net/providers/Microsoft.Network/networkSecurityGroups/apps-nsg' };
    const routeTable = { id: '/subscriptions/x/resourceGroups/net/providers/Microsoft.Network/routeTables/apps-rt' };
    const world = World.lockedDown().withSubnet(APPS, {
      serviceEndpoints: [{ service: 'Microsoft.Storage' }],
      body: { networkSecurityGroup: nsg, routeTable, serviceEndpoints: [{ service: 'Microsoft.Storage', locations: ['westeurope'] }] },
    });
    const subnet = action(plan(world), 'subnet.enableAppServiceAccess')!;
    expect(subnet.write).toMatchObject({
      operation: 'putSubnet',
      body: {
        networkSecurityGroup: nsg,
        routeTable,
        addressPrefix: '10.10.1.0/24',
        serviceEndpoints: [{ service: 'Microsoft.Storage', locations: ['westeurope'] }, { service: 'Microsoft.Web' }],
        delegations: [{ name: 'Microsoft.Web.serverFarms', serviceName: 'Microsoft.Web/serverFarms' }],
      },
    });
    expect(subnet.serializeOn).toBe(canonicalId(APPS.replace('/subnets/apps', '')));
  });

  it('adds only the missing service endpoint when the delegation is there', () => {
    const world = World.lockedDown().withSubnet(APPS, { delegations: [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] });
    const subnet = action(plan(world), 'subnet.enableAppServiceAccess')!;
    expect(subnet.changes.map((change) => change.aspect)).toEqual(['serviceEndpoint']);
  });

  it('refuses to take over a subnet delegated to another service, and blocks the callee', () => {
    const world = World.open().withSubnet(APPS, { delegations: [{ name: 'aci', serviceName: 'Microsoft.ContainerInstance/containerGroups' }] });
    const result = plan(world);
    expect(result.conditions.map((condition) => condition.reason)).toContain('SubnetDelegatedElsewhere');
    expect(action(result, 'subnet.enableAppServiceAccess')).toBeUndefined();
    expect(action(result, 'caller.connectToSubnet')).toBeUndefined();
    expect(action(result, 'callee.restrictAccess')!.enforcement).toMatchObject({ apply: false, reason: 'blocked' });
  });

  it.each([
    ['Dynamic', 'PlanCannotIntegrate'],
    ['Free', 'PlanCannotIntegrate'],
    ['Shared', 'PlanCannotIntegrate'],
  ])('reports a caller on a %s plan and never locks its callee', (tier, reason) => {
    const world = World.open().withPlan(WEB_PLAN, tier);
    const result = plan(world);
    expect(result.conditions).toEqual([expect.objectContaining({ severity: 'error', reason, policy: 'orders-to-payments', resourceId: ORDERS })]);
    expect(action(result, 'caller.connectToSubnet')).toBeUndefined();
    expect(action(result, 'callee.restrictAccess')!.enforcement).toMatchObject({ apply: false, reason: 'blocked' });
  });

  it('reports a caller in another region than the subnet', () => {
    const world = World.open().withSite(ORDERS, { location: 'North Europe' }, {});
    const result = plan(world);
    expect(result.conditions.map((condition) => condition.reason)).toEqual(['RegionMismatch']);
    expect(action(result, 'callee.restrictAccess')!.enforcement.apply).toBe(false);
  });

  it('treats "West Europe" and "westeurope" as one region', () => {
    const world = World.lockedDown().withSite(ORDERS, { location: 'West Europe', integrationSubnetId: canonicalId(APPS) }, { vnetRouteAllEnabled: true });
    expect(plan(world).actions).toEqual([]);
  });

  it('moves a caller integrated with a subnet no policy owns', () => {
    const elsewhere = subnetId('hub', 'legacy');
    const world = World.lockedDown().withSite(ORDERS, { integrationSubnetId: canonicalId(elsewhere) }, { vnetRouteAllEnabled: true });
    const connect = action(plan(world), 'caller.connectToSubnet')!;
    expect(connect.verb).toBe('update');
    expect(connect.changes[0]).toMatchObject({ aspect: 'vnetIntegration', symbol: '~', before: canonicalId(elsewhere), after: APPS });
  });

  it('reports a conflict when the caller is integrated with the subnet of another policy', () => {
    const other = subnetId('spoke', 'apps');
    const billing = siteId('web', 'billing-web');
    const policies = [policy(), policy({ name: 'billing', subnet: other, callers: [billing], callees: [siteId('fn', 'ledger')] })];
    const world = World.lockedDown()
      .withSubnet(other, { serviceEndpoints: [{ service: 'Microsoft.Web' }], delegations: [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] })
      .withSite(ORDERS, { integrationSubnetId: canonicalId(other) }, { vnetRouteAllEnabled: true })
      .withSite(billing, { integrationSubnetId: canonicalId(other) }, { vnetRouteAllEnabled: true })
      .withSite(siteId('fn', 'ledger'), {}, { accessRules: [subnetRule(other, 'billing')], defaultAction: 'Deny', scmUseMain: true });
    const result = plan(world, policies);
    expect(result.conditions).toEqual([expect.objectContaining({ reason: 'IntegratedWithAnotherPolicySubnet', policy: 'orders-to-payments' })]);
    expect(action(result, 'caller.connectToSubnet')).toBeUndefined();
  });

  it('leaves route-all as the caller has it: service-endpoint traffic enters the subnet without it', () => {
    const world = World.lockedDown().withSite(ORDERS, { integrationSubnetId: canonicalId(APPS) }, { vnetRouteAllEnabled: false });
    expect(plan(world).actions).toEqual([]);
  });

  it('removes a rule it does not own in an exclusive policy and records it in full', () => {
    const opened = foreignRule();
    const world = World.lockedDown().withSite(PAYMENTS, {}, { accessRules: [subnetRule(), opened], defaultAction: 'Deny', scmUseMain: true });
    const callee = action(plan(world), 'callee.restrictAccess')!;
    expect(callee.write).toEqual({ operation: 'updateSiteConfig', siteId: PAYMENTS, patch: { accessRules: [subnetRule()] }, expected: { accessRules: [subnetRule(), opened] } });
    expect(callee.removedRules).toEqual([opened]);
    expect(callee.changes).toEqual([expect.objectContaining({ aspect: 'accessRule', symbol: '-', before: opened })]);
  });

  it('keeps a rule it does not own in a non-exclusive policy and reports it', () => {
    const kept = foreignRule({ name: 'office', ipAddress: '198.51.100.0/24', priority: 50 });
    const world = World.lockedDown().withSite(PAYMENTS, {}, { accessRules: [kept], defaultAction: 'Deny', scmUseMain: true });
    const result = plan(world, [policy({ exclusive: false })]);
    const callee = action(result, 'callee.restrictAccess')!;
    expect(callee.write).toEqual({ operation: 'updateSiteConfig', siteId: PAYMENTS, patch: { accessRules: [subnetRule(), kept] }, expected: { accessRules: [kept] } });
    expect(callee.removedRules).toBeUndefined();
    expect(result.conditions).toEqual([expect.objectContaining({ severity: 'info', reason: 'ForeignRulesKept' })]);
  });

  it('sets the default action back to Deny after a portal change', () => {
    const world = World.lockedDown().withSite(PAYMENTS, {}, { accessRules: [subnetRule()], defaultAction: 'Allow', scmUseMain: true });
    const callee = action(plan(world), 'callee.restrictAccess')!;
    expect(callee.write).toEqual({ operation: 'updateSiteConfig', siteId: PAYMENTS, patch: { defaultAction: 'Deny' }, expected: {} });
    expect(callee.dependsOn).toEqual([]);
  });

  it('rewrites an owned rule whose priority was changed', () => {
    const world = World.lockedDown().withSite(PAYMENTS, {}, { accessRules: [{ ...subnetRule(), priority: 5000 }], defaultAction: 'Deny', scmUseMain: true });
    const callee = action(plan(world), 'callee.restrictAccess')!;
    expect(callee.changes.map((change) => change.symbol).sort()).toEqual(['+', '-']);
    expect(callee.removedRules).toEqual([{ ...subnetRule(), priority: 5000 }]); // every removed rule is recorded in full
  });

  it('compares subnet ids without regard to case', () => {
    const world = World.lockedDown().withSite(PAYMENTS, {}, { accessRules: [{ ...subnetRule(), vnetSubnetResourceId: APPS.toUpperCase() }], defaultAction: 'Deny', scmUseMain: true });
    expect(plan(world).actions).toEqual([]);
  });

  it('gives two pairs that share a callee and a subnet one rule and one write', () => {
    const inventory = siteId('web', 'inventory-web');
    const policies = [policy(), policy({ name: 'inventory-to-payments', callers: [inventory] })];
    const world = World.open().withSite(inventory, {}, {});
    const result = plan(world, policies);
    const callees = result.actions.filter((candidate) => candidate.kind === 'callee.restrictAccess');
    expect(callees).toHaveLength(1);
    expect(callees[0].policies).toEqual(['inventory-to-payments', 'orders-to-payments']);
    expect((callees[0].write as { patch: { accessRules: unknown[] } }).patch.accessRules).toEqual([subnetRule(APPS, 'inventory-to-payments,orders-to-payments')]);
    expect(result.actions.filter((candidate) => candidate.kind === 'subnet.enableAppServiceAccess')).toHaveLength(1);
    expect(callees[0].dependsOn).toHaveLength(3); // subnet + 2 × connect
  });

  it('gives a callee reached from two subnets one rule per subnet', () => {
    const spoke = subnetId('spoke', 'apps');
    const billing = siteId('web', 'billing-web');
    const policies = [policy(), policy({ name: 'billing-to-payments', subnet: spoke, callers: [billing] })];
    const world = World.lockedDown()
      .withSubnet(spoke, { serviceEndpoints: [{ service: 'Microsoft.Web' }], delegations: [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] })
      .withSite(billing, { integrationSubnetId: canonicalId(spoke) }, { vnetRouteAllEnabled: true });
    const callee = action(plan(world, policies), 'callee.restrictAccess')!;
    const rules = (callee.write as { patch: { accessRules: { vnetSubnetResourceId: string; priority: number }[] } }).patch.accessRules;
    expect(rules.map((rule) => [rule.vnetSubnetResourceId, rule.priority])).toEqual([
      [APPS, 100],
      [spoke, 110],
    ]);
  });

  it('adds the policy extra allows as owned rules, IP ranges and service tags', () => {
    const result = plan(World.lockedDown(), [
      policy({ alsoAllow: [{ name: 'build-agents', ipAddress: '203.0.113.0/24' }, { name: 'front-door', serviceTag: 'AzureFrontDoor.Backend' }] }),
    ]);
    const callee = action(result, 'callee.restrictAccess')!;
    expect((callee.write as { patch: { accessRules: unknown[] } }).patch.accessRules).toEqual([
      subnetRule(),
      { name: 'ld-build-agents', description: 'lockdown:orders-to-payments', action: 'Allow', priority: 200, ipAddress: '203.0.113.0/24' },
      { name: 'ld-front-door', description: 'lockdown:orders-to-payments', action: 'Allow', priority: 210, ipAddress: 'AzureFrontDoor.Backend', tag: 'ServiceTag' },
    ]);
  });

  it('locks the SCM site with its own rules when the policy says so', () => {
    const scm = { kind: 'rules' as const, allow: [{ name: 'deploy', ipAddress: '192.0.2.0/28' }] };
    const world = World.lockedDown().withSite(PAYMENTS, {}, { accessRules: [subnetRule()], defaultAction: 'Deny', scmUseMain: true, scmAccessRules: [foreignRule()] });
    const callee = action(plan(world, [policy({ callees: [{ id: PAYMENTS, scm }] })]), 'callee.restrictAccess')!;
    expect(callee.write).toEqual({
      operation: 'updateSiteConfig',
      siteId: PAYMENTS,
      patch: {
        scmUseMain: false,
        scmAccessRules: [{ name: 'ld-deploy', description: 'lockdown:orders-to-payments', action: 'Allow', priority: 200, ipAddress: '192.0.2.0/28' }],
        scmDefaultAction: 'Deny',
      },
      expected: { scmAccessRules: [foreignRule()] },
    });
    expect(callee.removedRules).toEqual([foreignRule()]);
  });

  it('denies every SCM source with scm: denyAll', () => {
    const world = World.lockedDown();
    const callee = action(plan(world, [policy({ callees: [{ id: PAYMENTS, scm: { kind: 'denyAll' } }] })]), 'callee.restrictAccess')!;
    expect(callee.write).toMatchObject({ patch: { scmUseMain: false, scmDefaultAction: 'Deny' } });
  });

  it('enables public network access only after the rules are in place', () => {
    const world = World.open().withSite(PAYMENTS, { publicNetworkAccess: 'Disabled' }, {});
    const result = plan(world);
    const restrict = action(result, 'callee.restrictAccess')!;
    const enable = action(result, 'callee.enablePublicAccess')!;
    expect(enable.dependsOn).toContain(restrict.id);
    expect(enable.write).toEqual({
      operation: 'updateSiteConfig',
      siteId: PAYMENTS,
      patch: { publicNetworkAccess: 'Enabled' },
      // refused if someone opened the callee again before it is published
      expected: { accessRules: [subnetRule()], defaultAction: 'Deny' },
    });
  });

  it('reports a missing callee and still repairs the caller', () => {
    const result = plan(World.open().without(PAYMENTS));
    expect(result.conditions).toEqual([expect.objectContaining({ reason: 'CalleeNotFound', resourceId: PAYMENTS })]);
    expect(kinds(result)).toEqual(['subnet.enableAppServiceAccess', 'caller.connectToSubnet']);
  });

  it('reports a missing subnet and writes nothing for the policy', () => {
    const result = plan(World.open().without(APPS));
    expect(result.conditions.map((condition) => condition.reason)).toEqual(['SubnetNotFound']);
    expect(result.actions.every((candidate) => !candidate.enforcement.apply)).toBe(true);
  });

  it('lists every declared pair with the policy generation', () => {
    const result = plan(World.lockedDown(), [policy({ callers: [ORDERS, siteId('web', 'b')], callees: [PAYMENTS] })]);
    expect(result.policies).toEqual([
      {
        name: 'orders-to-payments',
        generation: 'gen-1',
        mode: 'enforce',
        suspended: false,
        pairs: [
          { policy: 'orders-to-payments', caller: ORDERS, callee: PAYMENTS },
          { policy: 'orders-to-payments', caller: siteId('web', 'b'), callee: PAYMENTS },
        ],
      },
    ]);
  });
});

describe('diff: one App Service plan per subnet', () => {
  const other = siteId('web', 'reports-web');
  const otherPlan = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.Web/serverfarms/reports-plan';

  it('blocks a caller on a second plan and lets the first plan keep the subnet', () => {
    const world = World.open().withPlan(otherPlan, 'PremiumV3').withSite(other, { serverFarmId: otherPlan }, {});
    const result = plan(world, [policy({ callers: [ORDERS, other] })]);
    expect(result.conditions).toEqual([expect.objectContaining({ reason: 'SubnetUsedByAnotherPlan', resourceId: other })]);
    expect(action(result, 'caller.connectToSubnet', ORDERS)).toBeDefined();
    expect(action(result, 'callee.restrictAccess')!.enforcement.apply).toBe(false);
  });

  it('keeps the subnet for the plan already linked to it', () => {
    const world = World.open()
      .withSubnet(APPS, { appServicePlans: [canonicalId(otherPlan)] })
      .withPlan(otherPlan, 'PremiumV3');
    const result = plan(world);
    expect(result.conditions.map((condition) => condition.reason)).toEqual(['SubnetUsedByAnotherPlan']);
    expect(action(result, 'caller.connectToSubnet')).toBeUndefined();
  });

  it('lets callers sharing a plan share the subnet', () => {
    const world = World.open().withSite(other, {}, {});
    expect(plan(world, [policy({ callers: [ORDERS, other] })]).conditions).toEqual([]);
  });
});

describe('diff: extra allows shared by policies', () => {
  it('writes one rule naming every policy that lists the same extra allow', () => {
    const agents = { name: 'build-agents', ipAddress: '203.0.113.0/24' };
    const inventory = siteId('web', 'inventory-web');
    const world = World.lockedDown().withSite(inventory, { integrationSubnetId: canonicalId(APPS) }, { vnetRouteAllEnabled: true });
    const result = plan(world, [policy({ alsoAllow: [agents] }), policy({ name: 'inventory', callers: [inventory], alsoAllow: [agents] })]);
    const rules = (action(result, 'callee.restrictAccess')!.write as { patch: { accessRules: { name: string; description: string }[] } }).patch.accessRules;
    expect(rules.filter((rule) => rule.name === 'ld-build-agents')).toEqual([expect.objectContaining({ description: 'lockdown:inventory,orders-to-payments' })]);
  });
});

describe('diff: optimistic concurrency', () => {
  it('sends the observed subnet etag as If-Match', () => {
    const world = World.open().withSubnet(APPS, { etag: 'W/"42"' });
    const subnet = action(plan(world), 'subnet.enableAppServiceAccess')!;
    expect(subnet.write).toMatchObject({ operation: 'putSubnet', ifMatch: 'W/"42"' });
  });
});

describe('diff: which rules are Lockdown\'s own', () => {
  it('needs both the ld- name and the lockdown: description, so a look-alike rule is kept (non-exclusive)', () => {
    const lookAlike = foreignRule({ name: 'manual', description: 'lockdown: copied by hand', ipAddress: '198.51.100.0/24', priority: 70 });
    const world = World.lockedDown().withSite(PAYMENTS, {}, { accessRules: [subnetRule(), lookAlike], defaultAction: 'Deny', scmUseMain: true });
    const result = plan(world, [policy({ exclusive: false })]);
    expect(result.actions).toEqual([]);
    expect(result.conditions).toEqual([expect.objectContaining({ reason: 'ForeignRulesKept' })]);
  });
});

describe('diff: a caller moving to another subnet is never cut off', () => {
  const DATA = subnetId('hub', 'data');
  const moved = () =>
    World.lockedDown().withSubnet(DATA, { serviceEndpoints: [{ service: 'Microsoft.Web' }], delegations: [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] });

  it('allows the new subnet on the callee before the caller moves, and removes the old rule after', () => {
    const result = plan(moved(), [policy({ subnet: DATA })]);
    expect(kinds(result)).toEqual(['callee.admitCallers', 'caller.connectToSubnet', 'callee.restrictAccess']);
    const admit = action(result, 'callee.admitCallers')!;
    const connect = action(result, 'caller.connectToSubnet')!;
    const restrict = action(result, 'callee.restrictAccess')!;
    expect(connect.dependsOn).toContain(admit.id);
    expect(restrict.dependsOn).toEqual(expect.arrayContaining([admit.id, connect.id]));
    const newRule = subnetRule(DATA);
    expect(admit.write).toEqual({
      operation: 'updateSiteConfig',
      siteId: PAYMENTS,
      patch: { accessRules: [subnetRule(), newRule] },
      expected: { accessRules: [subnetRule()] },
    });
    expect(restrict.write).toEqual({ operation: 'updateSiteConfig', siteId: PAYMENTS, patch: { accessRules: [newRule] }, expected: { accessRules: [subnetRule(), newRule] } });
    expect(restrict.removedRules).toEqual([subnetRule()]);
  });

  it('needs no separate step while the callee is still open', () => {
    const world = moved().withSite(PAYMENTS, {}, {});
    expect(kinds(plan(world, [policy({ subnet: DATA })]))).toEqual(['caller.connectToSubnet', 'callee.restrictAccess']);
  });
});

describe('diff: the subnet\'s endpoint changes where its callers\' calls come from', () => {
  const outbound = foreignRule({ name: 'orders-outbound', ipAddress: '198.51.100.10/32', priority: 50 });
  const world = () =>
    World.lockedDown()
      .withSubnet(APPS, { delegations: [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] })
      .withSite(ORDERS, { integrationSubnetId: canonicalId(APPS), outboundAddresses: ['198.51.100.10'] }, { vnetRouteAllEnabled: true })
      .withSite(PAYMENTS, {}, { accessRules: [outbound], defaultAction: 'Deny', scmUseMain: true });

  it('allows the subnet on the callee before the endpoint is added, accepted before the endpoint exists', () => {
    const result = plan(world());
    expect(kinds(result)).toEqual(['callee.admitCallers', 'subnet.enableAppServiceAccess', 'callee.restrictAccess']);
    const admit = action(result, 'callee.admitCallers')!;
    expect(action(result, 'subnet.enableAppServiceAccess')!.dependsOn).toEqual([admit.id]);
    expect(admit.write).toMatchObject({ patch: { accessRules: [outbound, { ...subnetRule(), ignoreMissingVnetServiceEndpoint: true }] } });
  });

  it('never moves the calls of a caller while another policy only audits a callee that would lose them', () => {
    const legacy = siteId('fn', 'legacy-func');
    const policies = [policy({ name: 'orders-to-legacy', callees: [legacy] }), policy({ name: 'orders-to-payments', mode: 'audit' })];
    const w = world().withSite(legacy, {}, { accessRules: [outbound], defaultAction: 'Deny', scmUseMain: true });
    const result = planTick({ policies, observed: w.observed(), now: NOW });
    expect(action(result, 'callee.admitCallers', PAYMENTS)!.enforcement).toMatchObject({ apply: false, reason: 'audit' });
    expect(action(result, 'subnet.enableAppServiceAccess')!.enforcement).toMatchObject({ apply: false, reason: 'unsafe' });
    expect(result.conditions).toContainEqual(expect.objectContaining({ severity: 'error', reason: 'AuditedPairWouldBeCutOff', policy: 'orders-to-legacy' }));
  });
});
