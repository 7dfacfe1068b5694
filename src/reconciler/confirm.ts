/**
 * Confirmation: when a tick observed through an index that lags ARM (Resource Graph), every
 * policy with a write to make is observed again through ARM itself, the fresh state replaces the
 * indexed one, and the plan is made again. A write therefore depends only on ARM's answers, and a
 * resource the index showed differently is reported, never written on the index's word.
 */
import { observe } from './observe';
import type { Observation, ObservedState } from './observed';
import type { Plan, PlanCondition } from './plan';
import type { LockdownPolicy } from './policy/types';
import type { AzurePort, PortCallOptions } from './port';

export interface ConfirmInput {
  policies: LockdownPolicy[];
  observed: ObservedState;
  plan: Plan;
  /** The port that reads ARM. */
  arm: AzurePort;
  replan: (observed: ObservedState) => Plan;
  concurrency?: number;
  abortSignal?: PortCallOptions['abortSignal'];
  now?: () => Date;
}

export interface ConfirmResult {
  observed: ObservedState;
  plan: Plan;
  /** Canonical ids of the resources ARM showed differently from the index. */
  disagreements: string[];
  /** Policies observed again through ARM. */
  confirmedPolicies: number;
}

type ObservationMaps = 'subnets' | 'sites' | 'siteConfigs' | 'plans';
const MAPS: ObservationMaps[] = ['subnets', 'sites', 'siteConfigs', 'plans'];

/** JSON with sorted keys, so two observations of one resource compare by content. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    field && typeof field === 'object' && !Array.isArray(field) ? Object.fromEntries(Object.entries(field as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : field,
  );
}

/** What the diff compares: the status and the normalized value (a subnet's raw body is only what a write starts from). */
function comparable(observation: Observation<unknown> | undefined): string {
  if (!observation) return 'absent';
  if (observation.status !== 'found') return observation.status;
  const { body: _body, ...value } = observation.value as Record<string, unknown>;
  return canonicalJson(value);
}

function staleCondition(resourceId: string, policies: LockdownPolicy[]): PlanCondition[] {
  const naming = policies.filter((policy) => policy.subnetId === resourceId || [...policy.callers, ...policy.callees].some((site) => site.id === resourceId));
  return (naming.length > 0 ? naming : policies.slice(0, 1)).map((policy) => ({
    severity: 'warning',
    reason: 'ObservationLagged',
    message: `Resource Graph showed ${resourceId} differently from ARM (its index lags writes); ARM's state was used`,
    policy: policy.name,
    resourceId,
  }));
}

export async function confirmWithArm(input: ConfirmInput): Promise<ConfirmResult> {
  const confirmed = new Set<string>();
  const disagreements = new Set<string>();
  const conditions: PlanCondition[] = [];
  let observed = input.observed;
  let plan = input.plan;
  // Each round confirms at least one more policy, so this ends; usually after one round.
  for (;;) {
    const writing = new Set(plan.actions.filter((action) => action.enforcement.apply).flatMap((action) => action.policies));
    const batch = input.policies.filter((policy) => writing.has(policy.name) && !confirmed.has(policy.name));
    if (batch.length === 0) break;
    const fresh = await observe(input.arm, batch, { concurrency: input.concurrency, abortSignal: input.abortSignal, now: input.now });
    const merged: ObservedState = { ...observed, subnets: new Map(observed.subnets), sites: new Map(observed.sites), siteConfigs: new Map(observed.siteConfigs), plans: new Map(observed.plans), observedAt: fresh.observedAt };
    for (const map of MAPS) {
      for (const [id, observation] of fresh[map] as Map<string, Observation<unknown>>) {
        const indexed = (observed[map] as Map<string, Observation<unknown>>).get(id);
        if (indexed && !disagreements.has(id) && comparable(indexed) !== comparable(observation)) {
          disagreements.add(id);
          conditions.push(...staleCondition(id, batch));
        }
        (merged[map] as Map<string, Observation<unknown>>).set(id, observation);
      }
    }
    for (const policy of batch) confirmed.add(policy.name);
    observed = merged;
    plan = input.replan(observed);
  }
  return { observed, plan: conditions.length > 0 ? { ...plan, conditions: [...plan.conditions, ...conditions] } : plan, disagreements: [...disagreements], confirmedPolicies: confirmed.size };
}
