/**
 * The timer-triggered reconciler. One tick per invocation; never two at once in this worker
 * (the timer trigger's own singleton lock covers scale-out).
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { afterTick, type AfterTickReport } from '../reconciler/alerts/afterTick';
import { readAlertSettings } from '../reconciler/alerts/settings';
import { connectionFromSettings } from '../reconciler/azure/connection';
import { portFromSettings } from '../reconciler/azure/observationSource';
import { acquireEveryGroup, type Lease, type LeaseStore } from '../reconciler/events/lease';
import { createLogger, errorFields, type Logger } from '../reconciler/logger';
import { runTick, type TickReport } from '../reconciler/tick';
import { hostLogStream } from './hostLogStream';
import { readPolicyRevision } from './policyRevision';
import { leaseStoreFromSettings } from './leases';
import { readSettings, type ReconcilerSettings } from './settings';

/** In-flight reads and sends are aborted this long after the deadline... */
export const ABORT_GRACE_MS = 60_000;
/** ...but never later than this before host.json's functionTimeout. */
export const FUNCTION_TIMEOUT_MARGIN_MS = 15_000;

/**
 * One deadline for the whole tick: apply starts no write after `deadlineInMs`, the alerting
 * pass starts no delivery or Activity Log lookup after it, and `abortAt` is when in-flight
 * reads, writes and sends are aborted.
 */
export function tickDeadline(startedAt: number, settings: Pick<ReconcilerSettings, 'timeBudgetInMs' | 'functionTimeoutInMs'>): { deadlineInMs: number; abortAt: number } {
  const deadlineInMs = startedAt + settings.timeBudgetInMs;
  let abortAt = deadlineInMs + ABORT_GRACE_MS;
  if (settings.functionTimeoutInMs !== undefined) abortAt = Math.min(abortAt, startedAt + settings.functionTimeoutInMs - FUNCTION_TIMEOUT_MARGIN_MS);
  return { deadlineInMs, abortAt: Math.max(abortAt, deadlineInMs) };
}

let tickInProgress = false;

export interface TickSummary {
  tickId?: string;
  skipped?: 'previous tick still running' | 'targeted reconciles still running';
  actions: number;
  outcomes: Record<string, number>;
  pending: number;
  invalidFiles: string[];
  /** Alerting and status after the tick (their failures never fail the tick). */
  alerts?: AfterTickReport;
}

function summarize(report: TickReport): TickSummary {
  const outcomes: Record<string, number> = {};
  for (const outcome of report.apply?.outcomes ?? []) outcomes[outcome.outcome] = (outcomes[outcome.outcome] ?? 0) + 1;
  return {
    tickId: report.tickId,
    actions: report.plan.actions.length,
    outcomes,
    pending: report.apply?.pending.length ?? 0,
    invalidFiles: report.policies.invalidFiles,
  };
}

/** How long the tick waits for targeted reconciles (resource events) to finish before it skips. */
export const EVENT_RECONCILE_WAIT_MS = 60_000;

/**
 * The lease over every group of pairs, so no targeted reconcile runs during the tick. 'busy'
 * when they did not finish in time; undefined when leases are unavailable (the state storage
 * is down): the tick is the backstop and runs regardless, and targeted reconciles, which
 * need the lease, do not run meanwhile.
 */
async function holdEveryGroup(logger: Logger, holder: string, ttlInMs: number, abortSignal: AbortSignal): Promise<{ store: LeaseStore; lease: Lease } | 'busy' | undefined> {
  try {
    const store = leaseStoreFromSettings(readAlertSettings());
    const lease = await acquireEveryGroup(store, holder, ttlInMs, { waitInMs: EVENT_RECONCILE_WAIT_MS, abortSignal });
    return lease ? { store, lease } : 'busy';
  } catch (error) {
    logger.warn({ event: 'lockdown.leaseUnavailable', error: errorFields(error) }, `leases unavailable, the tick runs without one: ${(error as Error).message}`);
    return undefined;
  }
}

export async function reconcileTimer(timer: Timer, context: InvocationContext): Promise<TickSummary> {
  const startedAt = Date.now();
  let settings: ReconcilerSettings;
  let policyRevision: string | undefined;
  try {
    settings = readSettings();
    policyRevision = readPolicyRevision();
  } catch (error) {
    // Fail closed: an invalid setting (a mistyped LOCKDOWN_DRY_RUN) means no tick at all.
    createLogger({ level: 'error', destination: hostLogStream(context) }).error({ event: 'lockdown.settingsInvalid', error: (error as Error).message }, `no tick: ${(error as Error).message}`);
    throw error;
  }
  const logger = createLogger({ level: settings.logLevel, destination: hostLogStream(context) });
  if (tickInProgress) {
    logger.warn({ event: 'lockdown.tickSkipped', invocationId: context.invocationId }, 'previous tick still running; this one is skipped');
    return { skipped: 'previous tick still running', actions: 0, outcomes: {}, pending: 0, invalidFiles: [] };
  }
  tickInProgress = true;
  const { deadlineInMs, abortAt } = tickDeadline(startedAt, settings);
  const controller = new AbortController();
  const abortTimer = setTimeout(
    () => controller.abort(new Error(`time budget (${settings.timeBudgetInMs / 1000} s) and grace used up: in-flight work aborted`)),
    Math.max(0, abortAt - Date.now()),
  );
  abortTimer.unref?.();
  try {
    for (const adjustment of settings.adjustments) logger.warn({ event: 'lockdown.settingAdjusted' }, adjustment);
    if (timer.isPastDue) logger.warn({ event: 'lockdown.pastDue' }, 'timer is past due');
    const held = await holdEveryGroup(logger, context.invocationId, abortAt - startedAt + ABORT_GRACE_MS, controller.signal);
    if (held === 'busy') {
      logger.warn({ event: 'lockdown.tickSkipped', invocationId: context.invocationId }, 'targeted reconciles kept their leases too long; this tick is skipped');
      return { skipped: 'targeted reconciles still running', actions: 0, outcomes: {}, pending: 0, invalidFiles: [] };
    }
    try {
      return await tickAndAlert(settings, policyRevision, logger, context, startedAt, deadlineInMs, controller.signal);
    } finally {
      if (held) await held.store.release(held.lease).catch(() => undefined);
    }
  } finally {
    clearTimeout(abortTimer);
    tickInProgress = false;
  }
}

async function tickAndAlert(
  settings: ReconcilerSettings,
  policyRevision: string | undefined,
  logger: Logger, context: InvocationContext, startedAt: number, deadlineInMs: number, abortSignal: AbortSignal): Promise<TickSummary> {
  const connection = connectionFromSettings();
  logger.info({ event: 'lockdown.connection', endpoint: connection.endpoint, credential: connection.credentialKind }, 'connecting to ARM');
  const port = portFromSettings(connection, process.env);
  const tickLogger = logger.child({ invocationId: context.invocationId });
  const report = await runTick({
    policyPaths: settings.policyPaths,
    port,
    logger: tickLogger,
    apply: true,
    dryRun: settings.dryRun,
    followExternalLinks: settings.followExternalLinks,
    policyRevision,
    applyOptions: { deadlineInMs, abortSignal },
  });
  const alerts = await afterTick(report, { port, logger: tickLogger, deadlineInMs, abortSignal });
  const summary: TickSummary = { ...summarize(report), alerts };
  logger.info({ event: 'lockdown.tickDone', ...summary, policyRevision, durationInMs: Date.now() - startedAt }, 'tick finished');
  return summary;
}
