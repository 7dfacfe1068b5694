/**
 * The resource-event Function: a write to a site, its config, a slot, its VNet integration, a
 * virtual network or a subnet, as the subscription's Event Grid system topic reports it,
 * triggers a targeted reconcile of the pairs it touches, with the event's actor in the alert.
 *
 * Event Grid delivers at least once, out of order and in bursts: events for one resource
 * within a short window share one reconcile, which reads the current state (so order does
 * not matter and a duplicate finds nothing left to do); Lockdown's own writes are ignored;
 * leases keep two instances off the same pairs. A failure throws, so Event Grid delivers
 * the event again; the timer tick covers everything regardless.
 */
import type { EventGridEvent, InvocationContext } from '@azure/functions';
import { afterTick } from '../reconciler/alerts/afterTick';
import { readAlertSettings, type AlertSettings } from '../reconciler/alerts/settings';
import { portFromSettings } from '../reconciler/azure/observationSource';
import { connectionFromSettings } from '../reconciler/azure/connection';
import { Coalescer } from '../reconciler/events/coalesce';
import { isOwnWrite, readResourceEvent, type ResourceChange } from '../reconciler/events/resourceChange';
import { reconcileChanges, type TargetedReconcileReport } from '../reconciler/events/targetedReconcile';
import { createLogger, type Logger } from '../reconciler/logger';
import { readEventSettings, type EventSettings } from './eventSettings';
import { hostLogStream } from './hostLogStream';
import { leaseStoreFromSettings } from './leases';
import { ABORT_GRACE_MS, tickDeadline } from './reconcileTimer';
import { readPolicyRevision } from './policyRevision';
import { readSettings, type ReconcilerSettings } from './settings';

export interface EventSummary {
  eventId?: string;
  /** ignored: not a managed resource; ownWrite: Lockdown's own; notNamed: no policy names it. */
  outcome: 'reconciled' | 'ignored' | 'ownWrite' | 'notNamed';
  detail?: string;
  resource?: string;
  /** Events that shared this reconcile (this one included). */
  coalesced?: number;
  pairs?: number;
  actions?: number;
  outcomes?: Record<string, number>;
  alertsDelivered?: number;
}

/** Some of the reconcile did not happen: thrown so that Event Grid delivers the event again. */
export class ReconcileIncompleteError extends Error {
  override readonly name = 'ReconcileIncompleteError';
}

interface Submitted {
  change: ResourceChange;
  logger: Logger;
  invocationId: string;
  settings: ReconcilerSettings;
  alertSettings: AlertSettings;
  eventSettings: EventSettings;
}

interface BatchResult {
  report: TargetedReconcileReport;
  /** Events that shared the reconcile. */
  events: number;
}

async function reconcileBatch(items: Submitted[]): Promise<BatchResult> {
  const [{ logger, settings, alertSettings, eventSettings, invocationId }] = items;
  const startedAt = Date.now();
  const { deadlineInMs, abortAt } = tickDeadline(startedAt, settings);
  const controller = new AbortController();
  const abortTimer = setTimeout(() => controller.abort(new Error('time budget used up: in-flight work aborted')), Math.max(0, abortAt - Date.now()));
  abortTimer.unref?.();
  try {
    const port = portFromSettings(connectionFromSettings(), process.env);
    const report = await reconcileChanges(
      items.map((item) => item.change),
      {
        policyPaths: settings.policyPaths,
        port,
        logger,
        dryRun: settings.dryRun,
        policyRevision: readPolicyRevision(),
        followExternalLinks: settings.followExternalLinks,
        applyOptions: { deadlineInMs, abortSignal: controller.signal },
        leases: leaseStoreFromSettings(alertSettings),
        holder: invocationId,
        leaseTtlInMs: abortAt - startedAt + ABORT_GRACE_MS,
        leaseWait: { waitInMs: eventSettings.leaseWaitInMs, abortSignal: controller.signal },
        alert: (tick, options) => afterTick(tick, { port, logger, settings: alertSettings, deadlineInMs, abortSignal: controller.signal, ...options }),
      },
    );
    return { report, events: items.length };
  } finally {
    clearTimeout(abortTimer);
  }
}

/** One coalescer per window length (settings are read per invocation), keyed by the changed resource. */
const coalescers = new Map<number, Coalescer<Submitted, BatchResult>>();
function coalescerFor(windowInMs: number): Coalescer<Submitted, BatchResult> {
  let coalescer = coalescers.get(windowInMs);
  if (!coalescer) coalescers.set(windowInMs, (coalescer = new Coalescer(windowInMs, (_resource, items) => reconcileBatch(items))));
  return coalescer;
}

function summarize(eventId: string, resource: string, report: TargetedReconcileReport, coalesced: number): EventSummary {
  const outcomes: Record<string, number> = {};
  for (const outcome of report.tick?.apply?.outcomes ?? []) outcomes[outcome.outcome] = (outcomes[outcome.outcome] ?? 0) + 1;
  return {
    eventId,
    outcome: report.outcome,
    resource,
    coalesced,
    pairs: report.pairs,
    actions: report.tick?.plan.actions.length ?? 0,
    outcomes,
    alertsDelivered: report.alerts?.alerting?.delivered.length ?? 0,
  };
}

export async function lockdownEvents(event: EventGridEvent, context: InvocationContext): Promise<EventSummary> {
  let settings: ReconcilerSettings;
  let alertSettings: AlertSettings;
  let eventSettings: EventSettings;
  try {
    settings = readSettings();
    alertSettings = readAlertSettings();
    eventSettings = readEventSettings();
  } catch (error) {
    // Fail closed and let Event Grid deliver again: a fixed setting then handles the event.
    createLogger({ level: 'error', destination: hostLogStream(context) }).error({ event: 'lockdown.settingsInvalid', error: (error as Error).message }, `event not handled: ${(error as Error).message}`);
    throw error;
  }
  const logger = createLogger({ level: settings.logLevel, destination: hostLogStream(context) }).child({ invocationId: context.invocationId, eventId: event.id });
  const read = readResourceEvent(event);
  if (!read.ok) {
    logger.debug({ event: 'lockdown.eventIgnored', why: read.why }, read.detail);
    return { eventId: event.id, outcome: 'ignored', detail: read.detail };
  }
  const { change } = read;
  if (isOwnWrite(change, { callers: alertSettings.ownCallers })) {
    logger.debug({ event: 'lockdown.eventIgnored', why: 'ownWrite', resourceId: change.resourceUri }, 'Lockdown\'s own write: nothing to reconcile');
    return { eventId: event.id, outcome: 'ownWrite', resource: change.resource.id };
  }
  logger.info({ event: 'lockdown.resourceEvent', eventType: change.eventType, resourceId: change.resourceUri, actor: change.actor.caller, operation: change.actor.operation }, `${change.actor.operation} by ${change.actor.caller}`);
  const coalescer = coalescerFor(eventSettings.coalesceWindowInMs);
  const submitted: Submitted = { change, logger, invocationId: context.invocationId, settings, alertSettings, eventSettings };
  const { report, events } = await coalescer.submit(change.resource.id, submitted);
  const summary = summarize(event.id, change.resource.id, report, events);
  logger.info({ event: 'lockdown.targetedReconcile', ...summary, groups: report.groups }, `targeted reconcile of ${report.pairs} pair(s): ${summary.actions} action(s)`);
  const failed = (report.tick?.apply?.outcomes ?? []).filter((outcome) => outcome.outcome === 'failed').length;
  const pending = report.tick?.apply?.pending.length ?? 0;
  if (failed > 0 || pending > 0) {
    throw new ReconcileIncompleteError(`${failed} action(s) failed and ${pending} not started for ${change.resource.id}; the event will be delivered again`);
  }
  return summary;
}
