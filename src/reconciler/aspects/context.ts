/**
 * What every aspect of the diff reads (policies indexed by resource, the observation) and
 * writes (action drafts, conditions, unchanged resources). Built once per diff.
 */
import type { Observation, ObservedState } from '../observed';
import type { ActionKind, PlanCondition, PlannedAction } from '../plan';
import type { LockdownPolicy } from '../policy/types';
import { canonicalId, shortName } from '../resourceId';

export interface Blocker {
  reason: string;
  message: string;
}

/** An action before its dependencies are resolved: it names the kinds it waits for. */
export type ActionDraft = Omit<PlannedAction, 'id' | 'dependsOn' | 'enforcement'> & { blocker?: Blocker };

export const actionId = (kind: ActionKind, resourceId: string): string => `${kind}:${resourceId}`;

export interface DiffContext {
  observed: ObservedState;
  now: string;
  /** Every policy naming the resource; `enforcing*` keeps the ones whose desired state is written. */
  bySubnet: Map<string, LockdownPolicy[]>;
  byCaller: Map<string, LockdownPolicy[]>;
  byCallee: Map<string, LockdownPolicy[]>;
  /** Subnet -> the App Service plan that may integrate with it (ARM allows one). */
  subnetPlans: Map<string, string>;
  subnetBlockers: Map<string, Blocker>;
  callerBlockers: Map<string, Blocker>;
  drafts: Map<string, ActionDraft>;
  /** The canonical ids each kind of draft is planned for. */
  drafted: Map<ActionKind, Set<string>>;
  conditions: PlanCondition[];
  unchanged: string[];
}

const byId = new WeakMap<readonly { id: string }[], Map<string, { id: string }>>();

/** The entry of a policy's callers or callees with this id: O(1) after one pass over the list (lists are never changed once loaded). */
export function specOf<T extends { id: string }>(list: readonly T[], id: string): T | undefined {
  if (list.length <= 8) return list.find((entry) => entry.id === id);
  let entries = byId.get(list);
  if (!entries) {
    entries = new Map();
    for (const entry of list) if (!entries.has(entry.id)) entries.set(entry.id, entry);
    byId.set(list, entries);
  }
  return entries.get(id) as T | undefined;
}

export function names(policies: LockdownPolicy[]): string[] {
  if (policies.length === 1) return [policies[0].name];
  return [...new Set(policies.map((policy) => policy.name))].sort();
}

export function isSuspended(policy: LockdownPolicy, now: string): boolean {
  if (!policy.suspend) return false;
  return policy.suspend.until === undefined || Date.parse(policy.suspend.until) > Date.parse(now);
}

export function isEnforcing(policy: LockdownPolicy, now: string): boolean {
  return policy.mode === 'enforce' && !isSuspended(policy, now);
}

/**
 * A shared resource's desired state comes from the policies that enforce it; audit and
 * suspended policies write nothing of their own. With no enforcing policy, the others describe
 * what would be written (reported only).
 */
export function desiredFrom(policies: LockdownPolicy[], now: string): LockdownPolicy[] {
  const enforcing = policies.filter((policy) => isEnforcing(policy, now));
  return enforcing.length > 0 ? enforcing : policies;
}

export function addCondition(context: DiffContext, severity: PlanCondition['severity'], blocker: Blocker, policies: LockdownPolicy[], resourceId: string): void {
  for (const policy of policies) context.conditions.push({ severity, reason: blocker.reason, message: blocker.message, policy: policy.name, resourceId });
}

export function addDraft(context: DiffContext, draft: ActionDraft): void {
  const resourceId = canonicalId(draft.resourceId);
  context.drafts.set(actionId(draft.kind, resourceId), draft);
  const drafted = context.drafted.get(draft.kind);
  if (drafted) drafted.add(resourceId);
  else context.drafted.set(draft.kind, new Set([resourceId]));
}

/** Is a write of this kind planned for the resource (canonical id)? */
export function hasDraft(context: DiffContext, kind: ActionKind, resourceId: string): boolean {
  return context.drafted.get(kind)?.has(resourceId) ?? false;
}

export function unavailable(what: string, id: string, observation: Observation<unknown> | undefined): Blocker {
  if (!observation || observation.status === 'found') return { reason: `${what}Unreadable`, message: `${what.toLowerCase()} ${shortName(id)} was not read` };
  if (observation.status === 'missing') return { reason: `${what}NotFound`, message: `${what.toLowerCase()} ${shortName(id)} does not exist` };
  return { reason: `${what}Unreadable`, message: `${what.toLowerCase()} ${shortName(id)} could not be read: ${observation.error.code}: ${observation.error.message}` };
}
