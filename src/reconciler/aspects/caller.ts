/**
 * The caller aspect: regional VNet integration with the policy's subnet. Route-all is left as
 * the caller has it: service-endpoint traffic enters the subnet without it (see reachability.ts),
 * and turning it on would send the caller's other outbound traffic through a subnet that may
 * have no outbound path.
 */
import type { LockdownPolicy } from '../policy/types';
import { canonicalId, shortName, virtualNetworkOf } from '../resourceId';
import { addCondition, addDraft, names, specOf, unavailable, type Blocker, type DiffContext } from './context';

/** Plan tiers that cannot use regional VNet integration. */
const TIERS_WITHOUT_VNET_INTEGRATION = new Set(['free', 'shared', 'dynamic']);

/**
 * ARM lets one App Service plan use a subnet for VNet integration. The plan already linked to
 * the subnet keeps it; otherwise the plan of the first caller (by id) claims it.
 */
export function claimSubnetPlans(context: DiffContext): Map<string, string> {
  const claims = new Map<string, string>();
  for (const [subnetId, observation] of context.observed.subnets) {
    const linked = observation.status === 'found' ? observation.value.appServicePlans?.[0] : undefined;
    if (linked) claims.set(subnetId, linked);
  }
  const firstCaller = new Map<string, { callerId: string; planId: string }>();
  for (const [callerId, policies] of context.byCaller) {
    const subnetId = policies[0].subnetId;
    const site = context.observed.sites.get(callerId);
    if (claims.has(subnetId) || site?.status !== 'found' || !site.value.serverFarmId) continue;
    const first = firstCaller.get(subnetId);
    if (!first || callerId < first.callerId) firstCaller.set(subnetId, { callerId, planId: site.value.serverFarmId });
  }
  for (const [subnetId, first] of firstCaller) claims.set(subnetId, canonicalId(first.planId));
  return claims;
}

export function diffCaller(context: DiffContext, callerId: string, policies: LockdownPolicy[]): void {
  const displayId = specOf(policies[0].callers, callerId)?.displayId ?? callerId;
  const blocker = callerBlocker(context, callerId, displayId, policies);
  if (blocker) {
    context.callerBlockers.set(callerId, blocker);
    if (blocker !== context.subnetBlockers.get(policies[0].subnetId)) addCondition(context, 'error', blocker, policies, displayId);
    return;
  }
  const site = (context.observed.sites.get(callerId) as { value: { integrationSubnetId?: string } }).value;
  const subnetId = policies[0].subnetId;
  const subnetDisplayId = policies[0].subnetDisplayId;
  const integratedWith = site.integrationSubnetId ? canonicalId(site.integrationSubnetId) : undefined;
  if (integratedWith === subnetId) {
    context.unchanged.push(displayId);
    return;
  }
  addDraft(context, {
    kind: 'caller.connectToSubnet',
    verb: integratedWith ? 'update' : 'create',
    resourceId: displayId,
    policies: names(policies),
    changes: [{ aspect: 'vnetIntegration', field: 'virtualNetworkSubnetId', symbol: integratedWith ? '~' : '+', before: site.integrationSubnetId, after: subnetDisplayId }],
    serializeOn: virtualNetworkOf(subnetId),
    write: { operation: 'connectSiteToSubnet', siteId: displayId, subnetId: subnetDisplayId },
  });
}

/** Why this caller cannot join its policy's subnet, if it cannot. */
function callerBlocker(context: DiffContext, callerId: string, displayId: string, policies: LockdownPolicy[]): Blocker | undefined {
  const { observed } = context;
  const subnetId = policies[0].subnetId;
  const subnetDisplayId = policies[0].subnetDisplayId;
  const siteObservation = observed.sites.get(callerId);
  if (siteObservation?.status !== 'found') return unavailable('Caller', displayId, siteObservation);
  const site = siteObservation.value;

  const planId = site.serverFarmId ? canonicalId(site.serverFarmId) : undefined;
  const planObservation = planId ? observed.plans.get(planId) : undefined;
  if (planObservation?.status !== 'found') return unavailable('Plan', site.serverFarmId ?? `(plan of ${shortName(displayId)})`, planObservation);
  const plan = planObservation.value;
  if (TIERS_WITHOUT_VNET_INTEGRATION.has((plan.skuTier ?? '').toLowerCase())) {
    return {
      reason: 'PlanCannotIntegrate',
      message: `caller ${shortName(displayId)} runs on plan ${shortName(plan.id)} (tier ${plan.skuTier}), which cannot use regional VNet integration; move it to Basic or above`,
    };
  }
  const subnetBlocker = context.subnetBlockers.get(subnetId);
  if (subnetBlocker) return subnetBlocker;
  const subnetPlan = context.subnetPlans.get(subnetId);
  if (subnetPlan && subnetPlan !== planId) {
    return {
      reason: 'SubnetUsedByAnotherPlan',
      message: `subnet ${shortName(subnetDisplayId)} is used for VNet integration by plan ${shortName(subnetPlan)}, but caller ${shortName(displayId)} runs on plan ${shortName(plan.id)}; ARM allows one plan per subnet: give this caller's plan its own subnet (and policy)`,
    };
  }
  const subnetObservation = observed.subnets.get(subnetId);
  const subnetLocation = subnetObservation?.status === 'found' ? subnetObservation.value.location : undefined;
  if (subnetLocation && subnetLocation !== site.location && normalizeLocation(subnetLocation) !== normalizeLocation(site.location)) {
    return {
      reason: 'RegionMismatch',
      message: `caller ${shortName(displayId)} is in ${site.location} but subnet ${shortName(subnetDisplayId)} is in ${subnetLocation}; regional VNet integration needs the same region`,
    };
  }
  const configObservation = observed.siteConfigs.get(callerId);
  if (configObservation?.status !== 'found') return unavailable('CallerConfig', displayId, configObservation);
  const integratedWith = site.integrationSubnetId ? canonicalId(site.integrationSubnetId) : undefined;
  if (integratedWith && integratedWith !== subnetId && context.bySubnet.has(integratedWith)) {
    return {
      reason: 'IntegratedWithAnotherPolicySubnet',
      message: `caller ${shortName(displayId)} is integrated with subnet ${shortName(integratedWith)}, which policy ${names(context.bySubnet.get(integratedWith) ?? []).join(', ')} declares; a caller can join one subnet`,
    };
  }
  return undefined;
}

function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}
