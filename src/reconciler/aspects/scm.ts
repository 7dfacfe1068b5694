/** The callee's SCM (Kudu) site: the main site's rules, or rules of its own, denying by default. */
import { ownedRules, sameRules, type ExtraGrant } from '../accessRules';
import type { AccessRule, ObservedSiteConfig } from '../observed';
import type { FieldChange } from '../plan';
import type { LockdownPolicy, ScmSpec } from '../policy/types';
import type { SiteConfigPatch } from '../port';
import { diffRuleSet } from './calleeRules';
import { names } from './context';

export interface ScmDiff {
  patch: SiteConfigPatch;
  changes: FieldChange[];
  removed: AccessRule[];
}

export function diffScm(scm: ScmSpec, config: ObservedSiteConfig, policies: LockdownPolicy[], exclusive: boolean): ScmDiff {
  const patch: SiteConfigPatch = {};
  const changes: FieldChange[] = [];
  if (scm.kind === 'sameAsMain') {
    if (!config.scmUseMain) {
      patch.scmUseMain = true;
      changes.push({ aspect: 'scm', field: 'scmIpSecurityRestrictionsUseMain', symbol: '~', before: false, after: true });
    }
    return { patch, changes, removed: [] };
  }
  if (config.scmUseMain) {
    patch.scmUseMain = false;
    changes.push({ aspect: 'scm', field: 'scmIpSecurityRestrictionsUseMain', symbol: '~', before: true, after: false });
  }
  const grants: ExtraGrant[] = (scm.kind === 'rules' ? scm.allow : []).map((allow) => ({ allow, policies: names(policies) }));
  const rules = diffRuleSet('scmIpSecurityRestrictions', 'scm', config.scmAccessRules, ownedRules([], grants), exclusive);
  let removed: AccessRule[] = [];
  if (!sameRules(config.scmAccessRules, rules.desired)) {
    patch.scmAccessRules = rules.desired;
    changes.push(...rules.changes);
    removed = rules.removed;
  }
  if (config.scmDefaultAction !== 'Deny') {
    patch.scmDefaultAction = 'Deny';
    changes.push({ aspect: 'scm', field: 'scmIpSecurityRestrictionsDefaultAction', symbol: '~', before: config.scmDefaultAction, after: 'Deny' });
  }
  return { patch, changes, removed };
}
