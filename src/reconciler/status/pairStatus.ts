/**
 * Per pair, Kubernetes-style conditions: Ready, Drifted, Degraded. `lastTransitionTime`
 * moves only when a condition's status flips. Computing is pure; writing is ETag-guarded and
 * never moves a pair's status back to an older tick.
 */
import type { Logger } from '../logger';
import type { PlanCondition } from '../plan';
import { canonicalId, shortName } from '../resourceId';
import type { TickReport } from '../tick';
import { pairKey } from '../alerts/pairs';
import type { AlertStore, Stored } from '../state/store';
import type { DriftEvent } from '../alerts/types';
import type { Condition, ConditionType, PairStatus } from './types';

const CONDITION_TYPES: ConditionType[] = ['Ready', 'Drifted', 'Degraded'];

function notRepairedReason(events: DriftEvent[]): string {
  if (events.some((event) => event.action === 'failed')) return 'RepairFailed';
  if (events.some((event) => event.action === 'skipped')) return 'RepairSkipped';
  const reason = events[0]?.reason ?? '';
  if (reason.startsWith('audit')) return 'AuditMode';
  if (reason.startsWith('suspended')) return 'Suspended';
  if (reason.startsWith('dryRun')) return 'DryRun';
  return 'NotRepaired';
}

const describe = (events: DriftEvent[]) =>
  [...new Set(events.map((event) => `${shortName(event.resourceId)} ${event.field}`))].slice(0, 5).join('; ') + (events.length > 5 ? '; …' : '');

/** Pure: the status of every pair of every loaded policy after this tick. */
export function computePairStatus(report: TickReport, events: DriftEvent[], previous: PairStatus[] = []): PairStatus[] {
  const at = report.finishedAt;
  const before = new Map(previous.map((status) => [`${status.policy}|${pairKey(status)}`, status]));
  const statuses: PairStatus[] = [];
  for (const policy of report.policies.policies) {
    for (const caller of policy.callers) {
      for (const callee of policy.callees) {
        const pair = { policy: policy.name, caller: caller.displayId, callee: callee.displayId };
        const key = pairKey(pair);
        const resources = new Set([policy.subnetId, caller.id, callee.id]);
        const pairEvents = events.filter((event) => event.policy === policy.name && event.pairs.some((candidate) => pairKey(candidate) === key));
        const outstanding = pairEvents.filter((event) => event.action !== 'repaired');
        const failed = pairEvents.filter((event) => event.action === 'failed');
        const problems: PlanCondition[] = report.plan.conditions.filter(
          (condition) => condition.policy === policy.name && condition.severity === 'error' && resources.has(canonicalId(condition.resourceId)),
        );

        const drifted: Omit<Condition, 'lastTransitionTime'> =
          outstanding.length > 0
            ? { type: 'Drifted', status: 'True', reason: notRepairedReason(outstanding), message: `${outstanding.length} difference(s) not repaired: ${describe(outstanding)}` }
            : pairEvents.length > 0
              ? { type: 'Drifted', status: 'False', reason: 'Repaired', message: `${pairEvents.length} difference(s) repaired: ${describe(pairEvents)}` }
              : { type: 'Drifted', status: 'False', reason: 'InSync', message: 'matches the policy' };
        const degraded: Omit<Condition, 'lastTransitionTime'> =
          problems.length > 0
            ? { type: 'Degraded', status: 'True', reason: problems[0].reason, message: problems.map((problem) => problem.message).join('; ') }
            : failed.length > 0
              ? { type: 'Degraded', status: 'True', reason: 'RepairFailed', message: [...new Set(failed.map((event) => event.reason ?? 'failed'))].join('; ') }
              : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'every resource was read and every needed write succeeded' };
        const ready: Omit<Condition, 'lastTransitionTime'> =
          drifted.status === 'False' && degraded.status === 'False'
            ? { type: 'Ready', status: 'True', reason: 'LockedDown', message: `${shortName(caller.displayId)} reaches ${shortName(callee.displayId)} only through subnet ${shortName(policy.subnetDisplayId)}` }
            : { type: 'Ready', status: 'False', reason: degraded.status === 'True' ? degraded.reason : drifted.reason, message: degraded.status === 'True' ? degraded.message : drifted.message };

        const old = before.get(`${policy.name}|${key}`);
        const conditions = [ready, drifted, degraded].map((condition): Condition => {
          const last = old?.conditions.find((candidate) => candidate.type === condition.type);
          return { ...condition, lastTransitionTime: last && last.status === condition.status ? last.lastTransitionTime : at };
        });
        statuses.push({ ...pair, conditions, lastReconcileTime: at, observedGeneration: policy.generation, ...(report.policyRevision ? { policyRevision: report.policyRevision } : {}), tickId: report.tickId });
      }
    }
  }
  return statuses;
}

/** Writes each pair's status with If-Match; on a conflict, reads again and recomputes (a few times). */
export async function updatePairStatus(store: AlertStore, report: TickReport, events: DriftEvent[], logger: Logger): Promise<PairStatus[]> {
  const written: PairStatus[] = [];
  let pending = computePairStatus(report, events).map((status) => `${status.policy}|${pairKey(status)}`);
  for (let attempt = 0; attempt < 4 && pending.length > 0; attempt++) {
    const stored = await store.listStatus();
    const byKey = new Map<string, Stored<PairStatus>>(stored.map((row) => [`${row.value.policy}|${pairKey(row.value)}`, row]));
    const next = computePairStatus(report, events, stored.map((row) => row.value));
    const retry: string[] = [];
    for (const status of next) {
      const key = `${status.policy}|${pairKey(status)}`;
      if (!pending.includes(key)) continue;
      const row = byKey.get(key);
      if (row && Date.parse(row.value.lastReconcileTime) > Date.parse(status.lastReconcileTime)) continue; // a newer tick already wrote it
      const result = await store.writeStatus(status, row?.etag);
      if (result.ok) written.push(status);
      else retry.push(key);
    }
    pending = retry;
  }
  for (const status of written) {
    const ready = status.conditions.find((condition) => condition.type === 'Ready')!;
    logger.debug({ event: 'lockdown.pairStatus', policy: status.policy, caller: status.caller, callee: status.callee, ready: ready.status, reason: ready.reason }, `pair status ${ready.status}`);
  }
  return written;
}

export function conditionOf(status: PairStatus, type: ConditionType): Condition | undefined {
  return status.conditions.find((condition) => condition.type === type);
}

export { CONDITION_TYPES };
