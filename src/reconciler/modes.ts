/**
 * Modes filter the plan; apply has no modes. An action is written only when the policies
 * behind it allow it:
 * - a resource named in an invalid policy file is never written (fail closed on typos);
 * - a global dry run writes nothing;
 * - break-glass wins: if any policy behind an action is suspended, it is reported only;
 * - otherwise one enforcing policy is enough (an audit policy sharing the resource does not
 *   stop another policy from enforcing what it needs); all-audit actions are reported only.
 */
import { isSuspended } from './diff';
import type { Plan, PlannedAction } from './plan';
import { EVERY_RESOURCE, type FrozenResource, type LockdownPolicy } from './policy/types';
import { canonicalId, appOfSlot } from './resourceId';

export interface ModeOptions {
  now: string;
  dryRun?: boolean;
  /** Resources named by an invalid policy file: never written until it is fixed. */
  frozenResources?: FrozenResource[];
}

export function applyModes(plan: Plan, policies: LockdownPolicy[], options: ModeOptions): Plan {
  const byName = new Map(policies.map((policy) => [policy.name, policy]));
  const frozen = new Map((options.frozenResources ?? []).map((resource) => [resource.id, resource.file]));
  const filter = (action: PlannedAction): PlannedAction => {
    if (!action.enforcement.apply) return action;
    // a slot is frozen with its app: an invalid file naming the app may mean its slots too
    const frozenBy = frozen.get(canonicalId(action.resourceId)) ?? frozen.get(appOfSlot(action.resourceId) ?? '') ?? frozen.get(EVERY_RESOURCE);
    if (frozenBy) {
      return { ...action, enforcement: { apply: false, reason: 'invalidPolicy', detail: `named in the invalid policy file ${frozenBy}: nothing it names is written until it is fixed` } };
    }
    if (options.dryRun) return { ...action, enforcement: { apply: false, reason: 'dryRun', detail: 'dry run: nothing is written' } };
    const behind = action.policies.map((name) => byName.get(name)).filter((policy): policy is LockdownPolicy => policy !== undefined);
    const suspended = behind.filter((policy) => isSuspended(policy, options.now));
    if (suspended.length > 0) {
      const detail = suspended
        .map((policy) => `policy ${policy.name} is suspended${policy.suspend?.until ? ` until ${policy.suspend.until}` : ''}${policy.suspend?.reason ? ` (${policy.suspend.reason})` : ''}`)
        .join('; ');
      return { ...action, enforcement: { apply: false, reason: 'suspended', detail } };
    }
    if (behind.length > 0 && behind.every((policy) => policy.mode === 'audit')) {
      return { ...action, enforcement: { apply: false, reason: 'audit', detail: `audit mode (${behind.map((p) => p.name).join(', ')}): reported, not repaired` } };
    }
    return action;
  };
  return { ...plan, actions: plan.actions.map(filter) };
}
