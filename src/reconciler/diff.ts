/**
 * The diff: desired (policies) against observed, to a plan. Pure: no SDK, no logger, no clock.
 *
 * Desired state is computed per resource, merging the policies that enforce it, so a callee
 * shared by two pairs gets one write with both pairs' rules. Each aspect (subnet, caller,
 * callee rules, SCM, public access) lives in its own module under aspects/; the order of the
 * writes comes from the dependencies declared by kind (aspects/dependencies.ts).
 */
import { claimSubnetPlans, diffCaller } from './aspects/caller';
import { diffCallee } from './aspects/callee';
import { desiredFrom, isSuspended, type DiffContext } from './aspects/context';
import { link } from './aspects/dependencies';
import { diffSubnet } from './aspects/subnet';
import type { ObservedState } from './observed';
import type { Plan, PlannedPair, PolicySummary } from './plan';
import type { LockdownPolicy } from './policy/types';

export { isSuspended } from './aspects/context';
export { APP_SERVICE_DELEGATION, APP_SERVICE_DELEGATION_NAME } from './aspects/subnet';
export { APP_SERVICE_ENDPOINT } from './reachability';

export interface DiffInput {
  policies: LockdownPolicy[];
  observed: ObservedState;
  /** Instant the plan is for (suspension expiry is judged against it). */
  now: string;
}

/** Policies by the subnet, caller and callee they name: one pass. */
function index(policies: LockdownPolicy[]): Pick<DiffContext, 'bySubnet' | 'byCaller' | 'byCallee'> {
  const bySubnet = new Map<string, LockdownPolicy[]>();
  const byCaller = new Map<string, LockdownPolicy[]>();
  const byCallee = new Map<string, LockdownPolicy[]>();
  const add = (groups: Map<string, LockdownPolicy[]>, key: string, policy: LockdownPolicy) => {
    const group = groups.get(key);
    if (group) group.push(policy);
    else groups.set(key, [policy]);
  };
  for (const policy of policies) {
    add(bySubnet, policy.subnetId, policy);
    for (const caller of policy.callers) add(byCaller, caller.id, policy);
    for (const callee of policy.callees) add(byCallee, callee.id, policy);
  }
  return { bySubnet, byCaller, byCallee };
}

export function diff(input: DiffInput): Plan {
  const { policies, observed, now } = input;
  const context: DiffContext = {
    observed,
    now,
    ...index(policies),
    subnetPlans: new Map(),
    subnetBlockers: new Map(),
    callerBlockers: new Map(),
    drafts: new Map(),
    drafted: new Map(),
    conditions: [],
    unchanged: [],
  };
  context.subnetPlans = claimSubnetPlans(context);
  const desired = (named: LockdownPolicy[] | undefined) => desiredFrom(named ?? [], now);

  // Subnets first, then callers, then callees: each aspect reads what the earlier ones found.
  for (const [subnetId, named] of context.bySubnet) diffSubnet(context, subnetId, desired(named));
  for (const [callerId, named] of context.byCaller) diffCaller(context, callerId, desired(named));
  for (const [calleeId, named] of context.byCallee) diffCallee(context, calleeId, desired(named));

  return {
    actions: link(context, desired),
    conditions: context.conditions,
    policies: policies.map(summarize(now)),
    unchanged: context.unchanged,
  };
}

function summarize(now: string): (policy: LockdownPolicy) => PolicySummary {
  return (policy) => {
    const pairs: PlannedPair[] = policy.callers.flatMap((caller) =>
      policy.callees.map((callee) => ({ policy: policy.name, caller: caller.displayId, callee: callee.displayId })),
    );
    return { name: policy.name, generation: policy.generation, mode: policy.mode, suspended: isSuspended(policy, now), pairs };
  };
}
