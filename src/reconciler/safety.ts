/**
 * The safety proof of a plan, against the reachability model. Every write is a transition of
 * the modelled state; apply runs a write only after everything it depends on succeeded, so the
 * states a tick can leave behind are exactly the dependency-closed sets of the writes it may
 * run (any write may fail; what depends on it is skipped). For every declared pair (enforced,
 * audited or suspended) whose path is open now, or cannot be read, every such state must keep
 * it: still admitted, or, when it could not be read, untouched.
 *
 * Where a state breaks a pair, the latest write of it is not made (enforcement `unsafe`; what
 * depends on it is skipped by apply) and the policies behind it get an error condition naming
 * the pair, until no state breaks any pair. Cost: per pair, the few writes that touch its
 * caller, callee and subnets.
 */
import { ruleKey } from './accessRules';
import { isEnforcing } from './aspects/context';
import type { ObservedState } from './observed';
import type { GuardedPair, Plan, PlanCondition, PlannedAction } from './plan';
import type { LockdownPolicy } from './policy/types';
import { applyWrite, networkOf, reachable, sameSource, sourceOf, type CalleeNode, type CallerNode, type NetworkState, type SiteAccess, type SubnetNode } from './reachability';
import { canonicalId, shortName } from './resourceId';

export interface SafetyInput {
  policies: LockdownPolicy[];
  observed: ObservedState;
  now: string;
}

interface Pair {
  callerId: string;
  calleeId: string;
  callerDisplayId: string;
  calleeDisplayId: string;
  /** Policies declaring it, and whether one of them enforces it. */
  policies: string[];
  enforced: boolean;
}

/** Beyond this many writes touching one pair, only the failure of each single write is explored. */
const EXHAUSTIVE_LIMIT = 12;

export function proveSafe(plan: Plan, input: SafetyInput): Plan {
  // Nothing will be written (a steady tick, or every write held by its mode): nothing to prove.
  if (!plan.actions.some((action) => action.enforcement.apply)) return plan;
  const pairs = declaredPairs(input.policies, input.now);
  const network = networkOf(
    input.observed,
    pairs.map((pair) => pair.callerId),
    pairs.map((pair) => pair.calleeId),
  );
  const position = new Map(plan.actions.map((action, index) => [action.id, index]));
  const byResource = new Map<string, PlannedAction[]>();
  for (const action of plan.actions) {
    const key = canonicalId(action.resourceId);
    const list = byResource.get(key);
    if (list) list.push(action);
    else byResource.set(key, [action]);
  }
  const withheld = new Map<string, { reason: string; message: string }>();
  const runnable = runnableSet(plan.actions, withheld);
  const dependents = new Map<string, string[]>();
  for (const action of plan.actions) {
    for (const id of action.dependsOn) {
      const list = dependents.get(id);
      if (list) list.push(action.id);
      else dependents.set(id, [action.id]);
    }
  }
  const conditions: PlanCondition[] = [];
  /** Actions that depend on a withheld one: they wait with it. */
  const waiting = new Map<string, string>();

  const subnetWrites = plan.actions.filter((action) => action.write.operation === 'putSubnet');
  const owed: { pair: Pair; touches: PlannedAction[] }[] = [];
  for (const pair of pairs) {
    const touches = touchingActions(pair, network, byResource, subnetWrites);
    if (!touches.some((action) => runnable.has(action.id))) continue;
    const before = reachable(network, pair.callerId, pair.calleeId);
    if (before === false) continue;
    owed.push({ pair, touches });
    touches.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
    for (;;) {
      const touching = touches.filter((action) => runnable.has(action.id));
      const broken = firstBrokenState(pair, network, touching, before);
      if (!broken) break;
      const victim = broken[broken.length - 1];
      const finding = describe(pair, victim, before);
      withheld.set(victim.id, finding);
      for (const id of dependentsOf(victim.id, dependents)) {
        runnable.delete(id);
        if (id !== victim.id && !withheld.has(id)) waiting.set(id, victim.id);
      }
      conditions.push(...conditionsFor(victim, finding));
    }
  }
  const guards = pathGuards(owed, network, runnable);
  if (withheld.size === 0 && guards.size === 0) return plan;
  const actions = plan.actions.map((action): PlannedAction => {
    const finding = withheld.get(action.id);
    if (finding) return { ...action, enforcement: { apply: false, reason: 'unsafe', detail: finding.message } };
    const blockedBy = waiting.get(action.id);
    if (blockedBy && action.enforcement.apply) return { ...action, enforcement: { apply: false, reason: 'unsafe', detail: `waits for ${blockedBy}, which is not written: ${withheld.get(blockedBy)!.message}` } };
    const pathGuard = guards.get(action.id);
    return pathGuard ? { ...action, pathGuard } : action;
  });
  return { ...plan, actions, conditions: [...plan.conditions, ...conditions] };
}

/** Writes that can move a caller's calls or narrow what a callee admits; the others only widen. */
const NARROWING: ReadonlySet<PlannedAction['kind']> = new Set(['callee.restrictAccess', 'caller.connectToSubnet', 'subnet.enableAppServiceAccess']);

/**
 * For every write that will run and could close an owed pair's path: the pairs it could close.
 * The proof holds on the state observed; a portal edit during the tick (an endpoint removed, an
 * integration dropped) changes where calls come from, so apply checks these pairs again on what
 * is there right before the write. A subnet write moves only the callers integrated with it now.
 */
function pathGuards(owed: { pair: Pair; touches: PlannedAction[] }[], network: NetworkState, runnable: Set<string>): Map<string, GuardedPair[]> {
  const guards = new Map<string, GuardedPair[]>();
  for (const { pair, touches } of owed) {
    const subnetId = network.callers.get(pair.callerId)?.integrationSubnetId;
    for (const action of touches) {
      if (!runnable.has(action.id) || !NARROWING.has(action.kind)) continue;
      const resource = canonicalId(action.resourceId);
      if (resource !== pair.callerId && resource !== pair.calleeId && resource !== subnetId) continue;
      const list = guards.get(action.id) ?? [];
      list.push({ callerId: pair.callerDisplayId, calleeId: pair.calleeDisplayId });
      guards.set(action.id, list);
    }
  }
  return guards;
}

function declaredPairs(policies: LockdownPolicy[], now: string): Pair[] {
  const pairs = new Map<string, Pair>();
  for (const policy of policies) {
    const enforcing = isEnforcing(policy, now);
    for (const caller of policy.callers) {
      for (const callee of policy.callees) {
        const key = `${caller.id}|${callee.id}`;
        const pair = pairs.get(key) ?? { callerId: caller.id, calleeId: callee.id, callerDisplayId: caller.displayId, calleeDisplayId: callee.displayId, policies: [], enforced: false };
        pair.policies.push(policy.name);
        pair.enforced ||= enforcing;
        pairs.set(key, pair);
      }
    }
  }
  return [...pairs.values()];
}

/** Actions that will run if their dependencies succeed: applied, and every dependency too. */
function runnableSet(actions: PlannedAction[], withheld: Map<string, unknown>): Set<string> {
  const planned = new Set(actions.map((action) => action.id));
  const runnable = new Set<string>();
  for (const action of actions) {
    if (!action.enforcement.apply || withheld.has(action.id)) continue;
    if (action.dependsOn.every((id) => !planned.has(id) || runnable.has(id))) runnable.add(action.id);
  }
  return runnable;
}

/** The action and everything that waits for it, directly or not. */
function dependentsOf(id: string, dependents: Map<string, string[]>): Set<string> {
  const gone = new Set([id]);
  const queue = [id];
  for (let next = 0; next < queue.length; next++) {
    for (const dependent of dependents.get(queue[next]) ?? []) {
      if (gone.has(dependent)) continue;
      gone.add(dependent);
      queue.push(dependent);
    }
  }
  return gone;
}

/**
 * Writes on the pair's caller, its callee, and the subnets its calls may come from: every
 * subnet written, when the caller could not be read (its integration is unknown).
 */
function touchingActions(pair: Pair, network: NetworkState, byResource: Map<string, PlannedAction[]>, subnetWrites: PlannedAction[]): PlannedAction[] {
  const own = pair.callerId === pair.calleeId ? (byResource.get(pair.callerId) ?? []) : [...(byResource.get(pair.callerId) ?? []), ...(byResource.get(pair.calleeId) ?? [])];
  if (!network.callers.has(pair.callerId)) return [...new Set([...own, ...subnetWrites])];
  const subnets = new Set<string>();
  const current = network.callers.get(pair.callerId)?.integrationSubnetId;
  if (current) subnets.add(current);
  for (const action of own) if (action.write.operation === 'connectSiteToSubnet') subnets.add(canonicalId(action.write.subnetId));
  return [...new Set([...own, ...[...subnets].flatMap((subnetId) => byResource.get(subnetId) ?? [])])];
}

/** The writes of the first dependency-closed set whose end state breaks the pair, in plan order. */
function firstBrokenState(pair: Pair, network: NetworkState, touching: PlannedAction[], before: boolean | undefined): PlannedAction[] | undefined {
  const start = localState(pair, network, touching);
  const startSource = sourceOf(start, pair.callerId);
  const startCallee = start.callees.get(pair.calleeId);
  const breaks = (chosen: PlannedAction[]): boolean => {
    const end = chosen.reduce(transition, start);
    if (reachable(end, pair.callerId, pair.calleeId) === true) return false;
    if (before === true) return true;
    // A caller that could not be read may be integrated with any subnet written.
    if (!start.callers.has(pair.callerId) && chosen.some((action) => action.write.operation === 'putSubnet')) return true;
    // Could not be read: safe only while the calls come from where they came from and the
    // callee admits at least what it admitted.
    return !(sameSource(sourceOf(end, pair.callerId), startSource) && onlyWidens(startCallee, end.callees.get(pair.calleeId)));
  };
  return closedSets(touching).find((chosen) => chosen.length > 0 && breaks(chosen));
}

/** Every rule kept, no default turned to Deny, public access not turned off. */
function onlyWidens(before: CalleeNode | undefined, after: CalleeNode | undefined): boolean {
  if (!before || !after) return before === after;
  const keeps = (from: SiteAccess, to: SiteAccess) => {
    const kept = new Set(to.rules.map(ruleKey));
    return from.rules.every((rule) => kept.has(ruleKey(rule))) && !(from.defaultAction === 'Allow' && to.defaultAction === 'Deny');
  };
  return keeps(before.main, after.main) && keeps(before.scm ?? before.main, after.scm ?? after.main) && (before.publicAccessDisabled || !after.publicAccessDisabled);
}

/** Every subset of `actions` closed under their dependencies among `actions`, in plan order. */
function closedSets(actions: PlannedAction[]): PlannedAction[][] {
  const ids = new Set(actions.map((action) => action.id));
  const needs = actions.map((action) => action.dependsOn.filter((id) => ids.has(id)));
  if (actions.length > EXHAUSTIVE_LIMIT) {
    // Every prefix, and every prefix with one write failed (its dependents skipped).
    const sets: PlannedAction[][] = [];
    for (let end = 1; end <= actions.length; end++) {
      sets.push(actions.slice(0, end));
      const failed = actions[end - 1].id;
      const skipped = new Set([failed]);
      for (let index = end; index < actions.length; index++) if (needs[index].some((id) => skipped.has(id))) skipped.add(actions[index].id);
      sets.push(actions.filter((action) => !skipped.has(action.id)));
    }
    return sets;
  }
  // Subsets as bit masks: a set is closed when every member's dependencies are members too.
  const needMasks = needs.map((list) => list.reduce((mask, id) => mask | (1 << actions.findIndex((action) => action.id === id)), 0));
  const sets: PlannedAction[][] = [];
  for (let mask = 1; mask < 1 << actions.length; mask++) {
    if (needMasks.some((need, index) => (mask & (1 << index)) !== 0 && (mask & need) !== need)) continue;
    sets.push(actions.filter((_, index) => (mask & (1 << index)) !== 0));
  }
  return sets;
}

/** Only the nodes one pair needs, so a transition copies a handful of objects. */
function localState(pair: Pair, network: NetworkState, touching: PlannedAction[]): NetworkState {
  const subnets = new Map<string, SubnetNode>();
  const addSubnet = (id: string | undefined) => {
    const node = id ? network.subnets.get(id) : undefined;
    if (node) subnets.set(node.id, node);
  };
  addSubnet(network.callers.get(pair.callerId)?.integrationSubnetId);
  for (const action of touching) {
    if (action.write.operation === 'connectSiteToSubnet') addSubnet(canonicalId(action.write.subnetId));
    if (action.write.operation === 'putSubnet') addSubnet(canonicalId(action.write.subnetId));
  }
  const callers = new Map<string, CallerNode>();
  const caller = network.callers.get(pair.callerId);
  if (caller) callers.set(caller.id, caller);
  const callees = new Map<string, CalleeNode>();
  const callee = network.callees.get(pair.calleeId);
  if (callee) callees.set(callee.id, callee);
  return { subnets, callers, callees };
}

/** The modelled state after one successful write. Unread resources stay unread. */
function transition(state: NetworkState, action: PlannedAction): NetworkState {
  return applyWrite(state, action.write);
}

function describe(pair: Pair, victim: PlannedAction, before: boolean | undefined): { reason: string; message: string } {
  const write = `${victim.kind} on ${shortName(victim.resourceId)}`;
  const path = `caller ${shortName(pair.callerDisplayId)} → callee ${shortName(pair.calleeDisplayId)} (${pair.policies.join(', ')})`;
  if (before === undefined) {
    return {
      reason: 'PathUnprovable',
      message: `${write}: not written; whether ${path} stays open cannot be shown while one of its ends cannot be read`,
    };
  }
  if (!pair.enforced) {
    return {
      reason: 'AuditedPairWouldBeCutOff',
      message: `${write}: waits; it could cut off ${path}, which is open now and only audited or suspended`,
    };
  }
  return { reason: 'WouldCutOff', message: `${write}: not written; it could cut off ${path}, which is open now` };
}

function conditionsFor(victim: PlannedAction, finding: { reason: string; message: string }): PlanCondition[] {
  return victim.policies.map((policy) => ({ severity: 'error', reason: finding.reason, message: finding.message, policy, resourceId: victim.resourceId }));
}
