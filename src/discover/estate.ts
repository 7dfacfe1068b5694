/**
 * The estate: every app, its access rules and every virtual network in the scope, as one
 * read-only snapshot that discovery proposes policies from, with the deployment slots of the
 * apps that may be callees. Where it comes from is an `EstateSource`; today the ARM port (one
 * list per scope, then one config read per app), and any other bulk reader (Resource Graph) can
 * stand in without touching discovery. Slots are read as a tick's observe reads them.
 */
import type { ArmError } from '../reconciler/armError';
import { mapWithConcurrency } from '../reconciler/concurrency';
import type { Observation, ObservedSite, ObservedSiteConfig, ObservedVirtualNetwork } from '../reconciler/observed';
import { readSlotList, slotConfigReads, type SlotObservations } from '../reconciler/observe';
import type { AzurePort, ListScope, PortCallOptions } from '../reconciler/port';
import { canonicalId } from '../reconciler/resourceId';

export interface DiscoveryScope {
  subscriptions: string[];
  /** Resource groups to read in each subscription; empty = the whole subscriptions. */
  resourceGroups: string[];
}

/** Something that could not be read: reported, never guessed. */
export interface UnreadableResource {
  resourceId: string;
  /** What was being read: "apps", "virtual networks", "access rules", "deployment slots". */
  what: string;
  code: string;
  statusCode?: number;
  message: string;
}

export interface Estate {
  sites: ObservedSite[];
  /** Keyed by canonical site id. */
  siteConfigs: Map<string, Observation<ObservedSiteConfig>>;
  virtualNetworks: ObservedVirtualNetwork[];
  unreadable: UnreadableResource[];
  /**
   * The deployment slots of each app that may be a callee (see `slotsRead`), by the app's
   * canonical id: canonical slot ids, or the error that kept the list from being read. Each
   * listed slot's site is in `slotSites`, its config in `siteConfigs` (by canonical slot id).
   * Absent: slots were not read.
   */
  slots?: Map<string, Observation<string[]>>;
  slotSites?: Map<string, ObservedSite>;
}

export type EstateSource = (scope: DiscoveryScope, options?: PortCallOptions) => Promise<Estate>;

export interface PortEstateOptions {
  /** Reads in flight at once. */
  concurrency?: number;
}

function listScopes(scope: DiscoveryScope): ListScope[] {
  return scope.subscriptions.flatMap((subscriptionId) =>
    scope.resourceGroups.length === 0 ? [{ subscriptionId }] : scope.resourceGroups.map((resourceGroup) => ({ subscriptionId, resourceGroup })),
  );
}

function scopeLabel(scope: ListScope): string {
  return `/subscriptions/${scope.subscriptionId}${scope.resourceGroup ? `/resourceGroups/${scope.resourceGroup}` : ''}`;
}

export function unreadable(resourceId: string, what: string, error: unknown): UnreadableResource {
  const armError = error as Partial<ArmError>;
  return {
    resourceId,
    what,
    code: armError.code ?? 'UnexpectedError',
    statusCode: armError.statusCode,
    message: armError.message ?? String(error),
  };
}

/**
 * Whether discovery reads an app's slots: it denies by default or takes no public traffic, so
 * an open slot would be a way around it. An app that admits the internet is unprotected
 * whatever its slots do.
 */
export function slotsRead(site: ObservedSite, config: Observation<ObservedSiteConfig> | undefined): boolean {
  return config?.status === 'found' && (config.value.defaultAction === 'Deny' || site.publicNetworkAccess === 'Disabled');
}

/**
 * The slots of every app whose slots are read, with the tick's own slot reads: one paged list
 * per app, then one config read per slot. What cannot be read is reported, never guessed.
 */
export async function readSlots(port: Pick<AzurePort, 'listSlots' | 'getSiteConfig'>, estate: Estate, options: PortCallOptions & PortEstateOptions = {}): Promise<void> {
  const call: PortCallOptions = { abortSignal: options.abortSignal };
  const state: SlotObservations = { sites: new Map(), siteConfigs: new Map(), slots: new Map() };
  const apps = estate.sites.filter((site) => slotsRead(site, estate.siteConfigs.get(canonicalId(site.id))));
  await mapWithConcurrency(
    apps.map((site) => readSlotList(port, canonicalId(site.id), site.id, state, call)),
    options.concurrency ?? 8,
    (read) => read(),
  );
  await mapWithConcurrency(slotConfigReads(port, state, call), options.concurrency ?? 8, (read) => read());

  estate.slots = state.slots;
  estate.slotSites = new Map();
  for (const site of apps) {
    const listed = state.slots.get(canonicalId(site.id));
    if (listed && listed.status !== 'found') estate.unreadable.push(unreadable(site.id, 'deployment slots', listed.error));
  }
  for (const [slotId, slot] of state.sites) {
    if (slot.status !== 'found') continue;
    estate.slotSites.set(slotId, slot.value);
    const config = state.siteConfigs.get(slotId);
    if (!config) continue;
    estate.siteConfigs.set(slotId, config);
    if (config.status !== 'found') estate.unreadable.push(unreadable(slot.value.id, 'access rules', config.error));
  }
}

/** Reads the estate through the port: only list and get calls, never a write. */
export function portEstateSource(port: AzurePort, options: PortEstateOptions = {}): EstateSource {
  const concurrency = options.concurrency ?? 8;
  return async (scope, callOptions = {}) => {
    const call: PortCallOptions = { abortSignal: callOptions.abortSignal };
    const estate: Estate = { sites: [], siteConfigs: new Map(), virtualNetworks: [], unreadable: [] };
    const sites = new Map<string, ObservedSite>();
    const vnets = new Map<string, ObservedVirtualNetwork>();
    const reads = listScopes(scope).flatMap((listScope) => [
      async () => {
        try {
          for (const site of await port.listSites(listScope, call)) sites.set(canonicalId(site.id), site);
        } catch (error) {
          estate.unreadable.push(unreadable(scopeLabel(listScope), 'apps', error));
        }
      },
      async () => {
        try {
          for (const vnet of await port.listVirtualNetworks(listScope, call)) vnets.set(canonicalId(vnet.id), vnet);
        } catch (error) {
          estate.unreadable.push(unreadable(scopeLabel(listScope), 'virtual networks', error));
        }
      },
    ]);
    await mapWithConcurrency(reads, concurrency, (read) => read());

    estate.sites = [...sites.values()].sort((a, b) => canonicalId(a.id).localeCompare(canonicalId(b.id)));
    estate.virtualNetworks = [...vnets.values()].sort((a, b) => canonicalId(a.id).localeCompare(canonicalId(b.id)));
    // The access rules are not in the list answers: one config read per app.
    await mapWithConcurrency(estate.sites, concurrency, async (site) => {
      try {
        estate.siteConfigs.set(canonicalId(site.id), { status: 'found', value: await port.getSiteConfig(site.id, call) });
      } catch (error) {
        const armError = error as ArmError;
        estate.siteConfigs.set(canonicalId(site.id), { status: 'unreadable', error: armError });
        estate.unreadable.push(unreadable(site.id, 'access rules', error));
      }
    });
    await readSlots(port, estate, { concurrency, abortSignal: callOptions.abortSignal });
    estate.unreadable.sort((a, b) => a.resourceId.localeCompare(b.resourceId) || a.what.localeCompare(b.what));
    return estate;
  };
}
