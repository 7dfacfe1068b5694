/**
 * The validated, canonical form of a Lockdown policy: what every later step (diff, plan,
 * status) reads. Parsing and validation turn YAML into these; nothing else builds them.
 */

export const POLICY_API_VERSION = 'lockdown/v1';
export const POLICY_KIND = 'LockdownPolicy';

export type PolicyMode = 'enforce' | 'audit';

/** Where a value came from, so every later message can point back at the file. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** An extra source the callee admits besides the policy subnet (build agents, a gateway). */
export interface ExtraAllow {
  name: string;
  /** CIDR (IPv4 or IPv6), canonical form, e.g. "203.0.113.0/24". Exactly one of ipAddress/serviceTag. */
  ipAddress?: string;
  /** An Azure service tag, e.g. "AzureFrontDoor.Backend". */
  serviceTag?: string;
}

/** How the callee's SCM (Kudu / deployment) site is locked. */
export type ScmSpec =
  | { kind: 'sameAsMain' }
  | { kind: 'denyAll' }
  | { kind: 'rules'; allow: ExtraAllow[] };

/** Which deployment slots of a callee are locked with it. */
export type SlotSelection = { kind: 'all' } | { kind: 'none' } | { kind: 'named'; names: string[] };

export interface CalleeSpec {
  /** Canonical (lower-cased) ARM id of a Microsoft.Web/sites resource (or, once slots are known, of one of its slots). */
  id: string;
  /** The id exactly as the user wrote it, for messages. */
  displayId: string;
  scm: ScmSpec;
  /** Slots locked like the app; absent means all. Slot names lower-cased. */
  slots?: SlotSelection;
  /** Set on the entry of a slot: the canonical id of the app the policy names. */
  slotOf?: string;
  source: SourceLocation;
}

export interface CallerSpec {
  /** Canonical id of an app or of one of its slots (.../sites/{app}/slots/{slot}). */
  id: string;
  displayId: string;
  /** Set on the entry of a slot added by `callerSlots: all`: the canonical id of the listed app. */
  slotOf?: string;
  source: SourceLocation;
}

/** `callerSlots`: only the listed callers (default), or every slot of the listed apps too. */
export type CallerSlots = 'listed' | 'all';

export interface Suspension {
  /** ISO-8601 instant after which the suspension lapses; absent = until removed. */
  until?: string;
  reason?: string;
}

export interface LockdownPolicy {
  name: string;
  mode: PolicyMode;
  /** Exclusive (default true): access rules Lockdown does not own on a callee are drift and removed. */
  exclusive: boolean;
  suspend?: Suspension;
  /** Canonical (lower-cased) ARM id of the subnet that carries the pairs' traffic. */
  subnetId: string;
  subnetDisplayId: string;
  callers: CallerSpec[];
  /** Absent means listed. */
  callerSlots?: CallerSlots;
  callees: CalleeSpec[];
  alsoAllow: ExtraAllow[];
  /** Hash of the canonical spec: changes exactly when the policy's meaning changes. */
  generation: string;
  source: SourceLocation;
}

export type ProblemSeverity = 'error' | 'warning';

/** One thing wrong with the policy files, pointing at file:line:column with a fix. */
export interface PolicyProblem {
  severity: ProblemSeverity;
  file: string;
  line: number;
  column: number;
  /** Path of the offending field inside the document, e.g. "spec.callees[1].id". */
  path: string;
  message: string;
  hint?: string;
  /** Name of the policy the problem belongs to, when known. */
  policy?: string;
}

export interface LoadedPolicies {
  /** Policies that passed every check; safe to reconcile. */
  policies: LockdownPolicy[];
  problems: PolicyProblem[];
  /** Files with at least one error: none of their policies are in `policies`. */
  invalidFiles: string[];
  /** Every file that was read. */
  files: string[];
  /**
   * Resources named anywhere in an invalid file (found by their ids in its text, whatever
   * its structure): nothing is written to them until the file is fixed, so a typo never
   * turns into the removal of what that file's policy protects.
   */
  frozenResources: FrozenResource[];
}

/** The id that freezes every resource: a policy file that could not be read may protect anything. */
export const EVERY_RESOURCE = '*';

export interface FrozenResource {
  /** Canonical (lower-cased) ARM id. */
  id: string;
  file: string;
}
