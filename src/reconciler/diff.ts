/**
 * The diff: desired (policies) against observed, to a plan. Pure: no SDK, no logger, no clock.
 *
 * Desired state is computed per resource, merging every policy that mentions it, so a callee
 * shared by two pairs gets one write with both pairs' rules.
 */
import { describeRule, isOwnedRule, ownedRules, ruleKey, sameRules, type ExtraGrant, type SubnetGrant } from './accessRules';
import type { AccessRule, Observation, ObservedSiteConfig, ObservedState, ObservedSubnet } from './observed';
import type { FieldChange, Plan, PlanCondition, PlannedAction, PlannedPair, PolicySummary } from './plan';
import type { LockdownPolicy, ScmSpec } from './policy/types';
import type { SiteConfigPatch } from './port';
import { canonicalId, shortName, virtualNetworkOf } from './resourceId';

export const APP_SERVICE_ENDPOINT = 'Microsoft.Web';
export const APP_SERVICE_DELEGATION = 'Microsoft.Web/serverFarms';
export const APP_SERVICE_DELEGATION_NAME = 'Microsoft.Web.serverFarms';
/** Plan tiers that cannot use regional VNet integration. */
const TIERS_WITHOUT_VNET_INTEGRATION = new Set(['free', 'shared', 'dynamic']);

export interface DiffInput {
  policies: LockdownPolicy[];
  observed: ObservedState;
  /** Instant the plan is for (suspension expiry is judged against it). */
  now: string;
}

interface Blocker {
  reason: string;
  message: string;
}

class PlanBuilder {
  readonly actions: PlannedAction[] = [];
  readonly conditions: PlanCondition[] = [];
  readonly unchanged: string[] = [];

  condition(severity: PlanCondition['severity'], reason: string, message: string, policies: LockdownPolicy[], resourceId: string): void {
    for (const policy of policies) this.conditions.push({ severity, reason, message, policy: policy.name, resourceId });
  }

  add(action: Omit<PlannedAction, 'id' | 'enforcement'>, blocker?: Blocker): PlannedAction {
    const planned: PlannedAction = {
      ...action,
      id: `${action.kind}:${canonicalId(action.resourceId)}`,
      enforcement: blocker ? { apply: false, reason: 'blocked', detail: blocker.message } : { apply: true },
    };
    this.actions.push(planned);
    return planned;
  }
}

function names(policies: LockdownPolicy[]): string[] {
  return [...new Set(policies.map((policy) => policy.name))].sort();
}

function groupBy<K, V>(entries: [K, V][]): Map<K, V[]> {
  const groups = new Map<K, V[]>();
  for (const [key, value] of entries) groups.set(key, [...(groups.get(key) ?? []), value]);
  return groups;
}

export function diff(input: DiffInput): Plan {
  const { policies, observed } = input;
  const builder = new PlanBuilder();

  const policiesBySubnet = groupBy(policies.map((policy) => [policy.subnetId, policy]));
  const policiesByCaller = groupBy(policies.flatMap((policy) => policy.callers.map((caller) => [caller.id, policy] as [string, LockdownPolicy])));
  const policiesByCallee = groupBy(policies.flatMap((policy) => policy.callees.map((callee) => [callee.id, policy] as [string, LockdownPolicy])));

  const subnetBlockers = new Map<string, Blocker>();
  const subnetActions = new Map<string, string>();
  for (const [subnetId, subnetPolicies] of policiesBySubnet) {
    const result = diffSubnet(builder, subnetPolicies, observed.subnets.get(subnetId));
    if (result.blocker) subnetBlockers.set(subnetId, result.blocker);
    if (result.actionId) subnetActions.set(subnetId, result.actionId);
  }

  const subnetPlans = claimSubnetPlans(policiesByCaller, observed);
  const callerBlockers = new Map<string, Blocker>();
  const callerActions = new Map<string, string[]>();
  for (const [callerId, callerPolicies] of policiesByCaller) {
    const result = diffCaller(builder, callerId, callerPolicies, observed, subnetBlockers, subnetActions, policiesBySubnet, subnetPlans);
    if (result.blocker) callerBlockers.set(callerId, result.blocker);
    callerActions.set(callerId, result.actionIds);
  }

  for (const [calleeId, calleePolicies] of policiesByCallee) {
    // The callee is locked only once every declared caller's path is in place (or about to be).
    const dependsOn = new Set<string>();
    let blocker: Blocker | undefined;
    for (const policy of calleePolicies) {
      const subnetAction = subnetActions.get(policy.subnetId);
      if (subnetAction) dependsOn.add(subnetAction);
      blocker ??= subnetBlockers.get(policy.subnetId);
      for (const caller of policy.callers) {
        for (const actionId of callerActions.get(caller.id) ?? []) dependsOn.add(actionId);
        const callerBlocker = callerBlockers.get(caller.id);
        if (!blocker && callerBlocker) {
          blocker = { reason: 'CallerPathNotReady', message: `caller ${shortName(caller.displayId)} cannot reach the subnet yet: ${callerBlocker.message}` };
        }
      }
    }
    diffCallee(builder, calleeId, calleePolicies, observed, [...dependsOn].sort(), blocker, new Set(subnetBlockers.keys()));
  }

  return {
    actions: inDependencyOrder(builder.actions),
    conditions: builder.conditions,
    policies: policies.map(summarize(input.now)),
    unchanged: builder.unchanged,
  };
}

/** Actions ordered so that each comes after what it depends on (stable otherwise), as apply runs them. */
function inDependencyOrder(actions: PlannedAction[]): PlannedAction[] {
  const ordered: PlannedAction[] = [];
  const placed = new Set<string>();
  const pending = [...actions];
  while (pending.length > 0) {
    const index = pending.findIndex((action) => action.dependsOn.every((id) => placed.has(id) || !actions.some((other) => other.id === id)));
    const [next] = pending.splice(index === -1 ? 0 : index, 1);
    ordered.push(next);
    placed.add(next.id);
  }
  return ordered;
}

function summarize(now: string): (policy: LockdownPolicy) => PolicySummary {
  return (policy) => {
    const pairs: PlannedPair[] = policy.callers.flatMap((caller) =>
      policy.callees.map((callee) => ({ policy: policy.name, caller: caller.displayId, callee: callee.displayId })),
    );
    return { name: policy.name, generation: policy.generation, mode: policy.mode, suspended: isSuspended(policy, now), pairs };
  };
}

export function isSuspended(policy: LockdownPolicy, now: string): boolean {
  if (!policy.suspend) return false;
  return policy.suspend.until === undefined || Date.parse(policy.suspend.until) > Date.parse(now);
}

function unavailable(what: string, id: string, observation: Observation<unknown> | undefined): Blocker {
  if (!observation || observation.status === 'found') return { reason: `${what}Unreadable`, message: `${what.toLowerCase()} ${shortName(id)} was not read` };
  if (observation.status === 'missing') return { reason: `${what}NotFound`, message: `${what.toLowerCase()} ${shortName(id)} does not exist` };
  return { reason: `${what}Unreadable`, message: `${what.toLowerCase()} ${shortName(id)} could not be read: ${observation.error.code}: ${observation.error.message}` };
}

function diffSubnet(
  builder: PlanBuilder,
  policies: LockdownPolicy[],
  observation: Observation<ObservedSubnet> | undefined,
): { blocker?: Blocker; actionId?: string } {
  const displayId = policies[0].subnetDisplayId;
  if (observation?.status !== 'found') {
    const blocker = unavailable('Subnet', displayId, observation);
    builder.condition('error', blocker.reason, blocker.message, policies, displayId);
    return { blocker };
  }
  const subnet = observation.value;
  const otherDelegation = subnet.delegations.find((delegation) => delegation.serviceName.toLowerCase() !== APP_SERVICE_DELEGATION.toLowerCase());
  if (otherDelegation) {
    const blocker = {
      reason: 'SubnetDelegatedElsewhere',
      message: `subnet ${shortName(displayId)} is delegated to ${otherDelegation.serviceName}; Lockdown does not take over another service's delegation`,
    };
    builder.condition('error', blocker.reason, blocker.message, policies, displayId);
    return { blocker };
  }

  const changes: FieldChange[] = [];
  const body = { ...subnet.body };
  if (!subnet.serviceEndpoints.some((endpoint) => endpoint.service.toLowerCase() === APP_SERVICE_ENDPOINT.toLowerCase())) {
    changes.push({ aspect: 'serviceEndpoint', field: `serviceEndpoints[${APP_SERVICE_ENDPOINT}]`, symbol: '+', after: APP_SERVICE_ENDPOINT });
    body.serviceEndpoints = [...((body.serviceEndpoints as unknown[]) ?? []), { service: APP_SERVICE_ENDPOINT }];
  }
  if (subnet.delegations.length === 0) {
    changes.push({ aspect: 'delegation', field: `delegations[${APP_SERVICE_DELEGATION}]`, symbol: '+', after: APP_SERVICE_DELEGATION });
    body.delegations = [...((body.delegations as unknown[]) ?? []), { name: APP_SERVICE_DELEGATION_NAME, serviceName: APP_SERVICE_DELEGATION }];
  }
  if (changes.length === 0) {
    builder.unchanged.push(displayId);
    return {};
  }
  const action = builder.add({
    kind: 'subnet.enableAppServiceAccess',
    verb: 'update',
    resourceId: displayId,
    policies: names(policies),
    summary: `subnet ${shortName(displayId)}: ${changes.map((change) => `add ${change.after}`).join(', ')}; every other field kept`,
    changes,
    dependsOn: [],
    serializeOn: virtualNetworkOf(policies[0].subnetId),
    write: { operation: 'putSubnet', subnetId: displayId, body, ifMatch: subnet.etag },
  });
  return { actionId: action.id };
}

/**
 * ARM lets one App Service plan use a subnet for VNet integration. The plan already linked to
 * the subnet keeps it; otherwise the plan of the first caller (by id) claims it.
 */
function claimSubnetPlans(policiesByCaller: Map<string, LockdownPolicy[]>, observed: ObservedState): Map<string, string> {
  const claims = new Map<string, string>();
  for (const [subnetId, observation] of observed.subnets) {
    const linked = observation.status === 'found' ? observation.value.appServicePlans?.[0] : undefined;
    if (linked) claims.set(subnetId, linked);
  }
  for (const callerId of [...policiesByCaller.keys()].sort()) {
    const subnetId = policiesByCaller.get(callerId)![0].subnetId;
    const site = observed.sites.get(callerId);
    if (!claims.has(subnetId) && site?.status === 'found' && site.value.serverFarmId) claims.set(subnetId, canonicalId(site.value.serverFarmId));
  }
  return claims;
}

function diffCaller(
  builder: PlanBuilder,
  callerId: string,
  policies: LockdownPolicy[],
  observed: ObservedState,
  subnetBlockers: Map<string, Blocker>,
  subnetActions: Map<string, string>,
  policiesBySubnet: Map<string, LockdownPolicy[]>,
  subnetPlans: Map<string, string>,
): { blocker?: Blocker; actionIds: string[] } {
  const displayId = policies[0].callers.find((caller) => caller.id === callerId)?.displayId ?? callerId;
  const subnetId = policies[0].subnetId;
  const subnetDisplayId = policies[0].subnetDisplayId;
  const block = (blocker: Blocker, severity: PlanCondition['severity'] = 'error') => {
    builder.condition(severity, blocker.reason, blocker.message, policies, displayId);
    return { blocker, actionIds: [] };
  };

  const siteObservation = observed.sites.get(callerId);
  if (siteObservation?.status !== 'found') return block(unavailable('Caller', displayId, siteObservation));
  const site = siteObservation.value;

  const planObservation = site.serverFarmId ? observed.plans.get(canonicalId(site.serverFarmId)) : undefined;
  if (planObservation?.status !== 'found') {
    return block(unavailable('Plan', site.serverFarmId ?? `(plan of ${shortName(displayId)})`, planObservation));
  }
  const tier = (planObservation.value.skuTier ?? '').toLowerCase();
  if (TIERS_WITHOUT_VNET_INTEGRATION.has(tier)) {
    return block({
      reason: 'PlanCannotIntegrate',
      message: `caller ${shortName(displayId)} runs on plan ${shortName(planObservation.value.id)} (tier ${planObservation.value.skuTier}), which cannot use regional VNet integration; move it to Basic or above`,
    });
  }

  const subnetBlocker = subnetBlockers.get(subnetId);
  if (subnetBlocker) return { blocker: subnetBlocker, actionIds: [] };
  const subnetPlan = subnetPlans.get(subnetId);
  if (subnetPlan && subnetPlan !== canonicalId(planObservation.value.id)) {
    return block({
      reason: 'SubnetUsedByAnotherPlan',
      message: `subnet ${shortName(subnetDisplayId)} is used for VNet integration by plan ${shortName(subnetPlan)}, but caller ${shortName(displayId)} runs on plan ${shortName(planObservation.value.id)}; ARM allows one plan per subnet: give this caller's plan its own subnet (and policy)`,
    });
  }
  const subnetObservation = observed.subnets.get(subnetId);
  const subnetLocation = subnetObservation?.status === 'found' ? subnetObservation.value.location : undefined;
  if (subnetLocation && normalizeLocation(subnetLocation) !== normalizeLocation(site.location)) {
    return block({
      reason: 'RegionMismatch',
      message: `caller ${shortName(displayId)} is in ${site.location} but subnet ${shortName(subnetDisplayId)} is in ${subnetLocation}; regional VNet integration needs the same region`,
    });
  }

  const configObservation = observed.siteConfigs.get(callerId);
  if (configObservation?.status !== 'found') return block(unavailable('CallerConfig', displayId, configObservation));

  const actionIds: string[] = [];
  const integratedWith = site.integrationSubnetId ? canonicalId(site.integrationSubnetId) : undefined;
  let connectId: string | undefined;
  if (integratedWith !== subnetId) {
    if (integratedWith && policiesBySubnet.has(integratedWith)) {
      const owners = names(policiesBySubnet.get(integratedWith) ?? []).join(', ');
      return block({
        reason: 'IntegratedWithAnotherPolicySubnet',
        message: `caller ${shortName(displayId)} is integrated with subnet ${shortName(integratedWith)}, which policy ${owners} declares; a caller can join one subnet`,
      });
    }
    const subnetAction = subnetActions.get(subnetId);
    const action = builder.add({
      kind: 'caller.connectToSubnet',
      verb: integratedWith ? 'update' : 'create',
      resourceId: displayId,
      policies: names(policies),
      summary: integratedWith
        ? `caller ${shortName(displayId)}: move VNet integration from ${shortName(integratedWith)} to ${shortName(subnetDisplayId)}`
        : `caller ${shortName(displayId)}: join subnet ${shortName(subnetDisplayId)} (regional VNet integration)`,
      changes: [{ aspect: 'vnetIntegration', field: 'virtualNetworkSubnetId', symbol: integratedWith ? '~' : '+', before: site.integrationSubnetId, after: subnetDisplayId }],
      dependsOn: subnetAction ? [subnetAction] : [],
      serializeOn: virtualNetworkOf(subnetId),
      write: { operation: 'connectSiteToSubnet', siteId: displayId, subnetId: subnetDisplayId },
    });
    connectId = action.id;
    actionIds.push(action.id);
  }

  if (!configObservation.value.vnetRouteAllEnabled) {
    const action = builder.add({
      kind: 'caller.routeAllTraffic',
      verb: 'update',
      resourceId: displayId,
      policies: names(policies),
      summary: `caller ${shortName(displayId)}: route all outbound traffic through the VNet`,
      changes: [{ aspect: 'routeAllTraffic', field: 'vnetRouteAllEnabled', symbol: '~', before: false, after: true }],
      dependsOn: connectId ? [connectId] : [],
      write: { operation: 'updateSiteConfig', siteId: displayId, patch: { vnetRouteAllEnabled: true } },
    });
    actionIds.push(action.id);
  }
  if (actionIds.length === 0) builder.unchanged.push(displayId);
  return { actionIds };
}

function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

interface RuleSetDiff {
  desired: AccessRule[];
  changes: FieldChange[];
  removed: AccessRule[];
  kept: AccessRule[];
}

/** Compare one rule list (main or SCM site) with what Lockdown wants there. */
function diffRuleSet(field: string, observedRules: AccessRule[], owned: AccessRule[], exclusive: boolean): RuleSetDiff {
  const foreign = observedRules.filter((rule) => !isOwnedRule(rule));
  const desired = exclusive ? owned : [...owned, ...foreign];
  const observedKeys = new Set(observedRules.map(ruleKey));
  const desiredKeys = new Set(desired.map(ruleKey));
  const changes: FieldChange[] = [];
  for (const rule of desired) {
    if (!observedKeys.has(ruleKey(rule))) changes.push({ aspect: field === 'scmIpSecurityRestrictions' ? 'scm' : 'accessRule', field: `${field}[${rule.name}]`, symbol: '+', after: rule });
  }
  const removed = observedRules.filter((rule) => !desiredKeys.has(ruleKey(rule)));
  for (const rule of removed) {
    changes.push({ aspect: field === 'scmIpSecurityRestrictions' ? 'scm' : 'accessRule', field: `${field}[${rule.name ?? describeRule(rule)}]`, symbol: '-', before: rule });
  }
  return { desired, changes, removed, kept: exclusive ? [] : foreign };
}

function scmOwnedRules(scm: ScmSpec, policies: LockdownPolicy[]): AccessRule[] {
  if (scm.kind !== 'rules') return [];
  const grants: ExtraGrant[] = scm.allow.map((allow) => ({ allow, policies: names(policies) }));
  return ownedRules([], grants);
}

function diffCallee(
  builder: PlanBuilder,
  calleeId: string,
  policies: LockdownPolicy[],
  observed: ObservedState,
  dependsOn: string[],
  blocker: Blocker | undefined,
  blockedSubnets: Set<string>,
): void {
  const spec = policies[0].callees.find((callee) => callee.id === calleeId)!;
  const displayId = spec.displayId;
  const siteObservation = observed.sites.get(calleeId);
  const configObservation = observed.siteConfigs.get(calleeId);
  if (siteObservation?.status !== 'found' || configObservation?.status !== 'found') {
    const missing = siteObservation?.status !== 'found' ? unavailable('Callee', displayId, siteObservation) : unavailable('CalleeConfig', displayId, configObservation);
    builder.condition('error', missing.reason, missing.message, policies, displayId);
    return;
  }
  const config: ObservedSiteConfig = configObservation.value;
  // Validation guarantees every policy naming this callee agrees on `exclusive` and `scm`.
  const exclusive = policies[0].exclusive;

  const subnetGrants: SubnetGrant[] = [...groupBy(policies.map((policy) => [policy.subnetId, policy])).values()].map((group) => ({
    subnetDisplayId: group[0].subnetDisplayId,
    policies: names(group),
  }));
  // The same extra allow in several policies is one rule naming all of them.
  const extraGrants = new Map<string, ExtraGrant>();
  for (const policy of policies) {
    for (const allow of policy.alsoAllow) {
      const key = JSON.stringify([allow.name, allow.ipAddress, allow.serviceTag]);
      const grant = extraGrants.get(key) ?? { allow, policies: [] };
      extraGrants.set(key, { allow, policies: [...grant.policies, policy.name].sort() });
    }
  }

  const patch: SiteConfigPatch = {};
  const changes: FieldChange[] = [];
  const removedRules: AccessRule[] = [];

  const ownedMain = ownedRules(subnetGrants, [...extraGrants.values()]);

  // Joining a subnet, turning on route-all and adding the subnet's service endpoint all change
  // the address a caller's calls arrive from. When the callee already denies by default, its
  // new allow rules go in first, in a write of their own, before any caller's path changes;
  // removals and Deny come after every caller is in place.
  let rulesBeforeRestrict = config.accessRules;
  let admitId: string | undefined;
  if (config.defaultAction === 'Deny' && dependsOn.length > 0) {
    const present = new Set(config.accessRules.map(ruleKey));
    const additions = ownedMain.filter(
      (rule) => !present.has(ruleKey(rule)) && !(rule.vnetSubnetResourceId && blockedSubnets.has(canonicalId(rule.vnetSubnetResourceId))),
    );
    if (additions.length > 0) {
      rulesBeforeRestrict = [...config.accessRules, ...additions];
      const admit = builder.add({
        kind: 'callee.admitCallers',
        verb: 'update',
        resourceId: displayId,
        policies: names(policies),
        summary: `callee ${shortName(displayId)}: allow ${additions.length} new source(s) before callers' paths change; nothing removed yet`,
        changes: additions.map((rule) => ({ aspect: 'accessRule' as const, field: `ipSecurityRestrictions[${rule.name}]`, symbol: '+' as const, after: rule })),
        // A subnet rule needs the subnet's service endpoint first (ARM refuses it otherwise).
        dependsOn: dependsOn.filter((id) => id.startsWith('subnet.')),
        write: { operation: 'updateSiteConfig', siteId: displayId, patch: { accessRules: rulesBeforeRestrict }, expected: { accessRules: config.accessRules } },
      });
      admitId = admit.id;
      const callerPathChanges = new Set(dependsOn.filter((id) => id.startsWith('caller.')));
      for (const action of builder.actions) if (callerPathChanges.has(action.id)) action.dependsOn.push(admit.id);
    }
  }

  const main = diffRuleSet('ipSecurityRestrictions', rulesBeforeRestrict, ownedMain, exclusive);
  if (!sameRules(rulesBeforeRestrict, main.desired)) {
    patch.accessRules = main.desired;
    changes.push(...main.changes);
    removedRules.push(...main.removed);
  }
  if (config.defaultAction !== 'Deny') {
    patch.defaultAction = 'Deny';
    changes.push({ aspect: 'defaultAction', field: 'ipSecurityRestrictionsDefaultAction', symbol: '~', before: config.defaultAction, after: 'Deny' });
  }

  const scm = spec.scm;
  if (scm.kind === 'sameAsMain') {
    if (!config.scmUseMain) {
      patch.scmUseMain = true;
      changes.push({ aspect: 'scm', field: 'scmIpSecurityRestrictionsUseMain', symbol: '~', before: false, after: true });
    }
  } else {
    if (config.scmUseMain) {
      patch.scmUseMain = false;
      changes.push({ aspect: 'scm', field: 'scmIpSecurityRestrictionsUseMain', symbol: '~', before: true, after: false });
    }
    const scmRules = diffRuleSet('scmIpSecurityRestrictions', config.scmAccessRules, scmOwnedRules(scm, policies), exclusive);
    if (!sameRules(config.scmAccessRules, scmRules.desired)) {
      patch.scmAccessRules = scmRules.desired;
      changes.push(...scmRules.changes);
      removedRules.push(...scmRules.removed);
    }
    if (config.scmDefaultAction !== 'Deny') {
      patch.scmDefaultAction = 'Deny';
      changes.push({ aspect: 'scm', field: 'scmIpSecurityRestrictionsDefaultAction', symbol: '~', before: config.scmDefaultAction, after: 'Deny' });
    }
  }

  if (!exclusive) {
    const kept = config.accessRules.filter((rule) => !isOwnedRule(rule));
    if (kept.length > 0) {
      builder.condition(
        'info',
        'ForeignRulesKept',
        `callee ${shortName(displayId)} keeps ${kept.length} rule(s) Lockdown does not own (non-exclusive policy): ${kept.map(describeRule).join('; ')}`,
        policies,
        displayId,
      );
    }
  }

  let restrictId: string | undefined;
  if (changes.length > 0) {
    const action = builder.add(
      {
        kind: 'callee.restrictAccess',
        verb: 'update',
        resourceId: displayId,
        policies: names(policies),
        summary: `callee ${shortName(displayId)}: ${summarizeCalleeChanges(changes)}`,
        changes,
        dependsOn: admitId ? [...dependsOn, admitId] : dependsOn,
        write: {
          operation: 'updateSiteConfig',
          siteId: displayId,
          patch,
          expected: {
            ...(patch.accessRules ? { accessRules: rulesBeforeRestrict } : {}),
            ...(patch.scmAccessRules ? { scmAccessRules: config.scmAccessRules } : {}),
          },
        },
        removedRules: removedRules.length > 0 ? removedRules : undefined,
      },
      blocker,
    );
    restrictId = action.id;
  }

  // Service-endpoint traffic arrives on the public endpoint: access restrictions only work with it on.
  if (siteObservation.value.publicNetworkAccess === 'Disabled') {
    builder.add(
      {
        kind: 'callee.enablePublicAccess',
        verb: 'update',
        resourceId: displayId,
        policies: names(policies),
        summary: `callee ${shortName(displayId)}: enable public network access (restricted by the rules above)`,
        changes: [{ aspect: 'publicAccess', field: 'publicNetworkAccess', symbol: '~', before: 'Disabled', after: 'Enabled' }],
        dependsOn: restrictId ? [...dependsOn, restrictId] : dependsOn,
        write: { operation: 'updateSiteConfig', siteId: displayId, patch: { publicNetworkAccess: 'Enabled' } },
      },
      blocker,
    );
  } else if (!restrictId) {
    builder.unchanged.push(displayId);
  }
}

function summarizeCalleeChanges(changes: FieldChange[]): string {
  const added = changes.filter((change) => change.symbol === '+').length;
  const removed = changes.filter((change) => change.symbol === '-').length;
  const parts: string[] = [];
  if (added) parts.push(`add ${added} rule(s)`);
  if (removed) parts.push(`remove ${removed} rule(s)`);
  for (const change of changes.filter((c) => c.symbol === '~')) parts.push(`${change.field} ${String(change.before)} → ${String(change.after)}`);
  return parts.join(', ');
}
