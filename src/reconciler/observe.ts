/**
 * Observe: read every resource the policies mention, once per tick, with bounded concurrency.
 * Failures become observations (`missing`, `unreadable`), never exceptions: one unreadable
 * resource must not stop the pairs that do not need it.
 */
import { ArmError, isNotFound, toArmError } from './armError';
import { mapWithConcurrency } from './concurrency';
import type { Observation, ObservedState } from './observed';
import type { LockdownPolicy } from './policy/types';
import type { AzurePort, PortCallOptions } from './port';
import { appOfSlot, canonicalId, virtualNetworkOf } from './resourceId';

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

function byVirtualNetwork(subnetIds: Map<string, string>): Map<string, Map<string, string>> {
  const groups = new Map<string, Map<string, string>>();
  for (const [subnetId, displayId] of subnetIds) {
    const vnet = virtualNetworkOf(subnetId);
    const group = groups.get(vnet);
    if (group) group.set(subnetId, displayId);
    else groups.set(vnet, new Map([[subnetId, displayId]]));
  }
  return groups;
}

/** Apps whose slots are read: callees (unless `slots: none`) and the callers of `callerSlots: all`, by canonical id. */
function appsWithSlots(policies: LockdownPolicy[]): Map<string, string> {
  const apps = new Map<string, string>();
  for (const policy of policies) {
    for (const callee of policy.callees) if (callee.slots?.kind !== 'none' && !appOfSlot(callee.id)) apps.set(callee.id, callee.displayId);
    if (policy.callerSlots === 'all') for (const caller of policy.callers) if (!appOfSlot(caller.id)) apps.set(caller.id, caller.displayId);
  }
  return apps;
}

/** The slots that `callerSlots: all` makes callers, once the lists are read. */
function callerSlotsOf(policies: LockdownPolicy[], state: ObservedState): string[] {
  const slots: string[] = [];
  for (const policy of policies) {
    if (policy.callerSlots !== 'all') continue;
    for (const caller of policy.callers) {
      const listed = state.slots?.get(caller.id);
      if (listed?.status === 'found') slots.push(...listed.value);
    }
  }
  return slots;
}

/** What the slot reads fill, keyed like an ObservedState: each app's slot list, each slot's site and config. */
export type SlotObservations = Pick<ObservedState, 'sites' | 'siteConfigs'> & { slots: Map<string, Observation<string[]>> };

type Read = () => Promise<void>;

/** One paged list of an app's slots, which returns each slot's site properties (no read per guessed slot name). */
export function readSlotList(port: Pick<AzurePort, 'listSlots'>, appId: string, displayId: string, state: SlotObservations, call: PortCallOptions): Read {
  return async () => {
    const listed = await observeOne(() => port.listSlots(displayId, call));
    state.slots.set(appId, listed.status === 'found' ? { status: 'found', value: listed.value.map((slot) => canonicalId(slot.id)) } : listed);
    if (listed.status === 'found') for (const slot of listed.value) state.sites.set(canonicalId(slot.id), { status: 'found', value: slot });
  };
}

/** A listed slot's config is read like an app's: one read per slot whose config is not read yet. */
export function slotConfigReads(port: Pick<AzurePort, 'getSiteConfig'>, state: SlotObservations, call: PortCallOptions): Read[] {
  const slotConfigs = new Map<string, string>();
  for (const slots of state.slots.values()) {
    if (slots.status !== 'found') continue;
    for (const slotId of slots.value) {
      const slot = state.sites.get(slotId);
      if (slot?.status === 'found' && !state.siteConfigs.has(slotId)) slotConfigs.set(slotId, slot.value.id);
    }
  }
  return [...slotConfigs].map(([slotId, displayId]) => async () => {
    state.siteConfigs.set(slotId, await observeOne(() => port.getSiteConfig(displayId, call)));
  });
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
  const slotOwners = appsWithSlots(policies);
  const slots = new Map<string, Observation<string[]>>();
  const state: ObservedState = { subnets: new Map(), sites: new Map(), siteConfigs: new Map(), plans: new Map(), slots, observedAt: '' };
  const slotState: SlotObservations = { sites: state.sites, siteConfigs: state.siteConfigs, slots };
  // A bulk source (Resource Graph) fetches every named resource in a few queries first.
  const source = await port.prefetch?.([...subnetIds.values(), ...siteIds.values()], call);
  if (source) state.source = source;
  const readVnets = new Set<string>();
  const readVnet = (vnetId: string, wanted: Map<string, string>) => async () => {
    readVnets.add(vnetId);
    const vnet = await observeOne(() => port.getVirtualNetwork(vnetId, call));
    if (vnet.status !== 'found') {
      for (const subnetId of wanted.keys()) state.subnets.set(subnetId, vnet);
      return;
    }
    // Every subnet of the VNet is kept: a caller may be integrated with one no policy names.
    for (const subnet of vnet.value.subnets) state.subnets.set(canonicalId(subnet.id), { status: 'found', value: { ...subnet, location: subnet.location ?? vnet.value.location } });
    for (const [subnetId, displayId] of wanted) {
      if (!state.subnets.has(subnetId)) state.subnets.set(subnetId, { status: 'missing', error: new ArmError(`subnet ${displayId} not found`, 'NotFound', 404, 'fatal', displayId) });
    }
  };

  const reads: Read[] = [];
  for (const [vnetId, subnets] of byVirtualNetwork(subnetIds)) reads.push(readVnet(vnetId, subnets));
  for (const [siteId, displayId] of siteIds) {
    reads.push(async () => {
      state.sites.set(siteId, await observeOne(() => port.getSite(displayId, call)));
    });
    reads.push(async () => {
      state.siteConfigs.set(siteId, await observeOne(() => port.getSiteConfig(displayId, call)));
    });
  }
  for (const [appId, displayId] of slotOwners) reads.push(readSlotList(port, appId, displayId, slotState, call));
  await mapWithConcurrency(reads, concurrency, (read) => read());
  const slotCallers = callerSlotsOf(policies, state);
  for (const slotId of slotCallers) callerIds.add(slotId);

  // Plans and the subnets callers are integrated with now are known only once the callers are
  // read; each is read once however many callers share it.
  const planIds = new Map<string, string>();
  const integrationSubnets = new Map<string, string>();
  for (const callerId of callerIds) {
    const site = state.sites.get(callerId);
    if (site?.status !== 'found') continue;
    if (site.value.serverFarmId) planIds.set(canonicalId(site.value.serverFarmId), site.value.serverFarmId);
    const integrated = site.value.integrationSubnetId;
    if (integrated && !state.subnets.has(canonicalId(integrated))) integrationSubnets.set(canonicalId(integrated), integrated);
  }
  const laterReads: Read[] = [...planIds].map(([planKey, planId]) => async () => {
    state.plans.set(planKey, await observeOne(() => port.getPlan(planId, call)));
  });
  // A slot's site came with its app's list; its config is read like an app's.
  laterReads.push(...slotConfigReads(port, slotState, call));
  for (const [vnetId, subnets] of byVirtualNetwork(integrationSubnets)) if (!readVnets.has(vnetId)) laterReads.push(readVnet(vnetId, subnets));
  await mapWithConcurrency(laterReads, concurrency, (read) => read());

  state.observedAt = (options.now ?? (() => new Date()))().toISOString();
  return state;
}
