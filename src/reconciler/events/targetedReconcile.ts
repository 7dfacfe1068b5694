/**
 * A targeted reconcile: the same load → observe → diff → modes → apply → alerting as a tick,
 * limited to the groups of pairs the changed resources belong to (see targets.ts), under
 * their leases, with the actors the events named.
 */
import { randomUUID } from 'node:crypto';
import type { AfterTickOptions, AfterTickReport } from '../alerts/afterTick';
import type { ActorFound } from '../alerts/types';
import type { Logger } from '../logger';
import { loadPolicies } from '../policy/load';
import type { LockdownPolicy } from '../policy/types';
import type { AzurePort } from '../port';
import { virtualNetworkOf } from '../resourceId';
import { runTick, type TickOptions, type TickReport } from '../tick';
import { acquireGroups, type LeaseStore, type WaitOptions } from './lease';
import type { ResourceChange } from './resourceChange';
import { TargetIndex } from './targets';

export interface TargetedReconcileOptions {
  policyPaths: string[];
  port: AzurePort;
  logger: Logger;
  dryRun?: boolean;
  /** The git commit of the policies being enforced, carried into status, history and alerts. */
  policyRevision?: string;
  /** Follow links that leave the policy folders (LOCKDOWN_FOLLOW_EXTERNAL_LINKS). */
  followExternalLinks?: boolean;
  applyOptions?: TickOptions['applyOptions'];
  /** Leases in the state storage; without them only this instance is kept from overlapping. */
  leases?: LeaseStore;
  /** Names this run in leases; default a random id. */
  holder?: string;
  /** A lease outlives a run that died by this much; default 5 min. */
  leaseTtlInMs?: number;
  leaseWait?: WaitOptions;
  /** The alerting pass after the reconcile (the timer's `afterTick`), given the events' actors. */
  alert?: (report: TickReport, options: Pick<AfterTickOptions, 'knownActors'>) => Promise<AfterTickReport>;
}

export interface TargetedReconcileReport {
  /** reconciled; or nothing to do: no policy names the resources. */
  outcome: 'reconciled' | 'notNamed';
  resources: string[];
  groups: string[];
  pairs: number;
  tick?: TickReport;
  alerts?: AfterTickReport;
}

/** Another instance kept the leases for longer than the wait: the event is to be delivered again. */
export class LeaseBusyError extends Error {
  override readonly name = 'LeaseBusyError';
}

/** The newest event's actor per resource the policies name (a VNet write counts for each of its named subnets). */
export function actorsByResource(changes: ResourceChange[], policies: LockdownPolicy[]): Map<string, ActorFound> {
  const subnetsOfNetwork = new Map<string, Set<string>>();
  for (const policy of policies) {
    const network = virtualNetworkOf(policy.subnetId);
    subnetsOfNetwork.set(network, (subnetsOfNetwork.get(network) ?? new Set()).add(policy.subnetId));
  }
  const actors = new Map<string, ActorFound>();
  const newest = [...changes].sort((a, b) => Date.parse(a.eventTime) - Date.parse(b.eventTime));
  for (const change of newest) {
    const ids = change.resource.kind === 'virtualNetwork' ? [...(subnetsOfNetwork.get(change.resource.id) ?? [])] : [change.resource.id];
    for (const id of ids) actors.set(id, change.actor);
  }
  return actors;
}

export async function reconcileChanges(changes: ResourceChange[], options: TargetedReconcileOptions): Promise<TargetedReconcileReport> {
  const resources = [...new Set(changes.map((change) => change.resource.id))];
  const loaded = await loadPolicies(options.policyPaths, { followExternalLinks: options.followExternalLinks });
  const selection = new TargetIndex(loaded.policies).select(changes.map((change) => change.resource));
  const base = { resources, groups: selection.groups.map((group) => group.key), pairs: selection.groups.reduce((sum, group) => sum + group.pairs, 0) };
  if (selection.groups.length === 0) return { outcome: 'notNamed', ...base };

  const holder = options.holder ?? randomUUID();
  const leases = options.leases ? await acquireGroups(options.leases, base.groups, holder, options.leaseTtlInMs ?? 5 * 60_000, options.leaseWait) : [];
  if (!leases) throw new LeaseBusyError(`another instance is reconciling ${base.groups.join(', ')}; the event will be delivered again`);
  try {
    const tick = await runTick({
      policyPaths: options.policyPaths,
      loaded: { ...loaded, policies: selection.policies },
      port: options.port,
      logger: options.logger,
      apply: true,
      dryRun: options.dryRun,
      policyRevision: options.policyRevision,
      followExternalLinks: options.followExternalLinks,
      applyOptions: options.applyOptions,
    });
    const alerts = await options.alert?.(tick, { knownActors: actorsByResource(changes, selection.policies) });
    return { outcome: 'reconciled', ...base, tick, ...(alerts ? { alerts } : {}) };
  } finally {
    if (options.leases) await Promise.all(leases.map((lease) => options.leases!.release(lease)));
  }
}
