/**
 * The plan: plain data, computed by the pure diff, filtered by modes, executed by apply.
 * Apply reads nothing but `actions[].write` and `actions[].pathGuard`; everything else is for people and reports.
 */
import type { AccessRule } from './observed';
import type { SiteConfigPatch } from './port';

/** What a difference is about, in the words of the pattern Lockdown enforces. */
export type DriftAspect =
  | 'serviceEndpoint'
  | 'delegation'
  | 'vnetIntegration'
  | 'accessRule'
  | 'defaultAction'
  | 'scm'
  | 'publicAccess';

export type ActionKind =
  | 'subnet.enableAppServiceAccess'
  | 'caller.connectToSubnet'
  | 'callee.admitCallers'
  | 'callee.restrictAccess'
  | 'callee.enablePublicAccess';

export interface FieldChange {
  aspect: DriftAspect;
  /** What changes, e.g. "serviceEndpoints[Microsoft.Web]" or "ipSecurityRestrictions[ld-hub-apps]". */
  field: string;
  symbol: '+' | '~' | '-';
  before?: unknown;
  after?: unknown;
}

export type WriteRequest =
  | { operation: 'putSubnet'; subnetId: string; body: Record<string, unknown>; ifMatch?: string }
  | { operation: 'connectSiteToSubnet'; siteId: string; subnetId: string }
  | {
      operation: 'updateSiteConfig';
      siteId: string;
      patch: SiteConfigPatch;
      /** The rule lists (and default action) as observed; the write is refused if they changed since. */
      expected?: { accessRules?: AccessRule[]; scmAccessRules?: AccessRule[]; defaultAction?: 'Allow' | 'Deny' };
    };

export type SkipReason = 'audit' | 'suspended' | 'dryRun' | 'blocked' | 'invalidPolicy' | 'unsafe';

export type Enforcement = { apply: true } | { apply: false; reason: SkipReason; detail: string };

export interface PlannedAction {
  /** Stable within a plan: "<kind>:<canonical resource id>". */
  id: string;
  kind: ActionKind;
  verb: 'create' | 'update' | 'delete';
  resourceId: string;
  /** Every policy that needs this change. */
  policies: string[];
  changes: FieldChange[];
  /** Ids of actions that must succeed first. */
  dependsOn: string[];
  /** Writes sharing this key never run at the same time (ARM: AnotherOperationInProgress). */
  serializeOn?: string;
  write: WriteRequest;
  /** Rules this action removes, in full, so they can be restored by hand. */
  removedRules?: AccessRule[];
  enforcement: Enforcement;
  /**
   * The declared pairs this write could cut off, as the safety proof checked them on the state
   * observed: apply checks them again on what is there right before the write (pathGuard.ts).
   */
  pathGuard?: GuardedPair[];
}

/** A declared pair, by the ids its policies spell (the reads use them as written). */
export interface GuardedPair {
  callerId: string;
  calleeId: string;
}

/** A preflight finding that stops (part of) a policy from being enforced, or just informs. */
export interface PlanCondition {
  severity: 'error' | 'warning' | 'info';
  /** CamelCase, stable: "PlanCannotIntegrate", "RegionMismatch", "IntegratedElsewhere", ... */
  reason: string;
  message: string;
  policy: string;
  resourceId: string;
}

export interface PlannedPair {
  policy: string;
  caller: string;
  callee: string;
}

export interface PolicySummary {
  name: string;
  generation: string;
  mode: 'enforce' | 'audit';
  suspended: boolean;
  pairs: PlannedPair[];
}

export interface Plan {
  actions: PlannedAction[];
  conditions: PlanCondition[];
  policies: PolicySummary[];
  /** Resources observed in the desired state already. */
  unchanged: string[];
}
