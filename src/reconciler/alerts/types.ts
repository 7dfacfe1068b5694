/**
 * The vocabulary of alerting: drift events (what the tick saw), actors (who changed it) and
 * alerts (what owners are told). Pair status and history entries are in `../status/types`.
 */
import type { DriftAspect } from '../plan';

export interface PairRef {
  policy: string;
  /** Caller and callee as the policy wrote them (display ids). */
  caller: string;
  callee: string;
}

/** What Lockdown did about a difference. */
export type DriftAction = 'repaired' | 'reportedOnly' | 'skipped' | 'failed';

/** What one difference is: the facts every event, record, alert and history entry of it repeats. */
export interface DriftFacts {
  /** Stable across ticks: policy|pair|resource|aspect|field (ids lower-cased; pair "*" when the resource serves every pair). */
  key: string;
  policy: string;
  /** Every pair of the policy this difference touches. */
  pairs: PairRef[];
  resourceId: string;
  aspect: DriftAspect;
  field: string;
  /** What the policy wants (null: absent). */
  expected: unknown;
  /** What Azure had (null: absent). */
  actual: unknown;
  action: DriftAction;
  reason?: string;
  /** The git commit of the policies enforced when it was last seen (see `npm run package`). */
  policyRevision?: string;
}

/** The facts alone, without the fields a record or event adds. */
export function driftFacts(source: DriftFacts): DriftFacts {
  const { key, policy, pairs, resourceId, aspect, field, expected, actual, action, reason, policyRevision } = source;
  return { key, policy, pairs, resourceId, aspect, field, expected, actual, action, ...(reason ? { reason } : {}), ...(policyRevision ? { policyRevision } : {}) };
}

/** One detected difference between a policy and a resource. */
export interface DriftEvent extends DriftFacts {
  /** The pair, when the resource belongs to exactly one pair of the policy. */
  pair?: PairRef;
  symbol: '+' | '~' | '-';
  /** When the difference was observed (ISO). */
  detectedAt: string;
  tickId: string;
}

export interface ActorFound {
  unknown?: false;
  caller: string;
  time: string;
  operation: string;
  correlationId?: string;
}

export type ActorUnknownWhy = 'outsideLogWindow' | 'notYetIngested' | 'lookupFailed';

export interface ActorUnknown {
  unknown: true;
  why: ActorUnknownWhy;
  detail: string;
}

export type Actor = ActorFound | ActorUnknown;

export type AlertKind = 'opened' | 'reminder' | 'resolved';

/** One difference an alert lists. */
export type AlertChange = Pick<DriftFacts, 'key' | 'aspect' | 'field' | 'expected' | 'actual' | 'action' | 'reason'>;

/**
 * What every sink renders: one alert about one change, that is, the differences one actor
 * made to one resource, found in one pass (`changes`, at least one). The top-level facts are
 * the first of `changes`, so a reader of single-difference alerts keeps working.
 */
export interface AlertMessage extends DriftFacts {
  changes: AlertChange[];
  /** Unique per notification: the idempotency key receivers may dedupe on. */
  alertId: string;
  kind: AlertKind;
  actor?: Actor;
  firstDetectedAt: string;
  lastDetectedAt: string;
  resolvedAt?: string;
  /** One line for people. */
  summary: string;
}
