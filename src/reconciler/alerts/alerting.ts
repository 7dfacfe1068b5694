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

/** What every step of a pass reads and none changes. */
interface Pass {
  readonly options: AlertingOptions;
  readonly log: Logger;
  readonly clock: () => Date;
  /** The pass's one "now" (ISO). */
  readonly now: string;
  /** Names this run in claims. */
  readonly runId: string;
  readonly actors: ActorLookup;
  /** Last in-sync observation of each resource (canonical id), as the store had it before the pass. */
  readonly inSync: ReadonlyMap<string, string>;
}

/** A drift whose Activity Log lookup was not made this pass (the deadline): it is looked up next tick. */
type DeferredLookup = Pick<DriftRecord, 'key' | 'resourceId'>;

export async function runAlerting(report: TickReport, options: AlertingOptions): Promise<AlertingReport> {
  const events = driftEvents(report);
  const { pass, stored, rows } = await startPass(report, options);
  const transitions = planPassTransitions(report, events, stored, pass);
  const deferredOnOpen = await writeTransitions(transitions, rows, pass);
  const deferredOnRetry = await lookUpHeldActors(rows, pass);
  const due = dueChanges(rows, pass);
  const delivery = await deliverChanges(due.changes, rows, pass);
  const deferredLookups = [...deferredOnOpen, ...deferredOnRetry];
  await markInSync(options.store, report, deferredLookups);
  const leftForNextTick = leftOver(deferredLookups, due.notStarted + delivery.deferred);
  if (leftForNextTick) warnLeftOver(pass.log, leftForNextTick);
  return {
    events,
    transitions: countByType(transitions),
    delivered: delivery.delivered,
    pending: due.held + due.notStarted + delivery.pending,
    conflicts: rows.conflicts,
    ...(leftForNextTick ? { leftForNextTick } : {}),
  };
}

/** The drift records of the pass as last read or written, with their ETags. */
class DriftRows {
  readonly #rows: Map<string, Stored<DriftRecord>>;
  /** Writes another run won. */
  conflicts = 0;

  constructor(
    private readonly store: AlertStore,
    private readonly log: Logger,
    stored: Stored<DriftRecord>[],
  ) {
    this.#rows = new Map(stored.map((row) => [row.value.key, row]));
  }

  get(key: string): Stored<DriftRecord> | undefined {
    return this.#rows.get(key);
  }

  /** A copy: writes during the walk do not disturb it. */
  list(): Stored<DriftRecord>[] {
    return [...this.#rows.values()];
  }

  /** Create-if-absent (no etag) or If-Match; a conflict drops the record from this pass. */
  async write(record: DriftRecord, etag: string | undefined): Promise<boolean> {
    const written = etag === undefined ? await this.store.createDrift(record) : await this.store.replaceDrift(record, etag);
    if (!written.ok) {
      this.conflicts++;
      this.log.debug({ event: 'lockdown.alertConflict', driftKey: record.key }, 'another run changed this drift record first; skipped');
      this.#rows.delete(record.key);
      return false;
    }
    this.#rows.set(record.key, { value: record, etag: written.etag });
    return true;
  }

  async delete(key: string, etag: string): Promise<void> {
    if (await this.store.deleteDrift(key, etag)) this.#rows.delete(key);
  }
}

async function startPass(report: TickReport, options: AlertingOptions): Promise<{ pass: Pass; stored: Stored<DriftRecord>[]; rows: DriftRows }> {
  const clock = options.now ?? (() => new Date());
  const runId = options.runId ?? randomUUID();
  const log = options.logger.child({ tickId: report.tickId });
  const now = clock().toISOString();
  const [stored, inSync] = await Promise.all([options.store.listDrift(), options.store.listInSync()]);
  const actors = new ActorLookup(options.port, { now, ownCallers: options.ownCallers, ingestionGraceInMs: options.actorWaitInMs, abortSignal: options.abortSignal });
  return { pass: { options, log, clock, now, runId, actors, inSync }, stored, rows: new DriftRows(options.store, log, stored) };
}

function planPassTransitions(report: TickReport, events: DriftEvent[], stored: Stored<DriftRecord>[], pass: Pass): Transition[] {
  return planTransitions({
    records: stored.map((row) => row.value),
    events,
    judged: judgedResources(report),
    policies: new Set(report.policies.policies.map((policy) => policy.name)),
    observedAt: report.observedAt ?? report.startedAt,
    repairedAt: report.finishedAt,
    now: pass.now,
    renotifyAfterInMs: pass.options.renotifyAfterInMs,
  });
}

function countByType(transitions: Transition[]): AlertingReport['transitions'] {
  const counts: AlertingReport['transitions'] = { open: 0, persist: 0, remind: 0, resolve: 0, purge: 0 };
  for (const transition of transitions) counts[transition.type]++;
  return counts;
}

/** 1. Transitions, each one conditional write. Answers the actor lookups the deadline cut. */
async function writeTransitions(transitions: Transition[], rows: DriftRows, pass: Pass): Promise<DeferredLookup[]> {
  const deferred = await mapWithConcurrency(transitions, 4, (transition) => writeTransition(transition, rows, pass));
  return deferred.filter((lookup): lookup is DeferredLookup => lookup !== undefined);
}

async function writeTransition(transition: Transition, rows: DriftRows, pass: Pass): Promise<DeferredLookup | undefined> {
  const previous = rows.get(transition.key);
  const { store, sinks } = pass.options;
  switch (transition.type) {
    case 'open':
      return openDrift(transition, previous, rows, pass);
    case 'persist':
    case 'remind': {
      const record: DriftRecord = { ...transition.record, ...fromEvent(transition.event) };
      if (transition.type === 'remind') record.alert = newAlert('reminder', pass.now, sinks);
      await rows.write(record, previous?.etag);
      return undefined;
    }
    case 'resolve': {
      const record: DriftRecord = {
        ...transition.record,
        ...(transition.event ? fromEvent(transition.event) : {}),
        ...(transition.how === 'repaired' ? { action: 'repaired' as const, reason: undefined } : {}),
        resolvedAt: transition.resolvedAt,
        alert: resolvedAlert(transition.record.alert, pass.now, sinks),
      };
      if (await rows.write(record, previous?.etag)) await putHistory(store, record, ['resolved']);
      return undefined;
    }
    case 'purge':
      if (previous) await rows.delete(transition.key, previous.etag);
      return undefined;
  }
}

/** A new drift record, with its actor (from a resource-write event, else the Activity Log) and an "opened" alert. */
async function openDrift(transition: Extract<Transition, { type: 'open' }>, previous: Stored<DriftRecord> | undefined, rows: DriftRows, pass: Pass): Promise<DeferredLookup | undefined> {
  const { event } = transition;
  const lastInSyncAt = inSyncBefore({ resourceId: event.resourceId }, event.detectedAt, pass.inSync);
  const known = pass.options.knownActors?.get(canonicalId(event.resourceId));
  const found = known ? { actor: known } : await findActor({ ...event, firstDetectedAt: event.detectedAt, ...(lastInSyncAt ? { lastInSyncAt } : {}) }, pass);
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
    actor: found.actor,
    alert: newAlert('opened', pass.now, pass.options.sinks),
  };
  if (await rows.write(record, transition.replaces ? previous?.etag : undefined)) await putHistory(pass.options.store, record, historyKinds(record));
  return found.deferred ? event : undefined;
}

/** 2. Alerts waiting for their actor: ask the Activity Log again. Answers the lookups the deadline cut. */
async function lookUpHeldActors(rows: DriftRows, pass: Pass): Promise<DeferredLookup[]> {
  const deferred: DeferredLookup[] = [];
  for (const row of rows.list()) {
    const record = row.value;
    if (!carriesOpened(record.alert) || !record.actor?.unknown || record.actor.why !== 'notYetIngested') continue;
    if (isClaimedByAnother(record.alert, pass.now)) continue;
    if (isPastDeadline(pass.options)) {
      deferred.push(record);
      continue;
    }
    const { actor, deferred: cut } = await findActor(record, pass);
    if (cut) deferred.push(record);
    if (actor.unknown && actor.why === record.actor.why && actor.detail === record.actor.detail) continue;
    const updated = { ...record, actor };
    // Both entries carry the actor (the same ids: rewritten, not added).
    if (await rows.write(updated, row.etag)) await putHistory(pass.options.store, updated, historyKinds(updated));
  }
  return deferred;
}

/**
 * 3a. The alerts due, one group per change (see `alertGroupKey`), each in key order: the
 * message of a change keeps its first record's alertId on every retry. `held`: waiting for
 * their actor; `notStarted`: the deadline had passed.
 */
function dueChanges(rows: DriftRows, pass: Pass): { changes: Stored<DriftRecord>[][]; held: number; notStarted: number } {
  const changes = new Map<string, Stored<DriftRecord>[]>();
  let held = 0;
  let notStarted = 0;
  for (const row of rows.list()) {
    if (!isUndelivered(row.value.alert) || isClaimedByAnother(row.value.alert, pass.now)) continue;
    if (isWaitingForActor(row.value, pass.now, pass.options.actorWaitInMs)) {
      held++;
      pass.log.info({ event: 'lockdown.alertWaitingForActor', driftKey: row.value.key, detail: (row.value.actor as { detail?: string }).detail }, 'alert held: its actor is not in the Activity Log yet');
      continue;
    }
    if (isPastDeadline(pass.options)) {
      notStarted++;
      continue;
    }
    const key = alertGroupKey(row.value);
    changes.set(key, [...(changes.get(key) ?? []), row]);
  }
  return { changes: [...changes.values()].map((group) => group.sort((a, b) => (a.value.key < b.value.key ? -1 : 1))), held, notStarted };
}

/** 3b. Deliver each change: claim each record, send per sink, record, release. `deferred`: cut by the deadline. */
async function deliverChanges(changes: Stored<DriftRecord>[][], rows: DriftRows, pass: Pass): Promise<{ delivered: AlertingReport['delivered']; pending: number; deferred: number }> {
  const delivered: AlertingReport['delivered'] = [];
  let pending = 0;
  let deferred = 0;
  await mapWithConcurrency(changes, 4, async (group) => {
    const outcomes = await deliverChange(group, rows, pass);
    for (const [index, done] of outcomes.entries()) {
      const alert = group[index].value.alert!;
      if (done === 'sent') delivered.push({ alertId: alert.alertId, kind: alert.kind, key: group[index].value.key, sinks: Object.keys(alert.sinks) });
      else if (done === 'pending') pending++;
      if (done === 'deferred') {
        pending++;
        deferred++;
      }
    }
  });
  return { delivered, pending, deferred };
}

/**
 * 4. Only now move lastInSyncAt forward: the lookups above needed the previous values (and a
 * deferred lookup needs them next tick).
 */
async function markInSync(store: AlertStore, report: TickReport, deferredLookups: DeferredLookup[]): Promise<void> {
  const deferredResources = new Set(deferredLookups.map((lookup) => canonicalId(lookup.resourceId)));
  for (const [resourceId, at] of inSyncResources(report)) if (!deferredResources.has(resourceId)) await store.markInSync(resourceId, at);
}

function leftOver(deferredLookups: DeferredLookup[], deliveries: number): LeftForNextTick | undefined {
  if (deferredLookups.length === 0 && deliveries === 0) return undefined;
  return { deliveries, actorLookups: new Set(deferredLookups.map((lookup) => lookup.key)).size };
}

function warnLeftOver(log: Logger, left: LeftForNextTick): void {
  log.warn(
    { event: 'lockdown.alertingDeferred', ...left },
    `the tick's time budget ran out: ${left.deliveries} alert(s) not delivered and ${left.actorLookups} actor lookup(s) not made; left pending for the next tick`,
  );
}

/**
 * The last in-sync observation before a drift found at `detectedAt`: what the record kept
 * when it was opened, else the store's (only if it is before the drift: after a repair it has
 * moved on to the repair).
 */
function inSyncBefore(record: Pick<DriftRecord, 'resourceId' | 'lastInSyncAt'>, detectedAt: string, inSync: ReadonlyMap<string, string>): string | undefined {
  if (record.lastInSyncAt !== undefined) return record.lastInSyncAt;
  const known = inSync.get(canonicalId(record.resourceId));
  return known !== undefined && Date.parse(known) < Date.parse(detectedAt) ? known : undefined;
}

/**
 * Searches from the last in-sync observation before the drift to the observation that found
 * it (its first detection). `deferred`: not looked up (the deadline, or an aborted query), so
 * the actor says "not yet ingested" and the next tick asks again.
 */
async function findActor(record: Pick<DriftRecord, 'key' | 'resourceId' | 'aspect' | 'firstDetectedAt' | 'lastInSyncAt'>, pass: Pass): Promise<{ actor: Actor; deferred?: true }> {
  const deferred = { actor: { unknown: true, why: 'notYetIngested', detail: DEFERRED_ACTOR_DETAIL } as const, deferred: true } as const;
  if (isPastDeadline(pass.options)) return deferred;
  const detectedAt = record.firstDetectedAt;
  const actor = await pass.actors.lookup({ resourceId: record.resourceId, aspect: record.aspect, lastInSyncAt: inSyncBefore(record, detectedAt, pass.inSync), detectedAt, firstDetectedAt: detectedAt });
  // A query the abort cut short is not an answer: ask again next tick.
  return actor.unknown && actor.why === 'lookupFailed' && pass.options.abortSignal?.aborted ? deferred : { actor };
}

/** The history entries of a record, written in order (idempotent: the same ids rewrite, not add). */
async function putHistory(store: AlertStore, record: DriftRecord, kinds: HistoryEntry['kind'][]): Promise<void> {
  for (const kind of kinds) {
    const history = historyEntry(record, kind);
    await store.putHistory(history.id, history.entry);
  }
}

const historyKinds = (record: DriftRecord): HistoryEntry['kind'][] => (record.resolvedAt ? ['detected', 'resolved'] : ['detected']);

type DeliveryDone = 'sent' | 'pending' | 'deferred' | 'lost';

/**
 * Delivers the alerts of one change as one message per sink (and per kind, when a sink is
 * owed the "opened" notice of some of them). Every record is claimed, updated and released
 * on its own, so what one sink took is recorded for each record it listed. Answers per row.
 */
async function deliverChange(group: Stored<DriftRecord>[], rows: DriftRows, pass: Pass): Promise<DeliveryDone[]> {
  const { options, clock, runId, log } = pass;
  const leaseInMs = options.claimLeaseInMs ?? 5 * 60_000;
  const maxSinkAttempts = options.maxSinkAttempts ?? 20;
  const claimed = group.map((row) => ({ record: row.value, etag: row.etag, done: undefined as DeliveryDone | undefined }));
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
    member.done = !(await rows.write(released, member.etag)) ? 'lost' : allDone ? 'sent' : deferred ? 'deferred' : 'pending';
  }
  return claimed.map((member) => member.done ?? 'lost');
}

function isPastDeadline(options: Pick<AlertingOptions, 'deadlineInMs' | 'abortSignal'>): boolean {
  return options.abortSignal?.aborted === true || (options.deadlineInMs !== undefined && Date.now() >= options.deadlineInMs);
}
