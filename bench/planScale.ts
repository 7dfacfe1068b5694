/**
 * Planning alone (diff, modes, safety proof) on an estate held in memory, so its growth with
 * the number of pairs shows without ARM round trips. Ten callers share a plan and a subnet;
 * every callee denies by default and has one rule Lockdown does not own (its caller's
 * outbound address).
 */
import type { AccessRule, Observation, ObservedState } from '../src/reconciler/observed';
import type { Plan } from '../src/reconciler/plan';
import type { LockdownPolicy } from '../src/reconciler/policy/types';
import { canonicalId } from '../src/reconciler/resourceId';
import { planTick } from '../src/reconciler/tick';

const SUB = '11111111-1111-1111-1111-111111111111';
const NOW = '2026-11-28T12:00:00.000Z';
const source = { file: 'bench.yaml', line: 1, column: 1 };
const subnetId = (index: number) => `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps-${Math.floor(index / 10)}`;
const callerId = (index: number) => `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/sites/caller-${index}`;
const calleeId = (index: number) => `/subscriptions/${SUB}/resourceGroups/fn/providers/Microsoft.Web/sites/callee-${index}`;
const planId = (index: number) => `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/serverfarms/plan-${Math.floor(index / 10)}`;
const address = (index: number) => `10.${Math.floor(index / 65536) % 256}.${Math.floor(index / 256) % 256}.${index % 256}`;
const found = <T>(value: T): Observation<T> => ({ status: 'found', value });

export type EstateShape = 'lockedDown' | 'allowListed';

function policies(pairs: number): LockdownPolicy[] {
  return Array.from({ length: pairs }, (_, index) => ({
    name: `pair-${index}`,
    mode: 'enforce' as const,
    exclusive: false,
    subnetId: canonicalId(subnetId(index)),
    subnetDisplayId: subnetId(index),
    callers: [{ id: canonicalId(callerId(index)), displayId: callerId(index), source }],
    callees: [{ id: canonicalId(calleeId(index)), displayId: calleeId(index), scm: { kind: 'sameAsMain' as const }, source }],
    alsoAllow: [],
    generation: 'g',
    source,
  }));
}

/**
 * lockedDown: every pair already matches its policy (a steady tick).
 * allowListed: callers not integrated, subnets bare, callees admitting their caller by address
 * only (the full lockdown, with an admit step per callee).
 */
function estate(pairs: number, shape: EstateShape): ObservedState {
  const observed: ObservedState = { subnets: new Map(), sites: new Map(), siteConfigs: new Map(), plans: new Map(), observedAt: NOW };
  const locked = shape === 'lockedDown';
  for (let index = 0; index < pairs; index++) {
    const subnet = subnetId(index);
    if (index % 10 === 0) {
      observed.subnets.set(
        canonicalId(subnet),
        found({
          id: subnet,
          location: 'westeurope',
          serviceEndpoints: locked ? [{ service: 'Microsoft.Web' }] : [],
          delegations: locked ? [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] : [],
          appServicePlans: locked ? [canonicalId(planId(index))] : [],
          body: { id: subnet, addressPrefix: '10.0.0.0/24' },
        }),
      );
      observed.plans.set(canonicalId(planId(index)), found({ id: planId(index), skuTier: 'PremiumV3', skuName: 'P1v3' }));
    }
    const foreign: AccessRule = { name: 'caller-address', description: 'added by hand', action: 'Allow', priority: 300, ipAddress: `${address(index)}/32` };
    const owned: AccessRule = { name: `ld-hub-apps-${Math.floor(index / 10)}`, description: `lockdown:pair-${index}`, action: 'Allow', priority: 100, vnetSubnetResourceId: subnet };
    observed.sites.set(
      canonicalId(callerId(index)),
      found({ id: callerId(index), location: 'westeurope', serverFarmId: planId(index), integrationSubnetId: locked ? canonicalId(subnet) : undefined, outboundAddresses: [address(index)] }),
    );
    observed.siteConfigs.set(canonicalId(callerId(index)), found({ accessRules: [], defaultAction: 'Allow', scmAccessRules: [], scmDefaultAction: 'Allow', scmUseMain: false, vnetRouteAllEnabled: false }));
    observed.sites.set(canonicalId(calleeId(index)), found({ id: calleeId(index), location: 'westeurope', serverFarmId: planId(index), publicNetworkAccess: 'Enabled' }));
    observed.siteConfigs.set(
      canonicalId(calleeId(index)),
      found({ accessRules: locked ? [owned, foreign] : [foreign], defaultAction: 'Deny', scmAccessRules: [], scmDefaultAction: 'Deny', scmUseMain: true, vnetRouteAllEnabled: false }),
    );
  }
  return observed;
}

export interface PlanFigures {
  pairs: number;
  shape: EstateShape;
  ms: number;
  /** CPU time of the process while planning (all threads: the garbage collector's helpers count too); less sensitive than wall time to other processes on a shared machine. */
  cpuMs: number;
  /** Heap growth while planning, and resident set size after. */
  heapMiB: number;
  rssMiB: number;
  actions: number;
  withheld: number;
}

export function inputs(pairs: number, shape: EstateShape): { policies: LockdownPolicy[]; observed: ObservedState } {
  return { policies: policies(pairs), observed: estate(pairs, shape) };
}

/** The median (by wall time) of `runs` plans of the same estate (after one warm-up), each after a full GC when node runs with --expose-gc. */
export function measurePlan(pairs: number, shape: EstateShape, runs = 5): PlanFigures {
  const { policies: named, observed } = inputs(pairs, shape);
  const gc = (globalThis as { gc?: () => void }).gc;
  planTick({ policies: named, observed, now: NOW });
  const samples: { ms: number; cpuMs: number; heapMiB: number; plan: Plan }[] = [];
  for (let run = 0; run < runs; run++) {
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const plan = planTick({ policies: named, observed, now: NOW });
    const cpu = process.cpuUsage(cpuBefore);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    samples.push({ ms, cpuMs: (cpu.user + cpu.system) / 1000, heapMiB: (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20, plan });
  }
  samples.sort((a, b) => a.ms - b.ms);
  const median = samples[Math.floor(samples.length / 2)];
  return {
    pairs,
    shape,
    ms: median.ms,
    cpuMs: median.cpuMs,
    heapMiB: median.heapMiB,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    actions: median.plan.actions.length,
    withheld: median.plan.actions.filter((action) => !action.enforcement.apply).length,
  };
}
