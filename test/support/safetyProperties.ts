/**
 * The safety properties, checked over every state the emulator recorded: read each state into
 * the reachability model and compare every state Lockdown's writes produced with the one
 * before it. A pair is owed its path when it was open as the tick began and still is: a path
 * that opened during the tick may close again when a write fails (a failed long-running
 * operation restores the subnet as it was).
 */
import type { EmulatorStateSnapshot } from '../../emulator/src/types';
import { toObservedSiteConfig } from '../../src/reconciler/azure/armPort';
import { isOwnedRule } from '../../src/reconciler/accessRules';
import { isEnforcing } from '../../src/reconciler/aspects/context';
import type { LockdownPolicy } from '../../src/reconciler/policy/types';
import { admits, hasWebEndpoint, reachable, siteAdmits, type CalleeNode, type CallerNode, type NetworkState, type Source, type SubnetNode } from '../../src/reconciler/reachability';
import { canonicalId } from '../../src/reconciler/resourceId';

export function networkOfSnapshot(state: EmulatorStateSnapshot): NetworkState {
  const subnets = new Map<string, SubnetNode>();
  for (const [id, subnet] of Object.entries(state.subnets)) {
    const p = subnet.properties ?? {};
    subnets.set(canonicalId(id), { id: canonicalId(id), webEndpoint: hasWebEndpoint(p.serviceEndpoints ?? []), natGatewayId: p.natGateway?.id, routeTableId: p.routeTable?.id });
  }
  const configs = new Map(Object.entries(state.siteConfigs).map(([id, config]) => [canonicalId(id.replace(/\/config\/web$/i, '')), config.properties ?? {}]));
  const callers = new Map<string, CallerNode>();
  const callees = new Map<string, CalleeNode>();
  for (const [id, site] of Object.entries(state.sites)) {
    const key = canonicalId(id);
    const p = site.properties ?? {};
    const config = toObservedSiteConfig(configs.get(key) ?? {});
    callers.set(key, {
      id: key,
      integrationSubnetId: p.virtualNetworkSubnetId ? canonicalId(p.virtualNetworkSubnetId) : undefined,
      routeAll: config.vnetRouteAllEnabled,
      outboundAddresses: String(p.outboundIpAddresses ?? '').split(',').filter(Boolean),
    });
    callees.set(key, {
      id: key,
      main: { rules: config.accessRules, defaultAction: config.defaultAction },
      scm: config.scmUseMain ? undefined : { rules: config.scmAccessRules, defaultAction: config.scmDefaultAction },
      publicAccessDisabled: p.publicNetworkAccess === 'Disabled',
    });
  }
  return { subnets, callers, callees };
}

export interface CheckInput {
  history: EmulatorStateSnapshot[];
  policies: LockdownPolicy[];
  /** States produced by portal edits (seq numbers): not Lockdown's, not checked. */
  portalStates: Set<number>;
  /** Every subnet and every app's outbound address: the sources whose admission is compared. */
  sources: Source[];
  /** The seq of the last state before each tick: a pair is owed its path when it was open then. */
  tickStarts: number[];
}

/** Every violation found, each naming the state (seq and cause) it appeared in. */
export function safetyViolations(input: CheckInput): string[] {
  const violations: string[] = [];
  const pairs = input.policies.flatMap((policy) => policy.callers.flatMap((caller) => policy.callees.map((callee) => ({ policy, caller: caller.id, callee: callee.id }))));
  const callees = new Map<string, LockdownPolicy[]>();
  for (const policy of input.policies) for (const callee of policy.callees) callees.set(callee.id, [...(callees.get(callee.id) ?? []), policy]);
  const models = input.history.map(networkOfSnapshot);
  const bySeq = new Map(input.history.map((state, index) => [state.seq, index]));
  const seed = models[0];
  const network = (state: EmulatorStateSnapshot) => {
    const ids = (kind: 'networkSecurityGroup' | 'routeTable' | 'natGateway') =>
      Object.fromEntries(Object.entries(state.subnets).map(([id, subnet]) => [canonicalId(id), subnet.properties?.[kind]?.id?.toLowerCase() ?? null]));
    return JSON.stringify([ids('networkSecurityGroup'), ids('routeTable'), ids('natGateway')]);
  };
  const seedNetwork = network(input.history[0]);

  for (let index = 1; index < models.length; index++) {
    const state = input.history[index];
    const where = `state ${state.seq} (${state.cause})`;
    if (network(state) !== seedNetwork) violations.push(`${where}: an NSG, route table or NAT gateway changed`);
    if (input.portalStates.has(state.seq)) continue;
    const [before, after] = [models[index - 1], models[index]];
    const tickStart = models[bySeq.get(Math.max(...input.tickStarts.filter((seq) => seq < state.seq), 0)) ?? 0];
    for (const pair of pairs) {
      const owed = reachable(tickStart, pair.caller, pair.callee) === true && reachable(before, pair.caller, pair.callee) === true;
      if (owed && reachable(after, pair.caller, pair.callee) !== true) {
        violations.push(`${where}: ${pair.policy.name} pair ${pair.caller} → ${pair.callee} lost its open path`);
      }
    }
    for (const [calleeId, named] of callees) {
      for (const source of input.sources) {
        if (admits(after.callees.get(calleeId), source) !== true || admits(before.callees.get(calleeId), source) === true) continue;
        if (admits(seed.callees.get(calleeId), source) === true) continue;
        if (!required(source, named, after.callees.get(calleeId)!)) violations.push(`${where}: ${calleeId} newly admits ${JSON.stringify(source)}, which no policy requires`);
      }
    }
  }
  return violations;
}

/** A source an enforcing policy names (its subnet, an extra allow), or that a kept foreign rule admits. */
function required(source: Source, policies: LockdownPolicy[], callee: CalleeNode): boolean {
  const enforcing = policies.filter((policy) => isEnforcing(policy, new Date().toISOString()));
  if (source.kind === 'subnet' && enforcing.some((policy) => policy.subnetId === source.subnetId)) return true;
  const extras = enforcing.flatMap((policy) => policy.alsoAllow.filter((allow) => allow.ipAddress).map((allow) => ({ action: 'Allow', priority: 1, ipAddress: allow.ipAddress })));
  if (extras.length > 0 && siteAdmits({ rules: extras, defaultAction: 'Deny' }, source)) return true;
  const kept = callee.main.rules.filter((rule) => !isOwnedRule(rule));
  const nonExclusive = enforcing.some((policy) => !policy.exclusive);
  return nonExclusive && siteAdmits({ rules: kept, defaultAction: 'Deny' }, source);
}
