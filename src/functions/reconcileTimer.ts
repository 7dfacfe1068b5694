/**
 * The timer-triggered reconciler. One tick per invocation; never two at once in this worker
 * (the timer trigger's own singleton lock covers scale-out).
 */
import type { InvocationContext, Timer } from '@azure/functions';
import { afterTick, type AfterTickReport } from '../reconciler/alerts/afterTick';
import { ArmPort } from '../reconciler/azure/armPort';
import { connectionFromSettings } from '../reconciler/azure/connection';
import { createLogger } from '../reconciler/logger';
import { runTick, type TickReport } from '../reconciler/tick';
import { hostLogStream } from './hostLogStream';
import { readSettings } from './settings';

let tickInProgress = false;

export interface TickSummary {
  tickId?: string;
  skipped?: 'previous tick still running';
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

export async function reconcileTimer(timer: Timer, context: InvocationContext): Promise<TickSummary> {
  const startedAt = Date.now();
  const settings = readSettings();
  const logger = createLogger({ level: settings.logLevel, destination: hostLogStream(context) });
  if (tickInProgress) {
    logger.warn({ event: 'lockdown.tickSkipped', invocationId: context.invocationId }, 'previous tick still running; this one is skipped');
    return { skipped: 'previous tick still running', actions: 0, outcomes: {}, pending: 0, invalidFiles: [] };
  }
  tickInProgress = true;
  try {
    if (timer.isPastDue) logger.warn({ event: 'lockdown.pastDue' }, 'timer is past due');
    const connection = connectionFromSettings();
    logger.info({ event: 'lockdown.connection', endpoint: connection.endpoint, credential: connection.credentialKind }, 'connecting to ARM');
    const port = new ArmPort(connection);
    const tickLogger = logger.child({ invocationId: context.invocationId });
    const report = await runTick({
      policyPaths: settings.policyPaths,
      port,
      logger: tickLogger,
      apply: true,
      dryRun: settings.dryRun,
      applyOptions: { deadlineInMs: startedAt + settings.timeBudgetInMs },
    });
    const summary: TickSummary = { ...summarize(report), alerts: await afterTick(report, { port, logger: tickLogger }) };
    logger.info({ event: 'lockdown.tickDone', ...summary, durationInMs: Date.now() - startedAt }, 'tick finished');
    return summary;
  } finally {
    tickInProgress = false;
  }
}
