/**
 * Apply: run the plan's writes in dependency order. Reads nothing but the plan, except right
 * before a write that carries a path guard: then what the guarded paths depend on (pathGuard.ts).
 * - an action runs only after everything it depends on succeeded; otherwise it is skipped
 *   with the reason;
 * - writes sharing `serializeOn` (one VNet) never overlap;
 * - retryable ARM errors are retried a few times with backoff; others fail the action only;
 * - past the deadline no new action starts: the rest is reported pending;
 * - each write has a correlation id of its own, shared with its guard's reads and its retries.
 */
import { randomUUID } from 'node:crypto';
import { toArmError, type ArmError } from './armError';
import { delay } from './concurrency';
import { dependencyGraph } from './dependencyGraph';
import { confirmPaths } from './pathGuard';
import { ReadyQueue } from './readyQueue';
import type { PlannedAction, Plan, WriteRequest } from './plan';
import type { AzurePort, PortCallOptions } from './port';

/** What happened to one planned action. Resources with nothing to do are `plan.unchanged`. */
export type Outcome = 'created' | 'updated' | 'deleted' | 'failed' | 'skipped';

export function succeeded(outcome: Outcome | undefined): boolean {
  return outcome === 'created' || outcome === 'updated' || outcome === 'deleted';
}

export interface ActionOutcome {
  actionId: string;
  kind: PlannedAction['kind'];
  resourceId: string;
  policies: string[];
  outcome: Outcome;
  /** Why it was skipped or failed. */
  reason?: string;
  error?: { code: string; message: string; statusCode?: number; retry: ArmError['retry'] };
  attempts: number;
  /** The x-ms-correlation-request-id of the write (and its guard's reads): how to find it in the Activity Log. */
  correlationId?: string;
}

export interface ApplyReport {
  outcomes: ActionOutcome[];
  /** Actions not started because the time budget ran out. */
  pending: string[];
}

export interface ApplyOptions extends PortCallOptions {
  /** Writes in flight at once (different VNets / sites). */
  concurrency?: number;
  /** Attempts for a retryable error, the first included. */
  maxAttempts?: number;
  retryDelayInMs?: number;
  /** Epoch ms after which no new action starts. */
  deadlineInMs?: number;
  now?: () => number;
  onOutcome?: (outcome: ActionOutcome) => void;
}

const OUTCOME_OF_VERB: Record<PlannedAction['verb'], Outcome> = { create: 'created', update: 'updated', delete: 'deleted' };

function perform(port: AzurePort, write: WriteRequest, options: PortCallOptions): Promise<void> {
  switch (write.operation) {
    case 'putSubnet':
      return port.putSubnet(write.subnetId, write.body, { ...options, ifMatch: write.ifMatch });
    case 'connectSiteToSubnet':
      return port.connectSiteToSubnet(write.siteId, write.subnetId, options);
    case 'updateSiteConfig':
      return port.updateSiteConfig(write.siteId, write.patch, {
        ...options,
        expectedAccessRules: write.expected?.accessRules,
        expectedScmAccessRules: write.expected?.scmAccessRules,
        expectedDefaultAction: write.expected?.defaultAction,
      });
  }
}

export async function apply(plan: Plan, port: AzurePort, options: ApplyOptions = {}): Promise<ApplyReport> {
  const concurrency = options.concurrency ?? 4;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayInMs = options.retryDelayInMs ?? 2000;
  const now = options.now ?? Date.now;
  const call: PortCallOptions = { abortSignal: options.abortSignal };

  const actions = plan.actions;
  const position = new Map(actions.map((action, index) => [action.id, index]));
  const outcomes = new Map<string, ActionOutcome>();
  const running = new Map<string, Promise<void>>();
  const pending = new Set<string>();
  // Bookkeeping is O(log n) per finished action: each action waits on a count of unresolved
  // dependencies, and becomes ready (a heap by plan position) when it reaches zero.
  const { waitingOn, dependents } = dependencyGraph(actions);
  const ready = new ReadyQueue();
  actions.forEach((action, index) => {
    if (waitingOn.get(action.id) === 0) ready.push(index);
  });
  // Writes sharing a serializeOn key run one at a time; the others wait in plan order.
  const busyKeys = new Set<string>();
  const parked = new Map<string, ReadyQueue>();

  const record = (action: PlannedAction, outcome: Omit<ActionOutcome, 'actionId' | 'kind' | 'resourceId' | 'policies'>) => {
    const full: ActionOutcome = { actionId: action.id, kind: action.kind, resourceId: action.resourceId, policies: action.policies, ...outcome };
    outcomes.set(action.id, full);
    options.onOutcome?.(full);
    for (const index of dependents.get(action.id) ?? []) {
      const left = waitingOn.get(actions[index].id)! - 1;
      waitingOn.set(actions[index].id, left);
      if (left === 0) ready.push(index);
    }
  };
  const execute = async (action: PlannedAction): Promise<void> => {
    const correlationId = randomUUID();
    const traced: PortCallOptions = { ...call, correlationId };
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        await confirmPaths(port.authoritative ?? port, action, traced);
        await perform(port, action.write, traced);
        record(action, { outcome: OUTCOME_OF_VERB[action.verb], attempts, correlationId });
        return;
      } catch (error) {
        const armError = toArmError(error);
        if (armError.retry === 'retryable' && attempts < maxAttempts && !options.abortSignal?.aborted) {
          await delay(armError.retryAfterInMs ?? retryDelayInMs * 2 ** (attempts - 1), options.abortSignal);
          continue;
        }
        record(action, {
          outcome: 'failed',
          reason: `${armError.code}: ${armError.message}`,
          error: { code: armError.code, message: armError.message, statusCode: armError.statusCode, retry: armError.retry },
          attempts,
          correlationId,
        });
        return;
      }
    }
  };

  /** What happens to an action once every dependency is resolved: recorded, started, or parked behind its serializeOn key. */
  const settle = (action: PlannedAction): 'done' | 'started' | 'parked' => {
    if (!action.enforcement.apply) {
      record(action, { outcome: 'skipped', reason: `${action.enforcement.reason}: ${action.enforcement.detail}`, attempts: 0 });
      return 'done';
    }
    const notDone = action.dependsOn.filter((dependency) => position.has(dependency) && !succeeded(outcomes.get(dependency)?.outcome));
    if (notDone.length > 0) {
      if (notDone.every((dependency) => pending.has(dependency))) {
        // Waiting on work the time budget deferred: deferred too, not failed.
        pending.add(action.id);
        record(action, { outcome: 'skipped', reason: `time budget exhausted: waits for ${notDone.join(', ')}; left for the next tick`, attempts: 0 });
      } else {
        const why = notDone.map((dependency) => `${dependency} ${outcomes.get(dependency)?.outcome}`).join(', ');
        record(action, { outcome: 'skipped', reason: `depends on an action that did not succeed: ${why}`, attempts: 0 });
      }
      return 'done';
    }
    if (options.deadlineInMs !== undefined && now() >= options.deadlineInMs) {
      pending.add(action.id);
      record(action, { outcome: 'skipped', reason: 'time budget exhausted: left for the next tick', attempts: 0 });
      return 'done';
    }
    const key = action.serializeOn;
    if (key && busyKeys.has(key)) {
      const queue = parked.get(key) ?? new ReadyQueue();
      queue.push(position.get(action.id)!);
      parked.set(key, queue);
      return 'parked';
    }
    if (key) busyKeys.add(key);
    const run = execute(action).finally(() => {
      running.delete(action.id);
      if (!key) return;
      busyKeys.delete(key);
      const next = parked.get(key)?.pop();
      if (next !== undefined) ready.push(next);
    });
    running.set(action.id, run);
    return 'started';
  };

  while (outcomes.size < actions.length) {
    while (running.size < concurrency && ready.size > 0) settle(actions[ready.pop()!]);
    if (outcomes.size === actions.length) break;
    if (running.size > 0) {
      await Promise.race(running.values());
    } else if (ready.size === 0) {
      // Only reachable with a dependency cycle, which the diff never produces.
      for (const action of actions) {
        if (!outcomes.has(action.id)) outcomes.set(action.id, { actionId: action.id, kind: action.kind, resourceId: action.resourceId, policies: action.policies, outcome: 'skipped', reason: 'dependency cycle', attempts: 0 });
      }
    }
  }
  return { outcomes: actions.map((action) => outcomes.get(action.id)!), pending: actions.filter((action) => pending.has(action.id)).map((action) => action.id) };
}
