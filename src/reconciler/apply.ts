/**
 * Apply: run the plan's writes in dependency order. Reads nothing but the plan.
 * - an action runs only after everything it depends on succeeded; otherwise it is skipped
 *   with the reason;
 * - writes sharing `serializeOn` (one VNet) never overlap;
 * - retryable ARM errors are retried a few times with backoff; others fail the action only;
 * - past the deadline no new action starts: the rest is reported pending.
 */
import type { ArmError } from './armError';
import { delay } from './concurrency';
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
      });
  }
}

function asArmError(error: unknown): ArmError {
  if (error instanceof Error && error.name === 'ArmError') return error as ArmError;
  const message = error instanceof Error ? error.message : String(error);
  return { name: 'ArmError', message, code: 'UnexpectedError', statusCode: undefined, retry: 'fatal' } as ArmError;
}

export async function apply(plan: Plan, port: AzurePort, options: ApplyOptions = {}): Promise<ApplyReport> {
  const concurrency = options.concurrency ?? 4;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryDelayInMs = options.retryDelayInMs ?? 2000;
  const now = options.now ?? Date.now;
  const call: PortCallOptions = { abortSignal: options.abortSignal };

  const actions = plan.actions;
  const byId = new Map(actions.map((action) => [action.id, action]));
  const outcomes = new Map<string, ActionOutcome>();
  const running = new Map<string, Promise<void>>();
  const busyKeys = new Set<string>();
  const pending: string[] = [];

  const record = (action: PlannedAction, outcome: Omit<ActionOutcome, 'actionId' | 'kind' | 'resourceId' | 'policies'>) => {
    const full: ActionOutcome = { actionId: action.id, kind: action.kind, resourceId: action.resourceId, policies: action.policies, ...outcome };
    outcomes.set(action.id, full);
    options.onOutcome?.(full);
  };

  const execute = async (action: PlannedAction): Promise<void> => {
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        await perform(port, action.write, call);
        record(action, { outcome: OUTCOME_OF_VERB[action.verb], attempts });
        return;
      } catch (error) {
        const armError = asArmError(error);
        if (armError.retry === 'retryable' && attempts < maxAttempts && !options.abortSignal?.aborted) {
          await delay(armError.retryAfterInMs ?? retryDelayInMs * 2 ** (attempts - 1), options.abortSignal);
          continue;
        }
        record(action, {
          outcome: 'failed',
          reason: `${armError.code}: ${armError.message}`,
          error: { code: armError.code, message: armError.message, statusCode: armError.statusCode, retry: armError.retry },
          attempts,
        });
        return;
      }
    }
  };

  for (;;) {
    let progressed = false;
    for (const action of actions) {
      if (outcomes.has(action.id) || running.has(action.id)) continue;
      if (!action.enforcement.apply) {
        record(action, { outcome: 'skipped', reason: `${action.enforcement.reason}: ${action.enforcement.detail}`, attempts: 0 });
        progressed = true;
        continue;
      }
      const unresolved = action.dependsOn.filter((dependency) => byId.has(dependency) && !outcomes.has(dependency));
      if (unresolved.length > 0) continue;
      const notDone = action.dependsOn.filter((dependency) => {
        const outcome = outcomes.get(dependency)?.outcome;
        return byId.has(dependency) && !succeeded(outcome);
      });
      if (notDone.length > 0) {
        if (notDone.every((dependency) => pending.includes(dependency))) {
          // Waiting on work the time budget deferred: deferred too, not failed.
          record(action, { outcome: 'skipped', reason: `time budget exhausted: waits for ${notDone.join(', ')}; left for the next tick`, attempts: 0 });
          pending.push(action.id);
        } else {
          const why = notDone.map((dependency) => `${dependency} ${outcomes.get(dependency)?.outcome}`).join(', ');
          record(action, { outcome: 'skipped', reason: `depends on an action that did not succeed: ${why}`, attempts: 0 });
        }
        progressed = true;
        continue;
      }
      if (options.deadlineInMs !== undefined && now() >= options.deadlineInMs) {
        record(action, { outcome: 'skipped', reason: 'time budget exhausted: left for the next tick', attempts: 0 });
        pending.push(action.id);
        progressed = true;
        continue;
      }
      if (running.size >= concurrency) continue;
      if (action.serializeOn && busyKeys.has(action.serializeOn)) continue;
      if (action.serializeOn) busyKeys.add(action.serializeOn);
      const run = execute(action).finally(() => {
        running.delete(action.id);
        if (action.serializeOn) busyKeys.delete(action.serializeOn);
      });
      running.set(action.id, run);
      progressed = true;
    }
    if (outcomes.size === actions.length) break;
    if (running.size > 0) {
      await Promise.race(running.values());
    } else if (!progressed) {
      // Only reachable with a dependency cycle, which the diff never produces.
      for (const action of actions) {
        if (!outcomes.has(action.id)) record(action, { outcome: 'skipped', reason: 'dependency cycle', attempts: 0 });
      }
    }
  }
  return { outcomes: actions.map((action) => outcomes.get(action.id)!), pending };
}
