/**
 * The callee: its rules (main and SCM) and default actions in one write, and, when it already
 * denies by default and callers' paths are about to change, the new allow rules first in a
 * write of their own, so every caller is admitted from where its calls will come before they
 * come from there.
 */
import { describeRule, isOwnedRule, ruleKey, sameRules } from '../accessRules';
import type { AccessRule, ObservedSiteConfig } from '../observed';
import type { FieldChange } from '../plan';
import type { LockdownPolicy } from '../policy/types';
import type { SiteConfigPatch } from '../port';
import { canonicalId, shortName } from '../resourceId';
import { diffRuleSet, ownedMainRules } from './calleeRules';
import { addCondition, addDraft, hasDraft, names, specOf, unavailable, type Blocker, type DiffContext } from './context';
import { diffPublicAccess } from './publicAccess';
import { diffScm } from './scm';

export function diffCallee(context: DiffContext, calleeId: string, policies: LockdownPolicy[]): void {
  const spec = specOf(policies[0].callees, calleeId)!;
  const displayId = spec.displayId;
  const siteObservation = context.observed.sites.get(calleeId);
  const configObservation = context.observed.siteConfigs.get(calleeId);
  if (siteObservation?.status !== 'found' || configObservation?.status !== 'found') {
    const missing = siteObservation?.status !== 'found' ? unavailable('Callee', displayId, siteObservation) : unavailable('CalleeConfig', displayId, configObservation);
    addCondition(context, 'error', missing, policies, displayId);
    return;
  }
  const config = configObservation.value;
  // Validation guarantees every policy naming this callee agrees on `exclusive` and `scm`.
  const exclusive = policies[0].exclusive;
  const blocker = pathBlocker(context, policies);
  const owned = ownedMainRules(policies);

  const rulesBeforeRestrict = admitCallers(context, displayId, config, owned, policies);
  const main = diffRuleSet('ipSecurityRestrictions', 'accessRule', rulesBeforeRestrict, owned, exclusive);
  const scm = diffScm(spec.scm, config, policies, exclusive);
  const patch: SiteConfigPatch = { ...scm.patch };
  const changes: FieldChange[] = [];
  const removedRules: AccessRule[] = [];
  if (!sameRules(rulesBeforeRestrict, main.desired)) {
    patch.accessRules = main.desired;
    changes.push(...main.changes);
    removedRules.push(...main.removed);
  }
  if (config.defaultAction !== 'Deny') {
    patch.defaultAction = 'Deny';
    changes.push({ aspect: 'defaultAction', field: 'ipSecurityRestrictionsDefaultAction', symbol: '~', before: config.defaultAction, after: 'Deny' });
  }
  changes.push(...scm.changes);
  removedRules.push(...scm.removed);

  if (!exclusive) reportKeptRules(context, displayId, config, policies);

  if (changes.length > 0) {
    addDraft(context, {
      kind: 'callee.restrictAccess',
      verb: 'update',
      resourceId: displayId,
      policies: names(policies),
      changes,
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
      blocker,
    });
  }
  const publicAccess = diffPublicAccess(context, displayId, siteObservation.value, policies, patch.accessRules ?? rulesBeforeRestrict, blocker);
  if (changes.length === 0 && !publicAccess) context.unchanged.push(displayId);
}

/** The callee waits while a declared caller cannot reach the subnet. */
function pathBlocker(context: DiffContext, policies: LockdownPolicy[]): Blocker | undefined {
  for (const policy of policies) {
    const subnetBlocker = context.subnetBlockers.get(policy.subnetId);
    if (subnetBlocker) return subnetBlocker;
  }
  for (const policy of policies) {
    for (const caller of policy.callers) {
      const callerBlocker = context.callerBlockers.get(caller.id);
      if (callerBlocker) return { reason: 'CallerPathNotReady', message: `caller ${shortName(caller.displayId)} cannot reach the subnet yet: ${callerBlocker.message}` };
    }
  }
  return undefined;
}

/**
 * Plans the admit write when needed and returns the rules the callee has once it ran. A rule
 * for a subnet that has no Microsoft.Web endpoint yet goes in as it is: App Service accepts it
 * (the endpoint check of `az webapp config access-restriction add` and of the portal is
 * client-side; `--ignore-missing-endpoint` skips it and sends the same rule), so the callee
 * admits the subnet before the endpoint moves its callers' calls onto it.
 */
function admitCallers(context: DiffContext, displayId: string, config: ObservedSiteConfig, owned: AccessRule[], policies: LockdownPolicy[]): AccessRule[] {
  const pathsChange = policies.some(
    (policy) => hasDraft(context, 'subnet.enableAppServiceAccess', policy.subnetId) || policy.callers.some((caller) => hasDraft(context, 'caller.connectToSubnet', caller.id)),
  );
  if (config.defaultAction !== 'Deny' || !pathsChange) return config.accessRules;
  const present = new Set(config.accessRules.map(ruleKey));
  const additions = owned
    .filter((rule) => !present.has(ruleKey(rule)) && !(rule.vnetSubnetResourceId && context.subnetBlockers.has(canonicalId(rule.vnetSubnetResourceId))));
  if (additions.length === 0) return config.accessRules;
  const admitted = [...config.accessRules, ...additions];
  addDraft(context, {
    kind: 'callee.admitCallers',
    verb: 'update',
    resourceId: displayId,
    policies: names(policies),
    changes: additions.map((rule) => ({ aspect: 'accessRule' as const, field: `ipSecurityRestrictions[${rule.name}]`, symbol: '+' as const, after: rule })),
    write: { operation: 'updateSiteConfig', siteId: displayId, patch: { accessRules: admitted }, expected: { accessRules: config.accessRules } },
  });
  return admitted;
}

function reportKeptRules(context: DiffContext, displayId: string, config: ObservedSiteConfig, policies: LockdownPolicy[]): void {
  const kept = config.accessRules.filter((rule) => !isOwnedRule(rule));
  if (kept.length === 0) return;
  addCondition(
    context,
    'info',
    { reason: 'ForeignRulesKept', message: `callee ${shortName(displayId)} keeps ${kept.length} rule(s) Lockdown does not own (non-exclusive policy): ${kept.map(describeRule).join('; ')}` },
    policies,
    displayId,
  );
}
