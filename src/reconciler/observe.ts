/**
 * Observe: read every resource the policies mention, once per tick, with bounded concurrency.
 * Failures become observations (`missing`, `unreadable`), never exceptions: one unreadable
 * resource must not stop the pairs that do not need it.
 */
import { ArmError, isNotFound } from './armError';
import { mapWithConcurrency } from './concurrency';
import type { Observation, ObservedState } from './observed';
import type { LockdownPolicy } from './policy/types';
import type { AzurePort, PortCallOptions } from './port';
import { canonicalId, virtualNetworkOf } from './resourceId';

export interface ObserveOptions extends PortCallOptions {
  /** Reads in flight at once. */
  concurrency?: number;
  now?: () => Date;
}

async function observeOne<T>(read: () => Promise<T>): Promise<Observation<T>> {
  try {
    return { status: 'found', value: await read() };
  } catch (error) {
    const armError = toArmError(error);
    return isNotFound(armError) ? { status: 'missing', error: armError } : { status: 'unreadable', error: armError };
  }
}

function toArmError(error: unknown): ArmError {
  if (error instanceof Error && error.name === 'ArmError') return error as ArmError;
  const message = error instanceof Error ? error.message : String(error);
  return new ArmError(message, 'UnexpectedError', undefined, 'retryable');
}

export async function observe(port: AzurePort, policies: LockdownPolicy[], options: ObserveOptions = {}): Promise<ObservedState> {
  const concurrency = options.concurrency ?? 8;
  const call: PortCallOptions = { abortSignal: options.abortSignal };

  const subnetIds = new Map<string, string>();
  const siteIds = new Map<string, string>();
  const callerIds = new Set<string>();
  for (const policy of policies) {
    subnetIds.set(policy.subnetId, policy.subnetDisplayId);
    for (const caller of policy.callers) {
      siteIds.set(caller.id, caller.displayId);
      callerIds.add(caller.id);
    }
    for (const callee of policy.callees) siteIds.set(callee.id, callee.displayId);
  }
  const vnetIds = new Map<string, string[]>();
  for (const subnetId of subnetIds.keys()) {
    const vnet = virtualNetworkOf(subnetId);
    vnetIds.set(vnet, [...(vnetIds.get(vnet) ?? []), subnetId]);
  }

  const state: ObservedState = { subnets: new Map(), sites: new Map(), siteConfigs: new Map(), plans: new Map(), observedAt: '' };

  type Read = () => Promise<void>;
  const reads: Read[] = [];
  for (const [vnetId, subnets] of vnetIds) {
    reads.push(async () => {
      const vnet = await observeOne(() => port.getVirtualNetwork(vnetId, call));
      for (const subnetId of subnets) {
        if (vnet.status !== 'found') {
          state.subnets.set(subnetId, vnet);
          continue;
        }
        const subnet = vnet.value.subnets.find((candidate) => canonicalId(candidate.id) === subnetId);
        state.subnets.set(
          subnetId,
          subnet
            ? { status: 'found', value: { ...subnet, location: subnet.location ?? vnet.value.location } }
            : { status: 'missing', error: new ArmError(`subnet ${subnetIds.get(subnetId)} not found`, 'NotFound', 404, 'fatal', subnetIds.get(subnetId)) },
        );
      }
    });
  }
  for (const [siteId, displayId] of siteIds) {
    reads.push(async () => {
      state.sites.set(siteId, await observeOne(() => port.getSite(displayId, call)));
    });
    reads.push(async () => {
      state.siteConfigs.set(siteId, await observeOne(() => port.getSiteConfig(displayId, call)));
    });
  }
  await mapWithConcurrency(reads, concurrency, (read) => read());

  // Plans are known only once the callers are read; each plan is read once however many callers share it.
  const planIds = new Map<string, string>();
  for (const callerId of callerIds) {
    const site = state.sites.get(callerId);
    if (site?.status === 'found' && site.value.serverFarmId) planIds.set(canonicalId(site.value.serverFarmId), site.value.serverFarmId);
  }
  await mapWithConcurrency([...planIds], concurrency, async ([planKey, planId]) => {
    state.plans.set(planKey, await observeOne(() => port.getPlan(planId, call)));
  });

  state.observedAt = (options.now ?? (() => new Date()))().toISOString();
  return state;
}
