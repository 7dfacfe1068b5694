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
import { canonicalId } from './resourceId';

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
    const namedBy = frozenAncestor(frozen, canonicalId(action.resourceId));
    if (namedBy) {
      return { ...action, enforcement: { apply: false, reason: 'invalidPolicy', detail: `named in the invalid policy file ${namedBy}: nothing it names is written until it is fixed` } };
    }
    const unknownIn = frozen.get(EVERY_RESOURCE);
    if (unknownIn) {
      return { ...action, enforcement: { apply: false, reason: 'invalidPolicy', detail: `what the policy file ${unknownIn} names cannot be told: nothing is written until it is fixed` } };
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

/** The file that froze this resource or one it belongs to (a virtual network freezes its subnets). */
function frozenAncestor(frozen: Map<string, string>, id: string): string | undefined {
  // `/subscriptions/s/resourcegroups/g/providers/ns/type/name[/type/name...]`: drop one type/name pair at a time.
  const segments = id.split('/');
  for (let length = segments.length; length >= 9; length -= 2) {
    const file = frozen.get(segments.slice(0, length).join('/'));
    if (file) return file;
  }
  return frozen.get(id);
}
