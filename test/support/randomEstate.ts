/**
 * fast-check generators for the property suite: estates (subnets, plans, apps, callee access),
 * policies over them, fault schedules and portal edits. A generated scenario is plain data, so
 * a failure prints it whole and a seed replays it.
 */
import fc from 'fast-check';
import type { FaultSpec, Topology } from '../../emulator/src/types';
import type { LockdownPolicy, ScmSpec } from '../../src/reconciler/policy/types';
import { policy, SUB, siteId, subnetId } from './world';

const TIERS: [string, string][] = [
  ['F1', 'Free'],
  ['D1', 'Shared'],
  ['Y1', 'Dynamic'],
  ['B1', 'Basic'],
  ['S1', 'Standard'],
  ['P1v3', 'PremiumV3'],
  ['EP1', 'ElasticPremium'],
];
const INTEGRATING_TIERS = new Set(['Basic', 'Standard', 'PremiumV3', 'ElasticPremium']);
const NET = `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network`;

export const appName = (index: number) => `app-${index}`;
export const appAddress = (index: number) => `198.51.100.${10 + index}`;
export const subnetName = (index: number) => `sn-${index}`;
export const STRANGER = '192.0.2.77';
export const PARTNER_RANGE = '203.0.113.0/24';

export interface SubnetShape {
  endpoint: boolean;
  delegation: boolean;
  nsg: boolean;
  routeTable: boolean;
  natGateway: boolean;
}

export type CalleeAccess = 'open' | 'denyAll' | 'allowList' | 'foreignRules' | 'scmOwnRules';

export interface AppShape {
  plan: number;
  integrateWith: number | null;
  routeAll: boolean;
  access: CalleeAccess;
  publicAccessDisabled: boolean;
  /** As a callee: how its SCM site is locked (every policy naming it agrees). */
  scm: ScmSpec['kind'];
}

export interface PolicyShapeDraft {
  subnet: number;
  callers: number[];
  callees: number[];
  mode: 'enforce' | 'audit';
  suspended: boolean;
  partner: boolean;
}

export type PortalEdit =
  | { kind: 'openCallee'; app: number }
  | { kind: 'addForeignRule'; app: number }
  | { kind: 'dropIntegration'; app: number }
  | { kind: 'routeAllOn'; app: number }
  | { kind: 'wipeEndpoint'; subnet: number };

export interface Scenario {
  /** Every policy's `exclusive` (policies naming one callee must agree). */
  exclusive: boolean;
  subnets: SubnetShape[];
  tiers: number[];
  apps: AppShape[];
  policies: PolicyShapeDraft[];
  /** Faults during the first and second tick; then none. */
  faults: [FaultSpec[], FaultSpec[]];
  /** Portal edits between the first and second tick. */
  edits: PortalEdit[];
  /** A portal edit racing the first tick's writes, after this many requests. */
  racingEdit: { edit: PortalEdit; afterRequests: number } | null;
}

const subnetArb: fc.Arbitrary<SubnetShape> = fc.record({ endpoint: fc.boolean(), delegation: fc.boolean(), nsg: fc.boolean(), routeTable: fc.boolean(), natGateway: fc.boolean() });

const faultArb: fc.Arbitrary<FaultSpec> = fc
  .tuple(
    fc.constantFrom('subnets/', 'config/web$', 'networkConfig/virtualNetwork$', 'sites/[^/]+$', 'virtualNetworks/[^/]+$', 'operations/', 'serverfarms/'),
    fc.constantFrom<Omit<FaultSpec, 'pathPattern'>[]>(
      [{ kind: 'status', status: 500 }],
      [{ kind: 'status', status: 503 }],
      [{ kind: 'throttle' }],
      [{ kind: 'anotherOperationInProgress', status: 409 }],
      [{ kind: 'reset' }],
      [{ kind: 'latency', latencyInMs: 1 }],
      [{ kind: 'lroFailed' }],
      [{ kind: 'status', status: 412 }],
    ),
    fc.constantFrom(undefined, 'GET', 'PUT', 'PATCH'),
    fc.integer({ min: 1, max: 3 }),
  )
  .map(([pathPattern, [kind], method, times]) => ({ ...kind, pathPattern, method, times }));

/** A callee config that cannot be read for a whole tick (every retry refused). */
const unreadableArb: fc.Arbitrary<FaultSpec> = fc
  .integer({ min: 0, max: 5 })
  .map((app) => ({ method: 'GET', pathPattern: `sites/${appName(app)}/config/web$`, kind: 'anotherOperationInProgress', status: 409, times: 50 }));

const faultsArb = fc.array(fc.oneof({ weight: 5, arbitrary: faultArb }, { weight: 1, arbitrary: unreadableArb }), { maxLength: 4 });

function editArb(apps: number, subnets: number): fc.Arbitrary<PortalEdit> {
  const app = fc.integer({ min: 0, max: apps - 1 });
  return fc.oneof(
    app.map((index): PortalEdit => ({ kind: 'openCallee', app: index })),
    app.map((index): PortalEdit => ({ kind: 'addForeignRule', app: index })),
    app.map((index): PortalEdit => ({ kind: 'dropIntegration', app: index })),
    app.map((index): PortalEdit => ({ kind: 'routeAllOn', app: index })),
    fc.integer({ min: 0, max: subnets - 1 }).map((index): PortalEdit => ({ kind: 'wipeEndpoint', subnet: index })),
  );
}

export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    exclusive: fc.boolean(),
    subnets: fc.array(subnetArb, { minLength: 1, maxLength: 6 }),
    tiers: fc.array(fc.integer({ min: 0, max: TIERS.length - 1 }), { minLength: 1, maxLength: 3 }),
    apps: fc.array(
      fc.record({
        plan: fc.nat(),
        integrateWith: fc.option(fc.nat(), { nil: null }),
        routeAll: fc.boolean(),
        access: fc.constantFrom<CalleeAccess>('open', 'denyAll', 'allowList', 'foreignRules', 'scmOwnRules'),
        publicAccessDisabled: fc.boolean(),
        scm: fc.constantFrom<ScmSpec['kind']>('sameAsMain', 'denyAll', 'rules'),
      }),
      { minLength: 2, maxLength: 6 },
    ),
    policies: fc.array(
      fc.record({
        subnet: fc.nat(),
        callers: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
        callees: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
        mode: fc.constantFrom<'enforce' | 'audit'>('enforce', 'enforce', 'enforce', 'audit'),
        suspended: fc.boolean(),
        partner: fc.boolean(),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    faults: fc.tuple(faultsArb, faultsArb),
  })
  .chain((draft) =>
    fc.record({
      edits: fc.array(editArb(draft.apps.length, draft.subnets.length), { maxLength: 2 }),
      racingEdit: fc.option(fc.record({ edit: editArb(draft.apps.length, draft.subnets.length), afterRequests: fc.integer({ min: 1, max: 40 }) }), { nil: null }),
    }).map((extra) => ({ ...draft, ...extra })),
  )
  .map((scenario) => normalize(scenario as Scenario));

/** Indices into range; a caller belongs to one subnet; callers and callees are different apps. */
function normalize(scenario: Scenario): Scenario {
  const apps = scenario.apps.map((app) => ({ ...app, plan: app.plan % scenario.tiers.length, integrateWith: app.integrateWith === null ? null : app.integrateWith % scenario.subnets.length }));
  const callerSubnet = new Map<number, number>();
  const callees = new Set<number>();
  const policies: PolicyShapeDraft[] = [];
  for (const draft of scenario.policies) {
    const subnet = draft.subnet % scenario.subnets.length;
    const callers = [...new Set(draft.callers.map((index) => index % apps.length))].filter((index) => !callees.has(index) && (callerSubnet.get(index) ?? subnet) === subnet);
    for (const index of callers) callerSubnet.set(index, subnet);
    const calleeList = [...new Set(draft.callees.map((index) => index % apps.length))].filter((index) => !callerSubnet.has(index));
    for (const index of calleeList) callees.add(index);
    if (callers.length > 0 && calleeList.length > 0) policies.push({ ...draft, subnet, callers, callees: calleeList });
  }
  return { ...scenario, apps, policies };
}

/** The emulator seed of a scenario: one VNet, plans, apps and their access restrictions. */
export function topologyOf(scenario: Scenario): Topology {
  const subnetOwner = new Map<number, number>();
  const sites: Topology['sites'] = scenario.apps.map((app, index) => {
    const tier = TIERS[scenario.tiers[app.plan]][1];
    const subnet = app.integrateWith === null ? undefined : scenario.subnets[app.integrateWith];
    // ARM: integration needs a delegated subnet, a tier that supports it, one plan per subnet.
    const integrate =
      app.integrateWith !== null && subnet?.delegation && INTEGRATING_TIERS.has(tier) && (subnetOwner.get(app.integrateWith) ?? app.plan) === app.plan;
    if (integrate) subnetOwner.set(app.integrateWith!, app.plan);
    const others = scenario.apps.map((_, other) => `${appAddress(other)}/32`).filter((_, other) => other !== index);
    const allow = others.map((ipAddress, position) => ({ name: `allow-${position}`, ipAddress, action: 'Allow', priority: 50 + position }));
    const config = {
      open: undefined,
      denyAll: { ipSecurityRestrictionsDefaultAction: 'Deny' as const },
      allowList: { ipSecurityRestrictions: allow, ipSecurityRestrictionsDefaultAction: 'Deny' as const },
      foreignRules: { ipSecurityRestrictions: [...allow, { name: 'partner', ipAddress: PARTNER_RANGE, action: 'Allow', priority: 300 }], ipSecurityRestrictionsDefaultAction: 'Deny' as const },
      scmOwnRules: { scmIpSecurityRestrictionsUseMain: false, scmIpSecurityRestrictions: [{ name: 'build', ipAddress: '192.0.2.0/24', action: 'Allow', priority: 100 }], scmIpSecurityRestrictionsDefaultAction: 'Deny' as const },
    }[app.access];
    return {
      resourceGroup: 'web',
      name: appName(index),
      location: 'westeurope',
      kind: index % 2 === 0 ? 'app' : 'functionapp',
      serverFarm: `plan-${app.plan}`,
      publicNetworkAccess: app.publicAccessDisabled ? 'Disabled' : undefined,
      vnetRouteAllEnabled: app.routeAll,
      virtualNetworkSubnetId: integrate ? subnetId('hub', subnetName(app.integrateWith!)) : undefined,
      outboundIpAddresses: [appAddress(index)],
      ...(config ? { config } : {}),
    };
  });
  return {
    subscriptionId: SUB,
    serverFarms: scenario.tiers.map((tier, index) => ({ resourceGroup: 'web', name: `plan-${index}`, location: 'westeurope', sku: { name: TIERS[tier][0], tier: TIERS[tier][1] } })),
    sites,
    virtualNetworks: [
      {
        resourceGroup: 'net',
        name: 'hub',
        location: 'westeurope',
        addressPrefixes: ['10.0.0.0/16'],
        subnets: scenario.subnets.map((subnet, index) => ({
          name: subnetName(index),
          addressPrefix: `10.0.${index}.0/24`,
          ...(subnet.endpoint ? { serviceEndpoints: [{ service: 'Microsoft.Web' }] } : {}),
          ...(subnet.delegation ? { delegations: [{ name: 'web', serviceName: 'Microsoft.Web/serverFarms' }] } : {}),
          ...(subnet.nsg ? { networkSecurityGroupId: `${NET}/networkSecurityGroups/nsg-${index}` } : {}),
          ...(subnet.routeTable ? { routeTableId: `${NET}/routeTables/rt-${index}` } : {}),
          ...(subnet.natGateway ? { natGatewayId: `${NET}/natGateways/nat-${index}` } : {}),
        })),
      },
    ],
  };
}

export function policiesOf(scenario: Scenario): LockdownPolicy[] {
  return scenario.policies.map((draft, index) =>
    policy({
      name: `policy-${index}`,
      mode: draft.mode,
      suspend: draft.suspended ? { reason: 'break glass' } : undefined,
      exclusive: scenario.exclusive,
      subnet: subnetId('hub', subnetName(draft.subnet)),
      callers: draft.callers.map((app) => siteId('web', appName(app))),
      callees: draft.callees.map((app) => ({ id: siteId('web', appName(app)), scm: scmOf(scenario.apps[app].scm) })),
      alsoAllow: draft.partner ? [{ name: 'partner', ipAddress: PARTNER_RANGE }] : [],
    }),
  );
}

function scmOf(kind: ScmSpec['kind']): ScmSpec {
  if (kind === 'rules') return { kind: 'rules', allow: [{ name: 'build', ipAddress: '192.0.2.0/24' }] };
  return { kind } as ScmSpec;
}
