/** From a drift record to the alert every sink renders, and the words people read. */
import { formatValue } from '../render/values';
import { shortName } from '../resourceId';
import { pairName } from './pairs';
import type { DriftRecord } from './store';
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

export function alertSummary(record: DriftRecord, kind: AlertKind): string {
  const where = `${shortName(record.resourceId)} ${record.field}`;
  const pairs = record.pairs.length > 0 ? ` [${record.pairs.map(pairName).join(', ')}]` : '';
  if (kind === 'resolved') {
    const how = record.action === 'repaired' ? 'repaired by Lockdown' : 'no longer differs from the policy';
    return `Resolved: ${record.policy}${pairs}: ${where} ${how}`;
  }
  const prefix = kind === 'reminder' ? 'Still drifted' : 'Drift';
  const done = `${DONE[record.action]}${record.reason ? ` (${record.reason})` : ''}`;
  // An opened alert that goes out after the drift is gone (it was held, or a sink was down) says so.
  const since = record.resolvedAt && record.action !== 'repaired' ? `; since resolved (${record.resolvedAt}): no longer differs from the policy` : '';
  return `${prefix}: ${record.policy}${pairs}: ${where} is ${formatValue(record.actual)}, policy wants ${formatValue(record.expected)}; ${done}${since}; ${describeActor(record.actor)}`;
}

/** `kind`: what this sink is sent, when it differs from the alert's (see `SinkDelivery.kind`). */
export function alertMessage(record: DriftRecord, kind: AlertKind = record.alert!.kind): AlertMessage {
  const alert = record.alert!;
  return {
    alertId: alert.alertId,
    kind,
    ...driftFacts(record),
    ...(record.actor ? { actor: record.actor } : {}),
    firstDetectedAt: record.firstDetectedAt,
    lastDetectedAt: record.lastDetectedAt,
    ...(record.resolvedAt ? { resolvedAt: record.resolvedAt } : {}),
    summary: alertSummary(record, kind),
  };
}
