/**
 * One alerting pass after a tick: drift events → actor lookup → transitions → store →
 * sinks. Never throws for a sink; a store failure throws (the caller logs it and the tick
 * still succeeds).
 *
 * Delivery is claim-before-send: a run takes an alert by moving it open → notifying with an
 * If-Match write; the loser of a race gets a conflict and skips. Each sink's success is
 * recorded before the next sink is tried, so a later pass resends only what is missing.
 */
import { randomUUID } from 'node:crypto';
import { mapWithConcurrency } from '../concurrency';
import type { Logger } from '../logger';
import type { AzurePort } from '../port';
import { canonicalId } from '../resourceId';
import type { TickReport } from '../tick';
import { ActorLookup } from './actor';
import { driftEvents, inSyncResources, judgedResources } from './driftEvents';
import { alertMessage } from './message';
import { deliver, type AlertSink, type DeliverOptions } from './sinks/sink';
import type { AlertDelivery, AlertStore, DriftRecord, Stored } from './store';
import { isClaimedByAnother, isUndelivered, planTransitions, type Transition } from './transitions';
import { driftFacts, type Actor, type AlertKind, type DriftEvent, type HistoryEntry } from './types';

export interface AlertingOptions {
  store: AlertStore;
  port: Pick<AzurePort, 'listActivity'>;
  sinks: AlertSink[];
  logger: Logger;
  renotifyAfterInMs: number;
  actorWaitInMs: number;
  ownCallers?: string[];
  delivery?: DeliverOptions;
  /** Total attempts per sink across ticks before an alert is given up for that sink; default 20. */
  maxSinkAttempts?: number;
  /** How long a claim holds before another run may take over a dead run's alert; default 5 min. */
  claimLeaseInMs?: number;
  now?: () => Date;
  /** Names this run in claims; default a random id. */
  runId?: string;
  abortSignal?: AbortSignal;
}

export interface AlertingReport {
  events: DriftEvent[];
  transitions: Record<Transition['type'], number>;
  /** Alerts fully delivered in this pass, by kind. */
  delivered: { alertId: string; kind: AlertKind; key: string; sinks: string[] }[];
  /** Alerts still waiting (a sink failed, or the actor is not in the log yet). */
  pending: number;
  /** Writes another run won: skipped here. */
  conflicts: number;
}

function newAlert(kind: AlertKind, createdAt: string, sinks: AlertSink[]): AlertDelivery {
  return { alertId: randomUUID(), kind, createdAt, status: 'open', sinks: Object.fromEntries(sinks.map((sink) => [sink.name, { state: 'pending', attempts: 0 }])) };
}

const fromEvent = (event: DriftEvent) => ({
  pairs: event.pairs,
  expected: event.expected,
  actual: event.actual,
  action: event.action,
  reason: event.reason,
  lastDetectedAt: event.detectedAt,
  lastTickId: event.tickId,
});

function historyEntry(record: DriftRecord, kind: HistoryEntry['kind']): { id: string; entry: HistoryEntry } {
  const at = kind === 'detected' ? record.firstDetectedAt : record.resolvedAt!;
  return {
    id: `${record.key}|${kind}|${at}`,
    entry: { at, kind, ...driftFacts(record), ...(record.actor ? { actor: record.actor } : {}) },
  };
}

export function isWaitingForActor(record: DriftRecord, now: string, actorWaitInMs: number): boolean {
  return (
    record.alert?.kind === 'opened' &&
    record.actor?.unknown === true &&
    record.actor.why === 'notYetIngested' &&
    Date.parse(now) - Date.parse(record.firstDetectedAt) < actorWaitInMs
  );
}

export async function runAlerting(report: TickReport, options: AlertingOptions): Promise<AlertingReport> {
  const clock = options.now ?? (() => new Date());
  const runId = options.runId ?? randomUUID();
  const log = options.logger.child({ tickId: report.tickId });
  const { store } = options;
  const now = clock().toISOString();
  const events = driftEvents(report);
  const [stored, inSync] = await Promise.all([store.listDrift(), store.listInSync()]);
  const current = new Map<string, Stored<DriftRecord>>(stored.map((row) => [row.value.key, row]));
  const actors = new ActorLookup(options.port, {
    now,
    ownCallers: options.ownCallers,
    ingestionGraceInMs: options.actorWaitInMs,
    abortSignal: options.abortSignal,
  });
  const result: AlertingReport = { events, transitions: { open: 0, persist: 0, remind: 0, resolve: 0, purge: 0 }, delivered: [], pending: 0, conflicts: 0 };

  const write = async (record: DriftRecord, etag: string | undefined): Promise<boolean> => {
    const written = etag === undefined ? await store.createDrift(record) : await store.replaceDrift(record, etag);
    if (!written.ok) {
      result.conflicts++;
      log.debug({ event: 'lockdown.alertConflict', driftKey: record.key }, 'another run changed this drift record first; skipped');
      current.delete(record.key);
      return false;
    }
    current.set(record.key, { value: record, etag: written.etag });
    return true;
  };

  const lookupActor = (record: Pick<DriftRecord, 'resourceId' | 'aspect' | 'firstDetectedAt'>, detectedAt: string): Promise<Actor> =>
    actors.lookup({ resourceId: record.resourceId, aspect: record.aspect, lastInSyncAt: inSync.get(canonicalId(record.resourceId)), detectedAt, firstDetectedAt: record.firstDetectedAt });

  // 1. Transitions, each one conditional write.
  const transitions = planTransitions({
    records: stored.map((row) => row.value),
    events,
    judged: judgedResources(report),
    policies: new Set(report.policies.policies.map((policy) => policy.name)),
    observedAt: report.observedAt ?? report.startedAt,
    repairedAt: report.finishedAt,
    now,
    renotifyAfterInMs: options.renotifyAfterInMs,
  });
  await mapWithConcurrency(transitions, 4, async (transition) => {
    result.transitions[transition.type]++;
    const previous = current.get(transition.key);
    switch (transition.type) {
      case 'open': {
        const { event } = transition;
        const actor = await lookupActor({ ...event, firstDetectedAt: event.detectedAt }, event.detectedAt);
        const record: DriftRecord = {
          key: event.key,
          policy: event.policy,
          resourceId: event.resourceId,
          aspect: event.aspect,
          field: event.field,
          symbol: event.symbol,
          ...fromEvent(event),
          firstDetectedAt: event.detectedAt,
          ...(transition.repairedAt ? { resolvedAt: transition.repairedAt } : {}),
          actor,
          alert: newAlert('opened', now, options.sinks),
        };
        if (await write(record, transition.replaces ? previous?.etag : undefined)) {
          const history = historyEntry(record, 'detected');
          await store.putHistory(history.id, history.entry);
          if (record.resolvedAt) {
            const resolved = historyEntry(record, 'resolved');
            await store.putHistory(resolved.id, resolved.entry);
          }
        }
        return;
      }
      case 'persist':
      case 'remind': {
        const record: DriftRecord = { ...transition.record, ...fromEvent(transition.event) };
        if (transition.type === 'remind') record.alert = newAlert('reminder', now, options.sinks);
        await write(record, previous?.etag);
        return;
      }
      case 'resolve': {
        const record: DriftRecord = {
          ...transition.record,
          ...(transition.event ? fromEvent(transition.event) : {}),
          ...(transition.how === 'repaired' ? { action: 'repaired' as const, reason: undefined } : {}),
          resolvedAt: transition.resolvedAt,
          alert: newAlert('resolved', now, options.sinks),
        };
        if (await write(record, previous?.etag)) {
          const history = historyEntry(record, 'resolved');
          await store.putHistory(history.id, history.entry);
        }
        return;
      }
      case 'purge':
        if (previous && (await store.deleteDrift(transition.key, previous.etag))) current.delete(transition.key);
        return;
    }
  });

  // 2. Alerts waiting for their actor: ask the Activity Log again.
  for (const row of [...current.values()]) {
    const record = row.value;
    if (!isUndelivered(record.alert) || record.alert?.kind !== 'opened' || !record.actor?.unknown || record.actor.why !== 'notYetIngested') continue;
    if (isClaimedByAnother(record.alert, now)) continue;
    const actor = await lookupActor(record, record.lastDetectedAt);
    if (actor.unknown && actor.why === record.actor.why && actor.detail === record.actor.detail) continue;
    const updated = { ...record, actor };
    if (await write(updated, row.etag)) {
      const history = historyEntry(updated, 'detected');
      await store.putHistory(history.id, history.entry);
    }
  }

  // 3. Deliver every alert that is due: claim, send per sink, record, release.
  const due = [...current.values()].filter((row) => isUndelivered(row.value.alert) && !isClaimedByAnother(row.value.alert, now));
  await mapWithConcurrency(due, 4, async (row) => {
    if (isWaitingForActor(row.value, now, options.actorWaitInMs)) {
      result.pending++;
      log.info({ event: 'lockdown.alertWaitingForActor', driftKey: row.value.key, detail: (row.value.actor as { detail?: string }).detail }, 'alert held: its actor is not in the Activity Log yet');
      return;
    }
    const done = await deliverAlert(row, runId, clock, options, log, write);
    if (done === 'sent') result.delivered.push({ alertId: row.value.alert!.alertId, kind: row.value.alert!.kind, key: row.value.key, sinks: Object.keys(row.value.alert!.sinks) });
    else if (done === 'pending') result.pending++;
  });

  // 4. Only now move lastInSyncAt forward: the lookups above needed the previous values.
  for (const [resourceId, at] of inSyncResources(report)) await store.markInSync(resourceId, at);
  return result;
}

async function deliverAlert(
  row: Stored<DriftRecord>,
  runId: string,
  clock: () => Date,
  options: AlertingOptions,
  log: Logger,
  write: (record: DriftRecord, etag: string | undefined) => Promise<boolean>,
): Promise<'sent' | 'pending' | 'lost'> {
  const leaseInMs = options.claimLeaseInMs ?? 5 * 60_000;
  const maxSinkAttempts = options.maxSinkAttempts ?? 20;
  let record: DriftRecord = {
    ...row.value,
    alert: { ...row.value.alert!, status: 'notifying', claimedBy: runId, claimedUntil: new Date(clock().getTime() + leaseInMs).toISOString() },
  };
  let etag = row.etag;
  const claim = async (next: DriftRecord): Promise<boolean> => {
    const written = await options.store.replaceDrift(next, etag);
    if (!written.ok) return false;
    etag = written.etag;
    record = next;
    return true;
  };
  if (!(await claim(record))) {
    log.debug({ event: 'lockdown.alertClaimLost', driftKey: record.key }, 'another run is delivering this alert; skipped');
    return 'lost';
  }
  const message = alertMessage(record);
  const sinks = new Map(options.sinks.map((sink) => [sink.name, sink]));
  for (const [name, state] of Object.entries(record.alert!.sinks)) {
    if (state.state !== 'pending') continue;
    const sink = sinks.get(name);
    const outcome = sink
      ? await deliver(sink, message, { ...options.delivery, abortSignal: options.abortSignal })
      : ({ ok: false, attempts: 0, error: `${name}: no longer configured`, retryable: false } as const);
    const attempts = state.attempts + outcome.attempts;
    const next = outcome.ok
      ? { state: 'delivered' as const, attempts, deliveredAt: clock().toISOString() }
      : { state: !sink || attempts >= maxSinkAttempts ? ('abandoned' as const) : ('pending' as const), attempts, lastError: outcome.error };
    const fields = { event: 'lockdown.alertDelivery', alertId: message.alertId, alertKind: message.kind, driftKey: record.key, sink: name, delivered: outcome.ok, attempts: outcome.attempts, totalAttempts: attempts };
    if (outcome.ok) log.debug(fields, `alert delivered to ${name}`);
    else if (next.state === 'abandoned') log.error({ ...fields, error: outcome.error }, `alert given up for ${name} after ${attempts} attempt(s): ${outcome.error}`);
    else log.warn({ ...fields, error: outcome.error }, `alert not delivered to ${name} (${outcome.error}); kept pending for the next tick`);
    if (!(await claim({ ...record, alert: { ...record.alert!, sinks: { ...record.alert!.sinks, [name]: next } } }))) {
      log.warn({ event: 'lockdown.alertClaimLost', driftKey: record.key, sink: name }, 'lost the claim on an alert while delivering it');
      return 'lost';
    }
  }
  const allDone = Object.values(record.alert!.sinks).every((state) => state.state !== 'pending');
  const { claimedBy: _by, claimedUntil: _until, ...alert } = record.alert!;
  const released: DriftRecord = { ...record, alert: { ...alert, status: allDone ? 'sent' : 'open' } };
  if (!(await write(released, etag))) return 'lost';
  return allDone ? 'sent' : 'pending';
}
