/**
 * The estate: every app, its access rules and every virtual network in the scope, as one
 * read-only snapshot that discovery proposes policies from. Where it comes from is an
 * `EstateSource`; today the ARM port (one list per scope, then one config read per app),
 * and any other bulk reader (Resource Graph) can stand in without touching discovery.
 */
import type { ArmError } from '../reconciler/armError';
import { mapWithConcurrency } from '../reconciler/concurrency';
import type { Observation, ObservedSite, ObservedSiteConfig, ObservedVirtualNetwork } from '../reconciler/observed';
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
  /** What was being read: "apps", "virtual networks", "access rules". */
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

function unreadable(resourceId: string, what: string, error: unknown): UnreadableResource {
  const armError = error as Partial<ArmError>;
  return {
    resourceId,
    what,
    code: armError.code ?? 'UnexpectedError',
    statusCode: armError.statusCode,
    message: armError.message ?? String(error),
  };
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
    estate.unreadable.sort((a, b) => a.resourceId.localeCompare(b.resourceId) || a.what.localeCompare(b.what));
    return estate;
  };
}
