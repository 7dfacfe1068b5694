/**
 * Builders for the pure parts (diff, modes, apply): policies and observed state as plain data.
 * Ids follow the demo topology so tests read like the README.
 */
import { canonicalId } from '../../src/reconciler/resourceId';
import type { AccessRule, ObservedPlan, ObservedSite, ObservedSiteConfig, ObservedState, ObservedSubnet } from '../../src/reconciler/observed';
import type { CalleeSpec, ExtraAllow, LockdownPolicy, ScmSpec } from '../../src/reconciler/policy/types';
import { ArmError } from '../../src/reconciler/armError';

export const SUB = '11111111-1111-1111-1111-111111111111';
export const NOW = '2026-11-28T12:00:00.000Z';

export const subnetId = (vnet: string, subnet: string, rg = 'net') =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`;
export const siteId = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${name}`;
export const planId = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Web/serverfarms/${name}`;

export const APPS = subnetId('hub', 'apps');
export const ORDERS = siteId('web', 'orders-web');
export const PAYMENTS = siteId('fn', 'payments-func');
export const WEB_PLAN = planId('web', 'web-plan');

const location = { file: 'policies/test.yaml', line: 1, column: 1 };

export interface PolicyShape {
  name?: string;
  mode?: 'enforce' | 'audit';
  exclusive?: boolean;
  suspend?: LockdownPolicy['suspend'];
  subnet?: string;
  callers?: string[];
  callees?: (string | { id: string; scm: ScmSpec })[];
  alsoAllow?: ExtraAllow[];
}

export function policy(shape: PolicyShape = {}): LockdownPolicy {
  const subnet = shape.subnet ?? APPS;
  const callees: CalleeSpec[] = (shape.callees ?? [PAYMENTS]).map((callee) => {
    const spec = typeof callee === 'string' ? { id: callee, scm: { kind: 'sameAsMain' } as ScmSpec } : callee;
    return { id: canonicalId(spec.id), displayId: spec.id, scm: spec.scm, source: location };
  });
  return {
    name: shape.name ?? 'orders-to-payments',
    mode: shape.mode ?? 'enforce',
    exclusive: shape.exclusive ?? true,
    suspend: shape.suspend,
    subnetId: canonicalId(subnet),
    subnetDisplayId: subnet,
    callers: (shape.callers ?? [ORDERS]).map((id) => ({ id: canonicalId(id), displayId: id, source: location })),
    callees,
    alsoAllow: shape.alsoAllow ?? [],
    generation: 'gen-1',
    source: location,
  };
}

export const subnetRule = (subnet = APPS, policies = 'orders-to-payments', priority = 100): AccessRule => ({
  name: `ld-${subnet.split('/virtualNetworks/')[1].replace('/subnets/', '-')}`,
  description: `lockdown:${policies}`,
  action: 'Allow',
  priority,
  vnetSubnetResourceId: subnet,
});

export const foreignRule = (overrides: Partial<AccessRule> = {}): AccessRule => ({
  name: 'portal-test',
  description: 'opened for a test',
  action: 'Allow',
  priority: 300,
  ipAddress: '0.0.0.0/0',
  ...overrides,
});

/** Observed state; each `with*` replaces one resource. Defaults describe the locked-down demo. */
export class World {
  subnets = new Map<string, ObservedSubnet>();
  sites = new Map<string, ObservedSite>();
  configs = new Map<string, ObservedSiteConfig>();
  plans = new Map<string, ObservedPlan>();
  failures = new Map<string, ArmError>();

  static lockedDown(): World {
    return new World()
      .withSubnet(APPS, { serviceEndpoints: [{ service: 'Microsoft.Web' }], delegations: [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] })
      .withPlan(WEB_PLAN, 'PremiumV3')
      .withSite(ORDERS, { integrationSubnetId: canonicalId(APPS) }, { vnetRouteAllEnabled: true })
      .withSite(PAYMENTS, {}, { accessRules: [subnetRule()], defaultAction: 'Deny', scmUseMain: true });
  }

  static open(): World {
    return new World()
      .withSubnet(APPS, {})
      .withPlan(WEB_PLAN, 'PremiumV3')
      .withSite(ORDERS, {}, {})
      .withSite(PAYMENTS, {}, {});
  }

  withSubnet(id: string, subnet: Partial<ObservedSubnet>): this {
    const body = { id, name: id.split('/').pop(), addressPrefix: '10.10.1.0/24', ...(subnet.body ?? {}) };
    this.subnets.set(canonicalId(id), { id, location: 'westeurope', serviceEndpoints: [], delegations: [], ...subnet, body });
    return this;
  }

  withSite(id: string, site: Partial<ObservedSite>, config: Partial<ObservedSiteConfig>): this {
    this.sites.set(canonicalId(id), { id, location: 'westeurope', serverFarmId: WEB_PLAN, publicNetworkAccess: 'Enabled', ...site });
    this.configs.set(canonicalId(id), {
      accessRules: [],
      defaultAction: 'Allow',
      scmAccessRules: [],
      scmDefaultAction: 'Allow',
      scmUseMain: false,
      vnetRouteAllEnabled: false,
      ...config,
    });
    return this;
  }

  withPlan(id: string, tier: string): this {
    this.plans.set(canonicalId(id), { id, skuTier: tier, skuName: tier });
    return this;
  }

  without(id: string): this {
    this.failures.set(canonicalId(id), new ArmError(`${id} not found`, 'ResourceNotFound', 404, 'fatal', id));
    return this;
  }

  observed(): ObservedState {
    const wrap = <T>(entries: Map<string, T>) => {
      const result = new Map();
      for (const [id, value] of entries) {
        const failure = this.failures.get(id);
        result.set(id, failure ? { status: 'missing', error: failure } : { status: 'found', value });
      }
      return result;
    };
    return { subnets: wrap(this.subnets), sites: wrap(this.sites), siteConfigs: wrap(this.configs), plans: wrap(this.plans), observedAt: NOW };
  }
}
