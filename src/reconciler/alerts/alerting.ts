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
import { alertGroupKey, alertMessage } from './message';
import { deliver, type AlertSink, type DeliverOptions } from './sinks/sink';
import type { AlertDelivery, AlertStore, DriftRecord, Stored } from '../state/store';
import { carriesOpened, isClaimedByAnother, isUndelivered, planTransitions, type Transition } from './transitions';
import type { HistoryEntry } from '../status/types';
import { driftFacts, type Actor, type ActorFound, type AlertKind, type DriftEvent } from './types';

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
  /** Aborts in-flight Activity Log lookups and sink sends. */
  abortSignal?: AbortSignal;
  /**
   * The tick's deadline (epoch ms, wall clock): after it (or once `abortSignal` fired) no new
   * delivery or Activity Log lookup starts; those alerts stay pending for the next tick.
   */
  deadlineInMs?: number;
  /**
   * Who changed each resource (canonical id), as a resource-write event said: a drift first
   * found in this pass is attributed at once, with no Activity Log lookup.
   */
  knownActors?: ReadonlyMap<string, ActorFound>;
}

/** What the pass did not start because the tick's deadline had passed: the next tick does it. */
export interface LeftForNextTick {
  /** Alerts not (fully) delivered: they stay pending in the store. */
  deliveries: number;
  /** Activity Log lookups not made: the actor is looked up again next tick. */
  actorLookups: number;
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
  /** Set when the tick's deadline passed before the pass was done. */
  leftForNextTick?: LeftForNextTick;
}

/** The actor of an alert whose lookup the deadline cut: "not yet ingested", so the next tick asks again. */
export const DEFERRED_ACTOR_DETAIL = 'not looked up: the tick ran out of time before the Activity Log query; looking again next tick';

function newAlert(kind: AlertKind, createdAt: string, sinks: AlertSink[]): AlertDelivery {
  return { alertId: randomUUID(), kind, createdAt, status: 'open', sinks: Object.fromEntries(sinks.map((sink) => [sink.name, { state: 'pending', attempts: 0 }])) };
}

/**
 * The alert of a drift that is gone. Usually a new "resolved" alert; but if the record's
 * "opened" alert has not reached every sink yet, those sinks are sent it still (the record
 * now carries `resolvedAt`, so that one message says both what happened, who did it, and
 * that it is resolved), and the sinks that had it get "resolved". One alert, one delivery
 * state per sink: exactly once per sink as for any other alert.
 */
export function resolvedAlert(previous: AlertDelivery | undefined, now: string, sinks: AlertSink[]): AlertDelivery {
  const alert = newAlert('resolved', now, sinks);
  if (!previous || previous.kind !== 'opened' || !isUndelivered(previous)) return alert;
  const told = new Set(Object.entries(previous.sinks).filter(([, sink]) => sink.state === 'delivered').map(([name]) => name));
  if (told.size === 0) {
    // No sink has it yet: the opened alert itself goes on (same alertId, attempts kept).
    const { claimedBy: _by, claimedUntil: _until, ...opened } = previous;
    return { ...opened, status: 'open' };
  }
  for (const name of Object.keys(alert.sinks)) if (!told.has(name)) alert.sinks[name] = { ...alert.sinks[name], kind: 'opened' };
  return alert;
}

const fromEvent = (event: DriftEvent) => ({
  pairs: event.pairs,
  expected: event.expected,
  actual: event.actual,
  action: event.action,
  reason: event.reason,
  policyRevision: event.policyRevision,
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
    carriesOpened(record.alert) &&
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
  const pastDeadline = () => isPastDeadline(options);
  const leftOver = (): LeftForNextTick => (result.leftForNextTick ??= { deliveries: 0, actorLookups: 0 });
  /** Resources whose actor lookup was deferred: their lastInSyncAt must not move yet (the next lookup needs it). */
  const deferredResources = new Set<string>();
  /** Drift keys whose actor lookup was not made this pass. */
  const deferredLookups = new Set<string>();
  const deferLookup = (record: Pick<DriftRecord, 'key' | 'resourceId'>): void => {
    deferredLookups.add(record.key);
    leftOver().actorLookups = deferredLookups.size;
    deferredResources.add(canonicalId(record.resourceId));
  };

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

  /**
   * The last in-sync observation before a drift found at `detectedAt`: what the record kept
   * when it was opened, else the store's (only if it is before the drift: after a repair it
   * has moved on to the repair).
   */
  const inSyncBefore = (record: Pick<DriftRecord, 'resourceId' | 'lastInSyncAt'>, detectedAt: string): string | undefined => {
    if (record.lastInSyncAt !== undefined) return record.lastInSyncAt;
    const known = inSync.get(canonicalId(record.resourceId));
    return known !== undefined && Date.parse(known) < Date.parse(detectedAt) ? known : undefined;
  };

  /** Searches from the last in-sync observation before the drift to the observation that found it (its first detection). */
  const lookupActor = async (record: Pick<DriftRecord, 'key' | 'resourceId' | 'aspect' | 'firstDetectedAt' | 'lastInSyncAt'>): Promise<Actor> => {
    const deferred = (): Actor => {
      deferLookup(record);
      return { unknown: true, why: 'notYetIngested', detail: DEFERRED_ACTOR_DETAIL };
    };
    if (pastDeadline()) return deferred();
    const detectedAt = record.firstDetectedAt;
    const actor = await actors.lookup({ resourceId: record.resourceId, aspect: record.aspect, lastInSyncAt: inSyncBefore(record, detectedAt), detectedAt, firstDetectedAt: detectedAt });
    // A query the abort cut short is not an answer: ask again next tick.
    return actor.unknown && actor.why === 'lookupFailed' && options.abortSignal?.aborted ? deferred() : actor;
  };

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
        const lastInSyncAt = inSyncBefore({ resourceId: event.resourceId }, event.detectedAt);
        const actor =
          options.knownActors?.get(canonicalId(event.resourceId)) ??
          (await lookupActor({ ...event, firstDetectedAt: event.detectedAt, ...(lastInSyncAt ? { lastInSyncAt } : {}) }));
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
          ...(lastInSyncAt ? { lastInSyncAt } : {}),
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
          alert: resolvedAlert(transition.record.alert, now, options.sinks),
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
    if (!carriesOpened(record.alert) || !record.actor?.unknown || record.actor.why !== 'notYetIngested') continue;
    if (isClaimedByAnother(record.alert, now)) continue;
    if (pastDeadline()) {
      deferLookup(record);
      continue;
    }
    const actor = await lookupActor(record);
    if (actor.unknown && actor.why === record.actor.why && actor.detail === record.actor.detail) continue;
    const updated = { ...record, actor };
    if (await write(updated, row.etag)) {
      // Both entries carry the actor (the same ids: rewritten, not added).
      for (const kind of updated.resolvedAt ? (['detected', 'resolved'] as const) : (['detected'] as const)) {
        const history = historyEntry(updated, kind);
        await store.putHistory(history.id, history.entry);
      }
    }
  }

  // 3. Deliver every alert that is due, one message per change (see `alertGroupKey`): claim
  // each record, send per sink, record, release.
  const due = [...current.values()].filter((row) => isUndelivered(row.value.alert) && !isClaimedByAnother(row.value.alert, now));
  const changes = new Map<string, Stored<DriftRecord>[]>();
  for (const row of due) {
    if (isWaitingForActor(row.value, now, options.actorWaitInMs)) {
      result.pending++;
      log.info({ event: 'lockdown.alertWaitingForActor', driftKey: row.value.key, detail: (row.value.actor as { detail?: string }).detail }, 'alert held: its actor is not in the Activity Log yet');
      continue;
    }
    if (pastDeadline()) {
      result.pending++;
      leftOver().deliveries++;
      continue;
    }
    const key = alertGroupKey(row.value);
    changes.set(key, [...(changes.get(key) ?? []), row]);
  }
  // In key order: the message of a change keeps its first record's alertId on every retry.
  const ordered = [...changes.values()].map((rows) => rows.sort((a, b) => (a.value.key < b.value.key ? -1 : 1)));
  await mapWithConcurrency(ordered, 4, async (rows) => {
    const outcomes = await deliverChange(rows, runId, clock, options, log, write);
    for (const [index, done] of outcomes.entries()) {
      const alert = rows[index].value.alert!;
      if (done === 'sent') result.delivered.push({ alertId: alert.alertId, kind: alert.kind, key: rows[index].value.key, sinks: Object.keys(alert.sinks) });
      else if (done === 'pending') result.pending++;
      if (done === 'deferred') {
        result.pending++;
        leftOver().deliveries++;
      }
    }
  });

  // 4. Only now move lastInSyncAt forward: the lookups above needed the previous values (and
  // a deferred lookup needs them next tick).
  for (const [resourceId, at] of inSyncResources(report)) if (!deferredResources.has(resourceId)) await store.markInSync(resourceId, at);
  if (result.leftForNextTick) {
    log.warn(
      { event: 'lockdown.alertingDeferred', ...result.leftForNextTick },
      `the tick's time budget ran out: ${result.leftForNextTick.deliveries} alert(s) not delivered and ${result.leftForNextTick.actorLookups} actor lookup(s) not made; left pending for the next tick`,
    );
  }
  return result;
}

type DeliveryDone = 'sent' | 'pending' | 'deferred' | 'lost';

/**
 * Delivers the alerts of one change as one message per sink (and per kind, when a sink is
 * owed the "opened" notice of some of them). Every record is claimed, updated and released
 * on its own, so what one sink took is recorded for each record it listed. Answers per row.
 */
async function deliverChange(
  rows: Stored<DriftRecord>[],
  runId: string,
  clock: () => Date,
  options: AlertingOptions,
  log: Logger,
  write: (record: DriftRecord, etag: string | undefined) => Promise<boolean>,
): Promise<DeliveryDone[]> {
  const leaseInMs = options.claimLeaseInMs ?? 5 * 60_000;
  const maxSinkAttempts = options.maxSinkAttempts ?? 20;
  const claimed = rows.map((row) => ({ record: row.value, etag: row.etag, done: undefined as DeliveryDone | undefined }));
  const claim = async (member: (typeof claimed)[number], next: DriftRecord): Promise<boolean> => {
    const written = await options.store.replaceDrift(next, member.etag);
    if (!written.ok) {
      member.done = 'lost';
      return false;
    }
    member.etag = written.etag;
    member.record = next;
    return true;
  };
  for (const member of claimed) {
    const claimUntil = new Date(clock().getTime() + leaseInMs).toISOString();
    if (!(await claim(member, { ...member.record, alert: { ...member.record.alert!, status: 'notifying', claimedBy: runId, claimedUntil: claimUntil } }))) {
      log.debug({ event: 'lockdown.alertClaimLost', driftKey: member.record.key }, 'another run is delivering this alert; skipped');
    }
  }
  const live = () => claimed.filter((member) => member.done === undefined);
  const sinks = new Map(options.sinks.map((sink) => [sink.name, sink]));
  const sinkNames = [...new Set(claimed.flatMap((member) => Object.keys(member.record.alert!.sinks)))];
  let deferred = false;
  for (const name of sinkNames) {
    const owed = new Map<AlertKind, (typeof claimed)[number][]>();
    for (const member of live()) {
      const state = member.record.alert!.sinks[name];
      if (state?.state !== 'pending') continue;
      const kind = state.kind ?? member.record.alert!.kind;
      owed.set(kind, [...(owed.get(kind) ?? []), member]);
    }
    for (const [kind, members] of owed) {
      if (isPastDeadline(options)) {
        // Not started: the sink stays pending, with no attempt counted, for the next tick.
        deferred = true;
        continue;
      }
      const sink = sinks.get(name);
      const message = alertMessage(members.map((member) => member.record), kind);
      const outcome = sink
        ? await deliver(sink, message, { ...options.delivery, abortSignal: options.abortSignal })
        : ({ ok: false, attempts: 0, error: `${name}: no longer configured`, retryable: false } as const);
      if (!outcome.ok && options.abortSignal?.aborted) deferred = true;
      for (const member of members) {
        const state = member.record.alert!.sinks[name];
        const attempts = state.attempts + outcome.attempts;
        const next = outcome.ok
          ? { state: 'delivered' as const, attempts, deliveredAt: clock().toISOString() }
          : { state: !sink || attempts >= maxSinkAttempts ? ('abandoned' as const) : ('pending' as const), attempts, lastError: outcome.error };
        const fields = { event: 'lockdown.alertDelivery', alertId: message.alertId, alertKind: message.kind, driftKey: member.record.key, sink: name, delivered: outcome.ok, attempts: outcome.attempts, totalAttempts: attempts };
        if (outcome.ok) log.debug(fields, `alert delivered to ${name}`);
        else if (next.state === 'abandoned') log.error({ ...fields, error: outcome.error }, `alert given up for ${name} after ${attempts} attempt(s): ${outcome.error}`);
        else log.warn({ ...fields, error: outcome.error }, `alert not delivered to ${name} (${outcome.error}); kept pending for the next tick`);
        if (!(await claim(member, { ...member.record, alert: { ...member.record.alert!, sinks: { ...member.record.alert!.sinks, [name]: next } } }))) {
          log.warn({ event: 'lockdown.alertClaimLost', driftKey: member.record.key, sink: name }, 'lost the claim on an alert while delivering it');
        }
      }
    }
  }
  for (const member of live()) {
    const allDone = Object.values(member.record.alert!.sinks).every((state) => state.state !== 'pending');
    const { claimedBy: _by, claimedUntil: _until, ...alert } = member.record.alert!;
    const released: DriftRecord = { ...member.record, alert: { ...alert, status: allDone ? 'sent' : 'open' } };
    member.done = !(await write(released, member.etag)) ? 'lost' : allDone ? 'sent' : deferred ? 'deferred' : 'pending';
  }
  return claimed.map((member) => member.done ?? 'lost');
}

function isPastDeadline(options: Pick<AlertingOptions, 'deadlineInMs' | 'abortSignal'>): boolean {
  return options.abortSignal?.aborted === true || (options.deadlineInMs !== undefined && Date.now() >= options.deadlineInMs);
}
