/**
 * One alerting pass after a tick: drift events → actor lookup → transitions → store →
 * sinks. Never throws for a sink; a store failure throws (the caller logs it and the tick
 * still succeeds).
 *
 * Delivery is claim-before-send: a run takes an alert by moving it open → notifying with an
 * If-Match write; the loser of a race gets a conflict and skips. Each sink's success is
 * recorded before the next sink is tried, so a later pass resends only what is missing.
 *
 * One alert per change holds across overlapping runs: the records of one change (see
 * `alertGroupKey`) are written together, all or nothing, whenever their alert is created
 * (open, remind, resolve), their actor found, their alert claimed, a sink's outcome recorded
 * or the alert released; and the changes to deliver are grouped from the store as it is
 * just before claiming, not from what this run happened to write. So no run sees, claims or
 * sends part of a change.
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
import { MAX_DRIFT_WRITES, type AlertDelivery, type AlertStore, type DriftRecord, type DriftWrite, type Stored } from '../state/store';
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
  const due = await dueChanges(rows, pass);
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

  /** All or nothing (the records of one change): a conflict drops every one of them from this pass. */
  async writeAll(writes: DriftWrite[]): Promise<boolean> {
    const written = await this.store.writeDrifts(writes);
    if (!written.ok) {
      this.conflicts += writes.length;
      this.log.debug({ event: 'lockdown.alertConflict', driftKeys: writes.map((write) => write.record.key) }, 'another run changed these drift records first; skipped');
      for (const { record } of writes) this.#rows.delete(record.key);
      return false;
    }
    writes.forEach(({ record }, index) => this.#rows.set(record.key, { value: record, etag: written.etags[index] }));
    return true;
  }

  async delete(key: string, etag: string): Promise<void> {
    if (await this.store.deleteDrift(key, etag)) this.#rows.delete(key);
  }

  /** The store as it is now (other runs' writes included). */
  async reread(): Promise<void> {
    const stored = await this.store.listDrift();
    this.#rows.clear();
    for (const row of stored) this.#rows.set(row.value.key, row);
  }
}

/** Up to `MAX_DRIFT_WRITES` at a time (one transaction each), in the order given. */
function chunks<T>(items: T[], size = MAX_DRIFT_WRITES): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Items grouped by `key`, each group in the order `sortKey` gives (deterministic across runs). */
function groupBy<T>(items: T[], key: (item: T) => string, sortKey: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()].map((group) => group.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0)));
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

/** What one transition writes: the record (with its etag, none to create), and the history entries once written. */
interface PlannedWrite {
  type: Transition['type'];
  write: DriftWrite;
  history: HistoryEntry['kind'][];
}

/**
 * 1. Transitions. The records that get a new alert (open, remind, resolve) are written per
 * change, all or nothing, so that overlapping runs never each write part of one change (and
 * then each alert its part); the others one conditional write each. Answers the actor
 * lookups the deadline cut.
 */
async function writeTransitions(transitions: Transition[], rows: DriftRows, pass: Pass): Promise<DeferredLookup[]> {
  const planned = await mapWithConcurrency(transitions, 4, (transition) => planWrite(transition, rows, pass));
  const deferred = planned.flatMap((plan) => (plan.deferred ? [plan.deferred] : []));
  const writes = planned.flatMap((plan) => (plan.write ? [plan.write] : []));
  const alerting = writes.filter((plan) => plan.type !== 'persist');
  const units: PlannedWrite[][] = [
    ...groupBy(alerting, (plan) => alertGroupKey(plan.write.record), (plan) => plan.write.record.key).flatMap((group) => chunks(group)),
    ...writes.filter((plan) => plan.type === 'persist').map((plan) => [plan]),
  ];
  await mapWithConcurrency(units, 4, async (unit) => {
    if (!(await rows.writeAll(unit.map((plan) => plan.write)))) return;
    for (const plan of unit) if (plan.history.length > 0) await putHistory(pass.options.store, plan.write.record, plan.history);
  });
  await mapWithConcurrency(
    transitions.filter((transition) => transition.type === 'purge'),
    4,
    async (transition) => {
      const previous = rows.get(transition.key);
      if (previous) await rows.delete(transition.key, previous.etag);
    },
  );
  return deferred;
}

async function planWrite(transition: Transition, rows: DriftRows, pass: Pass): Promise<{ write?: PlannedWrite; deferred?: DeferredLookup }> {
  const previous = rows.get(transition.key);
  const { sinks } = pass.options;
  switch (transition.type) {
    case 'open':
      return openDrift(transition, previous, pass);
    case 'persist':
    case 'remind': {
      const record: DriftRecord = { ...transition.record, ...fromEvent(transition.event) };
      if (transition.type === 'remind') record.alert = newAlert('reminder', pass.now, sinks);
      return { write: { type: transition.type, write: { record, etag: previous?.etag }, history: [] } };
    }
    case 'resolve': {
      const record: DriftRecord = {
        ...transition.record,
        ...(transition.event ? fromEvent(transition.event) : {}),
        ...(transition.how === 'repaired' ? { action: 'repaired' as const, reason: undefined } : {}),
        resolvedAt: transition.resolvedAt,
        alert: resolvedAlert(transition.record.alert, pass.now, sinks),
      };
      return { write: { type: 'resolve', write: { record, etag: previous?.etag }, history: ['resolved'] } };
    }
    case 'purge':
      return {};
  }
}

/** A new drift record, with its actor (from a resource-write event, else the Activity Log) and an "opened" alert. */
async function openDrift(transition: Extract<Transition, { type: 'open' }>, previous: Stored<DriftRecord> | undefined, pass: Pass): Promise<{ write: PlannedWrite; deferred?: DeferredLookup }> {
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
  const write: PlannedWrite = { type: 'open', write: { record, etag: transition.replaces ? previous?.etag : undefined }, history: historyKinds(record) };
  return found.deferred ? { write, deferred: event } : { write };
}

/** 2. Alerts waiting for their actor: ask the Activity Log again. Answers the lookups the deadline cut. */
async function lookUpHeldActors(rows: DriftRows, pass: Pass): Promise<DeferredLookup[]> {
  const deferred: DeferredLookup[] = [];
  const held = rows.list().filter(({ value: record }) => carriesOpened(record.alert) && record.actor?.unknown && record.actor.why === 'notYetIngested' && !isClaimedByAnother(record.alert, pass.now));
  // Per change: its records get their actors in one write, so no run sees part of it found (and sends that part alone).
  for (const change of groupBy(held, (row) => alertGroupKey(row.value), (row) => row.value.key)) {
    const updates: { row: Stored<DriftRecord>; updated: DriftRecord }[] = [];
    for (const row of change) {
      const record = row.value;
      if (isPastDeadline(pass.options)) {
        deferred.push(record);
        continue;
      }
      const { actor, deferred: cut } = await findActor(record, pass);
      if (cut) deferred.push(record);
      const before = record.actor as Extract<DriftRecord['actor'], { unknown: true }>;
      if (actor.unknown && actor.why === before.why && actor.detail === before.detail) continue;
      updates.push({ row, updated: { ...record, actor } });
    }
    for (const unit of chunks(updates)) {
      if (!(await rows.writeAll(unit.map(({ row, updated }) => ({ record: updated, etag: row.etag }))))) continue;
      // Both entries carry the actor (the same ids: rewritten, not added).
      for (const { updated } of unit) await putHistory(pass.options.store, updated, historyKinds(updated));
    }
  }
  return deferred;
}

/**
 * 3a. The alerts due, one group per change (see `alertGroupKey`), each in key order: the
 * message of a change keeps its first record's alertId on every retry. `held`: waiting for
 * their actor; `notStarted`: the deadline had passed.
 *
 * Grouped from the store as it is now, not from this run's rows: an overlapping run may have
 * written a change this run lost (it then holds none of it) or taken part of what this run
 * listed; a change is always written whole, so the store has it whole. Read again only when
 * this run's rows have something due (a steady tick reads once).
 */
async function dueChanges(rows: DriftRows, pass: Pass): Promise<{ changes: Stored<DriftRecord>[][]; held: number; notStarted: number }> {
  if (collectDue(rows.list(), pass).changes.length > 0) await rows.reread();
  return collectDue(rows.list(), pass, pass.log);
}

function collectDue(list: Stored<DriftRecord>[], pass: Pass, log?: Logger): { changes: Stored<DriftRecord>[][]; held: number; notStarted: number } {
  const due: Stored<DriftRecord>[] = [];
  let held = 0;
  let notStarted = 0;
  for (const row of list) {
    if (!isUndelivered(row.value.alert) || isClaimedByAnother(row.value.alert, pass.now)) continue;
    if (isWaitingForActor(row.value, pass.now, pass.options.actorWaitInMs)) {
      held++;
      log?.info({ event: 'lockdown.alertWaitingForActor', driftKey: row.value.key, detail: (row.value.actor as { detail?: string }).detail }, 'alert held: its actor is not in the Activity Log yet');
      continue;
    }
    if (isPastDeadline(pass.options)) {
      notStarted++;
      continue;
    }
    due.push(row);
  }
  // A change of more than MAX_DRIFT_WRITES differences goes out as several alerts, cut the same way by every run.
  const changes = groupBy(due, (row) => alertGroupKey(row.value), (row) => row.value.key).flatMap((group) => chunks(group));
  return { changes, held, notStarted };
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
 * owed the "opened" notice of some of them). The change is claimed, each sink's outcome
 * recorded and the change released in one write each, covering every record it lists: a
 * run claims all of a change or none of it (another run claimed or changed it first: it is
 * left to that run, or to the next tick), and after a crash the next run finds every record
 * in the same state, so it sends the same message with the same alertId. Answers per row.
 */
async function deliverChange(group: Stored<DriftRecord>[], rows: DriftRows, pass: Pass): Promise<DeliveryDone[]> {
  const { options, clock, runId, log } = pass;
  const leaseInMs = options.claimLeaseInMs ?? 5 * 60_000;
  const maxSinkAttempts = options.maxSinkAttempts ?? 20;
  const members = group.map((row) => ({ record: row.value, etag: row.etag }));
  const lost = (): DeliveryDone[] => members.map(() => 'lost');
  /** Writes the records of `next` (by index), all or nothing. */
  const writeMembers = async (next: Map<number, DriftRecord>): Promise<boolean> => {
    const indexes = [...next.keys()];
    const written = await options.store.writeDrifts(indexes.map((index) => ({ record: next.get(index)!, etag: members[index].etag })));
    if (!written.ok) return false;
    indexes.forEach((index, position) => {
      members[index].record = next.get(index)!;
      members[index].etag = written.etags[position];
    });
    return true;
  };
  const claimUntil = new Date(clock().getTime() + leaseInMs).toISOString();
  const claims = new Map(members.map((member, index) => [index, { ...member.record, alert: { ...member.record.alert!, status: 'notifying' as const, claimedBy: runId, claimedUntil: claimUntil } }]));
  if (!(await writeMembers(claims))) {
    log.debug({ event: 'lockdown.alertClaimLost', driftKeys: members.map((member) => member.record.key) }, 'another run is delivering this alert; skipped');
    return lost();
  }
  const sinks = new Map(options.sinks.map((sink) => [sink.name, sink]));
  const sinkNames = [...new Set(members.flatMap((member) => Object.keys(member.record.alert!.sinks)))];
  let deferred = false;
  for (const name of sinkNames) {
    const owed = new Map<AlertKind, number[]>();
    members.forEach((member, index) => {
      const state = member.record.alert!.sinks[name];
      if (state?.state !== 'pending') return;
      const kind = state.kind ?? member.record.alert!.kind;
      owed.set(kind, [...(owed.get(kind) ?? []), index]);
    });
    for (const [kind, indexes] of owed) {
      if (isPastDeadline(options)) {
        // Not started: the sink stays pending, with no attempt counted, for the next tick.
        deferred = true;
        continue;
      }
      const sink = sinks.get(name);
      const message = alertMessage(indexes.map((index) => members[index].record), kind);
      const outcome = sink
        ? await deliver(sink, message, { ...options.delivery, abortSignal: options.abortSignal })
        : ({ ok: false, attempts: 0, error: `${name}: no longer configured`, retryable: false } as const);
      if (!outcome.ok && options.abortSignal?.aborted) deferred = true;
      const recorded = new Map<number, DriftRecord>();
      for (const index of indexes) {
        const { record } = members[index];
        const state = record.alert!.sinks[name];
        const attempts = state.attempts + outcome.attempts;
        const next = outcome.ok
          ? { state: 'delivered' as const, attempts, deliveredAt: clock().toISOString() }
          : { state: !sink || attempts >= maxSinkAttempts ? ('abandoned' as const) : ('pending' as const), attempts, lastError: outcome.error };
        const fields = { event: 'lockdown.alertDelivery', alertId: message.alertId, alertKind: message.kind, driftKey: record.key, sink: name, delivered: outcome.ok, attempts: outcome.attempts, totalAttempts: attempts };
        if (outcome.ok) log.debug(fields, `alert delivered to ${name}`);
        else if (next.state === 'abandoned') log.error({ ...fields, error: outcome.error }, `alert given up for ${name} after ${attempts} attempt(s): ${outcome.error}`);
        else log.warn({ ...fields, error: outcome.error }, `alert not delivered to ${name} (${outcome.error}); kept pending for the next tick`);
        recorded.set(index, { ...record, alert: { ...record.alert!, sinks: { ...record.alert!.sinks, [name]: next } } });
      }
      if (!(await writeMembers(recorded))) {
        log.warn({ event: 'lockdown.alertClaimLost', alertId: message.alertId, driftKeys: members.map((member) => member.record.key), sink: name }, 'lost the claim on an alert while delivering it');
        return lost();
      }
    }
  }
  const released = members.map(({ record }) => {
    const { claimedBy: _by, claimedUntil: _until, ...alert } = record.alert!;
    const allDone = Object.values(alert.sinks).every((state) => state.state !== 'pending');
    return { record: { ...record, alert: { ...alert, status: allDone ? ('sent' as const) : ('open' as const) } }, allDone };
  });
  if (!(await rows.writeAll(released.map(({ record }, index) => ({ record, etag: members[index].etag }))))) return lost();
  return released.map(({ allDone }) => (allDone ? 'sent' : deferred ? 'deferred' : 'pending'));
}

function isPastDeadline(options: Pick<AlertingOptions, 'deadlineInMs' | 'abortSignal'>): boolean {
  return options.abortSignal?.aborted === true || (options.deadlineInMs !== undefined && Date.now() >= options.deadlineInMs);
}
