/**
 * What the timer runs after each tick: alerting, then pair status. Each step is guarded:
 * a failure is logged and never fails the tick (the reconcile already happened).
 */
import { errorFields, type Logger } from '../logger';
import type { AzurePort } from '../port';
import type { TickReport } from '../tick';
import { runAlerting, type AlertingOptions, type AlertingReport } from './alerting';
import { driftEvents } from './driftEvents';
import { readAlertSettings, sinksFromSettings, type AlertSettings } from './settings';
import { updatePairStatus } from '../status/pairStatus';
import { storeFromSettings, type AlertStore } from '../state/store';

export interface AfterTickOptions {
  port: Pick<AzurePort, 'listActivity'>;
  logger: Logger;
  settings?: AlertSettings;
  /** Default: Table Storage from the settings. */
  store?: AlertStore;
  now?: () => Date;
  /** Aborts in-flight Activity Log lookups and sink sends (the tick's deadline plus a grace). */
  abortSignal?: AbortSignal;
  /** The tick's deadline (epoch ms): after it no delivery or lookup starts; alerts stay pending. */
  deadlineInMs?: number;
  /** Actors of resource-write events, by canonical resource id (see `AlertingOptions.knownActors`). */
  knownActors?: AlertingOptions['knownActors'];
}

export interface AfterTickReport {
  alerting?: Omit<AlertingReport, 'events'> & { events: number };
  statusesWritten?: number;
  /** Steps that failed (already logged). */
  failed: ('settings' | 'alerting' | 'status')[];
  disabled?: string;
}

export async function afterTick(report: TickReport, options: AfterTickOptions): Promise<AfterTickReport> {
  const log = options.logger.child({ tickId: report.tickId });
  const result: AfterTickReport = { failed: [] };
  let settings: AlertSettings;
  try {
    settings = options.settings ?? readAlertSettings();
  } catch (error) {
    log.error({ event: 'lockdown.alertingFailed', step: 'settings', error: errorFields(error) }, `alerting settings are invalid: ${(error as Error).message}`);
    return { failed: ['settings'] };
  }
  for (const warning of settings.warnings) log.warn({ event: 'lockdown.alertingSetting' }, warning);
  const store = options.store ?? storeFromSettings(settings);
  if (!store) {
    result.disabled = 'no state storage: set AzureWebJobsStorage or LOCKDOWN_STATE_CONNECTION';
    log.warn({ event: 'lockdown.alertingDisabled' }, `alerts and status are off: ${result.disabled}`);
    return result;
  }

  try {
    const alerting = await runAlerting(report, {
      store,
      port: options.port,
      sinks: sinksFromSettings(settings, log),
      logger: log,
      renotifyAfterInMs: settings.renotifyAfterInMs,
      actorWaitInMs: settings.actorWaitInMs,
      ownCallers: settings.ownCallers,
      delivery: settings.delivery,
      now: options.now,
      abortSignal: options.abortSignal,
      deadlineInMs: options.deadlineInMs,
      knownActors: options.knownActors,
    });
    result.alerting = { ...alerting, events: alerting.events.length };
    log.info(
      {
        event: 'lockdown.alerting',
        driftEvents: alerting.events.length,
        transitions: alerting.transitions,
        delivered: alerting.delivered.length,
        pending: alerting.pending,
        conflicts: alerting.conflicts,
        leftForNextTick: alerting.leftForNextTick,
      },
      `alerting: ${alerting.events.length} drift event(s), ${alerting.delivered.length} alert(s) delivered, ${alerting.pending} pending` +
        (alerting.leftForNextTick
          ? ` (time budget used up: ${alerting.leftForNextTick.deliveries} delivery(ies) and ${alerting.leftForNextTick.actorLookups} actor lookup(s) left for the next tick)`
          : ''),
    );
  } catch (error) {
    result.failed.push('alerting');
    log.error({ event: 'lockdown.alertingFailed', step: 'alerting', error: errorFields(error) }, `alerting failed (the tick itself succeeded; pending alerts are retried next tick): ${(error as Error).message}`);
  }

  try {
    result.statusesWritten = (await updatePairStatus(store, report, driftEvents(report), log)).length;
  } catch (error) {
    result.failed.push('status');
    log.error({ event: 'lockdown.alertingFailed', step: 'status', error: errorFields(error) }, `status update failed (the tick itself succeeded): ${(error as Error).message}`);
  }
  return result;
}
