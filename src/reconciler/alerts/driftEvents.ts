/**
 * Drift events: one per detected difference, from a tick report. Pure: no SDK, no clock.
 *
 * A planned action can carry several changes and serve several policies; each (policy,
 * change) is one event, so an owner hears about their policy in their words.
 */
import { succeeded, type ActionOutcome } from '../apply';
import type { PlannedAction } from '../plan';
import type { LockdownPolicy } from '../policy/types';
import { canonicalId, appOfSlot } from '../resourceId';
import type { TickReport } from '../tick';
import { pairKey } from './pairs';
import type { DriftAction, DriftEvent, PairRef } from './types';

/** The pairs of a policy that a resource serves: every pair for the subnet, else by caller or callee. */
export function pairsTouching(policy: LockdownPolicy, resourceId: string): PairRef[] {
  const id = canonicalId(resourceId);
  const all = policy.callers.flatMap((caller) => policy.callees.map((callee) => ({ policy: policy.name, caller: caller.displayId, callee: callee.displayId, callerId: caller.id, calleeId: callee.id })));
  const touching = id === policy.subnetId ? all : all.filter((pair) => pair.callerId === id || pair.calleeId === id);
  return touching.map(({ policy: name, caller, callee }) => ({ policy: name, caller, callee }));
}

export function driftKey(policy: string, pair: PairRef | undefined, resourceId: string, aspect: string, field: string): string {
  return [policy, pair ? pairKey(pair) : '*', canonicalId(resourceId), aspect, field].join('|');
}

function whatWasDone(action: PlannedAction, outcome: ActionOutcome | undefined): { action: DriftAction; reason?: string } {
  if (!action.enforcement.apply) {
    const reason = `${action.enforcement.reason}: ${action.enforcement.detail}`;
    return action.enforcement.reason === 'blocked' ? { action: 'skipped', reason } : { action: 'reportedOnly', reason };
  }
  if (!outcome) return { action: 'reportedOnly', reason: 'plan only: apply did not run' };
  switch (outcome.outcome) {
    case 'created':
    case 'updated':
    case 'deleted':
      return { action: 'repaired' };
    case 'failed':
      return { action: 'failed', reason: outcome.reason };
    case 'skipped':
      return { action: 'skipped', reason: outcome.reason };
  }
}

const present = (value: unknown) => (value === undefined ? null : value);

export interface DriftEventsOptions {
  /** When the state was observed; default the tick's observedAt, else its start. */
  observedAt?: string;
}

export function driftEvents(report: TickReport, options: DriftEventsOptions = {}): DriftEvent[] {
  const detectedAt = options.observedAt ?? report.observedAt ?? report.startedAt;
  const policies = new Map(report.policies.policies.map((policy) => [policy.name, policy]));
  const outcomes = new Map((report.apply?.outcomes ?? []).map((outcome) => [outcome.actionId, outcome]));
  const events: DriftEvent[] = [];
  for (const action of report.plan.actions) {
    const done = whatWasDone(action, outcomes.get(action.id));
    for (const policyName of action.policies) {
      const policy = policies.get(policyName);
      const pairs = policy ? pairsTouching(policy, action.resourceId) : [];
      const pair = pairs.length === 1 ? pairs[0] : undefined;
      for (const change of action.changes) {
        events.push({
          key: driftKey(policyName, pair, action.resourceId, change.aspect, change.field),
          policy: policyName,
          ...(pair ? { pair } : {}),
          pairs,
          resourceId: action.resourceId,
          aspect: change.aspect,
          field: change.field,
          symbol: change.symbol,
          expected: change.symbol === '-' ? null : present(change.after),
          actual: change.symbol === '+' ? null : present(change.before),
          action: done.action,
          ...(done.reason ? { reason: done.reason } : {}),
          detectedAt,
          tickId: report.tickId,
          ...(report.policyRevision ? { policyRevision: report.policyRevision } : {}),
        });
      }
    }
  }
  return events;
}

/**
 * Resources this tick saw and judged (in sync, or with planned changes): only for these can
 * a missing event mean "the drift is gone". An unreadable resource is not among them.
 */
export function judgedResources(report: TickReport): Pick<ReadonlySet<string>, 'has'> {
  const seen = new Set([...report.plan.unchanged, ...report.plan.actions.map((action) => action.resourceId)].map(canonicalId));
  // A slot missing from its app's list, read this tick, is judged too: it is gone.
  const deletedSlot = (id: string) => {
    const app = appOfSlot(id);
    const listed = app ? report.listedSlots?.get(app) : undefined;
    return listed !== undefined && !listed.includes(id);
  };
  return { has: (id) => seen.has(id) || deletedSlot(id) };
}

/** Resources found matching every policy that mentions them at the end of the tick, with the instant. */
export function inSyncResources(report: TickReport): Map<string, string> {
  const observedAt = report.observedAt ?? report.startedAt;
  const inSync = new Map<string, string>();
  for (const id of report.plan.unchanged) inSync.set(canonicalId(id), observedAt);
  const outcomes = new Map((report.apply?.outcomes ?? []).map((outcome) => [outcome.actionId, outcome]));
  const byResource = new Map<string, PlannedAction[]>();
  for (const action of report.plan.actions) byResource.set(canonicalId(action.resourceId), [...(byResource.get(canonicalId(action.resourceId)) ?? []), action]);
  for (const [id, actions] of byResource) {
    const repaired = actions.every((action) => succeeded(outcomes.get(action.id)?.outcome));
    if (repaired) inSync.set(id, report.finishedAt);
  }
  return inSync;
}
