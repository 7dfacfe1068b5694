/** The callee's main-site rules: Lockdown's own rules for the desired policies, compared with what is there. */
import { describeRule, isOwnedRule, ownedRules, ruleKey, sameRulesInOrder, type ExtraGrant, type SubnetGrant } from '../accessRules';
import type { AccessRule } from '../observed';
import type { DriftAspect, FieldChange } from '../plan';
import type { LockdownPolicy } from '../policy/types';
import { names } from './context';

export interface RuleSetDiff {
  desired: AccessRule[];
  changes: FieldChange[];
  removed: AccessRule[];
}

/** Compare one rule list (main or SCM site) with what Lockdown wants there. */
export function diffRuleSet(field: string, aspect: DriftAspect, observedRules: AccessRule[], owned: AccessRule[], exclusive: boolean): RuleSetDiff {
  const foreign = observedRules.filter((rule) => !isOwnedRule(rule));
  const desired = exclusive ? owned : [...owned, ...foreign];
  if (sameRulesInOrder(observedRules, desired)) return { desired, changes: [], removed: [] };
  const observedKeys = new Set(observedRules.map(ruleKey));
  const desiredKeys = new Set(desired.map(ruleKey));
  const changes: FieldChange[] = [];
  for (const rule of desired) {
    if (!observedKeys.has(ruleKey(rule))) changes.push({ aspect, field: `${field}[${rule.name}]`, symbol: '+', after: rule });
  }
  const removed = observedRules.filter((rule) => !desiredKeys.has(ruleKey(rule)));
  for (const rule of removed) changes.push({ aspect, field: `${field}[${rule.name ?? describeRule(rule)}]`, symbol: '-', before: rule });
  return { desired, changes, removed };
}

/** One subnet rule per subnet and one rule per extra allow, each naming every policy that wants it. */
export function ownedMainRules(policies: LockdownPolicy[]): AccessRule[] {
  const bySubnet = new Map<string, LockdownPolicy[]>();
  for (const policy of policies) {
    const group = bySubnet.get(policy.subnetId);
    if (group) group.push(policy);
    else bySubnet.set(policy.subnetId, [policy]);
  }
  const subnetGrants: SubnetGrant[] = [...bySubnet.values()].map((group) => ({ subnetDisplayId: group[0].subnetDisplayId, policies: names(group) }));
  const extraGrants = new Map<string, ExtraGrant>();
  for (const policy of policies) {
    for (const allow of policy.alsoAllow) {
      const key = JSON.stringify([allow.name, allow.ipAddress, allow.serviceTag]);
      const grant = extraGrants.get(key) ?? { allow, policies: [] };
      extraGrants.set(key, { allow, policies: [...grant.policies, policy.name].sort() });
    }
  }
  return ownedRules(subnetGrants, [...extraGrants.values()]);
}
