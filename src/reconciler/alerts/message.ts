/** From a drift record to the alert every sink renders, and the words people read. */
import { formatValue } from '../render/values';
import { canonicalId, shortName } from '../resourceId';
import { pairName } from './pairs';
import type { DriftRecord } from '../state/store';
import { driftFacts, type Actor, type AlertKind, type AlertMessage } from './types';

export function describeActor(actor: Actor | undefined): string {
  if (!actor) return 'actor not looked up';
  if (actor.unknown) return `actor unknown (${actor.why}: ${actor.detail})`;
  return `changed by ${actor.caller} at ${actor.time} (${actor.operation})`;
}

const DONE: Record<DriftRecord['action'], string> = {
  repaired: 'repaired by Lockdown',
  reportedOnly: 'reported only',
  skipped: 'not repaired',
  failed: 'repair FAILED',
};

/** The change one alert is about: the differences one actor made to one resource, found in one pass. */
export function alertGroupKey(record: DriftRecord, kind: AlertKind = record.alert!.kind): string {
  const actor = record.actor && !record.actor.unknown ? record.actor.caller.toLowerCase() : `unknown:${record.actor?.unknown ? record.actor.why : 'none'}`;
  return [kind, record.policy, canonicalId(record.resourceId), actor, record.alert?.createdAt ?? record.lastTickId].join('|');
}

const done = (record: DriftRecord) => `${DONE[record.action]}${record.reason ? ` (${record.reason})` : ''}`;
const resolvedHow = (record: DriftRecord) => (record.action === 'repaired' ? 'repaired by Lockdown' : 'no longer differs from the policy');

/** `records`: the differences of one change (see `alertGroupKey`), the first one leading. */
export function alertSummary(records: DriftRecord[], kind: AlertKind): string {
  const [first] = records;
  const where = shortName(first.resourceId);
  const pairs = first.pairs.length > 0 ? ` [${first.pairs.map(pairName).join(', ')}]` : '';
  const same = (part: (record: DriftRecord) => string) => records.every((record) => part(record) === part(first));
  if (kind === 'resolved') {
    if (same(resolvedHow)) return `Resolved: ${first.policy}${pairs}: ${where} ${records.map((record) => record.field).join(', ')} ${resolvedHow(first)}`;
    return `Resolved: ${first.policy}${pairs}: ${where} ${records.map((record) => `${record.field} ${resolvedHow(record)}`).join(', ')}`;
  }
  const prefix = kind === 'reminder' ? 'Still drifted' : 'Drift';
  const sharedDone = same(done);
  const differences = records
    .map((record) => `${record.field} is ${formatValue(record.actual)}, policy wants ${formatValue(record.expected)}${sharedDone ? '' : ` (${done(record)})`}`)
    .join('; ');
  // An opened alert that goes out after the drift is gone (it was held, or a sink was down) says so.
  const late = records.every((record) => record.resolvedAt && record.action !== 'repaired');
  const since = late ? `; since resolved (${first.resolvedAt}): no longer differs from the policy` : '';
  return `${prefix}: ${first.policy}${pairs}: ${where} ${differences}${sharedDone ? `; ${done(first)}` : ''}${since}; ${describeActor(first.actor)}`;
}

/** The alert of one change, listing its differences. `kind`: what this sink is sent, when it differs from the alert's (see `SinkDelivery.kind`). */
export function alertMessage(records: DriftRecord[], kind: AlertKind = records[0].alert!.kind): AlertMessage {
  const [first] = records;
  const alert = first.alert!;
  return {
    alertId: alert.alertId,
    kind,
    ...driftFacts(first),
    changes: records.map(({ key, aspect, field, expected, actual, action, reason }) => ({ key, aspect, field, expected, actual, action, ...(reason ? { reason } : {}) })),
    ...(first.actor ? { actor: first.actor } : {}),
    firstDetectedAt: first.firstDetectedAt,
    lastDetectedAt: records.reduce((latest, record) => (record.lastDetectedAt > latest ? record.lastDetectedAt : latest), first.lastDetectedAt),
    ...(first.resolvedAt ? { resolvedAt: first.resolvedAt } : {}),
    summary: alertSummary(records, kind),
  };
}
