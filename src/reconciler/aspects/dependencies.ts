/**
 * What each kind of action waits for, declared once, by kind. The order comes from this graph;
 * the safety proof (safety.ts) then checks it against the reachability model.
 *
 * - the subnet's endpoint moves every caller integrated with it onto the subnet: every callee
 *   of the subnet's policies admits the subnet first;
 * - a caller joins a subnet once the subnet is ready and its callees admit the subnet;
 * - a callee is locked once its own admit ran and every declared caller's path is in place;
 * - public access is turned on once the rules that restrict it are in place.
 */
import { dependencyGraph } from '../dependencyGraph';
import type { ActionKind, PlannedAction } from '../plan';
import type { LockdownPolicy } from '../policy/types';
import { canonicalId } from '../resourceId';
import { actionId, type DiffContext } from './context';

type Needs = (resourceId: string, context: DiffContext, desired: (policies: LockdownPolicy[] | undefined) => LockdownPolicy[]) => string[];

const calleesOf = (policies: LockdownPolicy[]) => policies.flatMap((policy) => policy.callees.map((callee) => callee.id));
const callersOf = (policies: LockdownPolicy[]) => policies.flatMap((policy) => policy.callers.map((caller) => caller.id));
const subnetsOf = (policies: LockdownPolicy[]) => policies.map((policy) => policy.subnetId);

const callerPaths: Needs = (calleeId, context, desired) => {
  const policies = desired(context.byCallee.get(calleeId));
  return [
    actionId('callee.admitCallers', calleeId),
    ...subnetsOf(policies).map((id) => actionId('subnet.enableAppServiceAccess', id)),
    ...callersOf(policies).map((id) => actionId('caller.connectToSubnet', id)),
  ];
};

const NEEDS: Record<ActionKind, Needs> = {
  'callee.admitCallers': () => [],
  'subnet.enableAppServiceAccess': (subnetId, context, desired) => calleesOf(desired(context.bySubnet.get(subnetId))).map((id) => actionId('callee.admitCallers', id)),
  'caller.connectToSubnet': (callerId, context, desired) => {
    const policies = desired(context.byCaller.get(callerId));
    return [...subnetsOf(policies).map((id) => actionId('subnet.enableAppServiceAccess', id)), ...calleesOf(policies).map((id) => actionId('callee.admitCallers', id))];
  },
  'callee.restrictAccess': callerPaths,
  'callee.enablePublicAccess': (calleeId, context, desired) => [actionId('callee.restrictAccess', calleeId), ...callerPaths(calleeId, context, desired)],
};

/** Drafts to actions: ids, resolved dependencies (only those planned), enforcement. */
export function link(context: DiffContext, desired: (policies: LockdownPolicy[] | undefined) => LockdownPolicy[]): PlannedAction[] {
  const actions: PlannedAction[] = [];
  for (const [id, draft] of context.drafts) {
    const needs = NEEDS[draft.kind](canonicalId(draft.resourceId), context, desired);
    const dependsOn = [...new Set(needs)].filter((need) => need !== id && context.drafts.has(need)).sort();
    // Every field spelled out: actions of one shape keep the later passes over them fast.
    actions.push({
      id,
      kind: draft.kind,
      verb: draft.verb,
      resourceId: draft.resourceId,
      policies: draft.policies,
      changes: draft.changes,
      dependsOn,
      serializeOn: draft.serializeOn,
      write: draft.write,
      removedRules: draft.removedRules,
      enforcement: draft.blocker ? { apply: false, reason: 'blocked', detail: draft.blocker.message } : { apply: true },
    });
  }
  return inDependencyOrder(actions);
}

/** Kahn's algorithm: each action after what it depends on, otherwise in planning order. O(actions + edges). */
export function inDependencyOrder(actions: PlannedAction[]): PlannedAction[] {
  const { waitingOn: waiting, dependents } = dependencyGraph(actions);
  const ordered: PlannedAction[] = [];
  const ready = actions.filter((action) => waiting.get(action.id) === 0);
  for (let next = 0; next < ready.length; next++) {
    const action = ready[next];
    ordered.push(action);
    for (const index of dependents.get(action.id) ?? []) {
      const dependent = actions[index];
      const left = waiting.get(dependent.id)! - 1;
      waiting.set(dependent.id, left);
      if (left === 0) ready.push(dependent);
    }
  }
  // A cycle (never produced) keeps its members in planning order at the end; apply reports them.
  if (ordered.length < actions.length) ordered.push(...actions.filter((action) => waiting.get(action.id)! > 0));
  return ordered;
}
