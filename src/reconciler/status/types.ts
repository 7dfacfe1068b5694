/**
 * The vocabulary of status: per pair, Kubernetes-style conditions, and the drift history
 * `lockdown history` reads.
 */
import type { Actor, DriftFacts } from '../alerts/types';

export type ConditionType = 'Ready' | 'Drifted' | 'Degraded';

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface PairStatus {
  policy: string;
  caller: string;
  callee: string;
  conditions: Condition[];
  lastReconcileTime: string;
  observedGeneration: string;
  /** The git commit of the policies the status was computed for, when the app knows it. */
  policyRevision?: string;
  tickId: string;
}

/** A drift event as the history keeps it: with its actor, once known. */
export interface HistoryEntry extends DriftFacts {
  at: string;
  /** detected: a new difference; resolved: it is gone (repaired, or fixed by hand). */
  kind: 'detected' | 'resolved';
  actor?: Actor;
}
