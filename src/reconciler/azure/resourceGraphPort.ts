/**
 * The port with bulk observation: before a tick's reads, two Resource Graph queries (one per
 * table) fetch every site, plan and virtual network, and every site's config/web, in the
 * subscriptions the policies name. Reads are answered from those rows; what they do not hold
 * (a resource Resource Graph has not indexed yet, a subscription no policy names) is read from
 * ARM. Writes, and the Activity Log, always go to ARM, and the tick re-reads from ARM
 * (`authoritative`) whatever a write depends on before it plans the write.
 */
import type { Site, SiteConfigResource } from '@azure/arm-appservice';
import type { VirtualNetwork } from '@azure/arm-network';
import type { ArmError } from '../armError';
import type { ObservedPlan, ObservedSite, ObservedSiteConfig, ObservedVirtualNetwork } from '../observed';
import type { ActivityRecord, AzurePort, ListScope, ObservationSource, PortCallOptions, PutSubnetOptions, SiteConfigPatch, UpdateSiteConfigOptions } from '../port';
import { canonicalId, parseResourceId } from '../resourceId';
import { toObservedSite, toObservedSiteConfig, toObservedVirtualNetwork } from './armPort';
import type { ResourceGraphClient, ResourceGraphRow } from './resourceGraph';

/** One query shape per table; the subscriptions travel in the request body. */
export const RESOURCES_QUERY =
  "resources | where type in~ ('microsoft.web/sites', 'microsoft.web/sites/slots', 'microsoft.web/serverfarms', 'microsoft.network/virtualnetworks') | project id, name, type, location, kind, sku, etag, properties | order by id asc";
export const SITE_CONFIG_QUERY = "appserviceresources | where type =~ 'microsoft.web/sites/config/web' | project id, name, type, properties | order by id asc";

export interface ResourceGraphPortOptions {
  /** Below this many apps named by the policies, reads go to ARM (its burst covers them); 0: always Resource Graph. */
  minApps?: number;
}

export interface Snapshot {
  /** Apps and deployment slots, by canonical id. */
  sites: Map<string, ObservedSite>;
  /** The slots of each app the rows hold (an app without slots has none listed). */
  slotsOfApp: Map<string, ObservedSite[]>;
  siteConfigs: Map<string, ObservedSiteConfig>;
  plans: Map<string, ObservedPlan>;
  virtualNetworks: Map<string, ObservedVirtualNetwork>;
}

type Properties = Record<string, unknown>;
const propertiesOf = (value: unknown): Properties => ((value as { properties?: Properties } | undefined)?.properties ?? {});

/** A child resource as the SDKs deserialize it: the wire format's `properties` lifted one level. */
function flattened(child: unknown): Properties {
  const { properties, ...rest } = (child ?? {}) as Properties & { properties?: Properties };
  return { ...rest, ...(properties ?? {}) };
}

function toSdkVirtualNetwork(row: ResourceGraphRow): VirtualNetwork {
  const properties = propertiesOf(row);
  const subnets = ((properties.subnets as unknown[]) ?? []).map((subnet) => {
    const flat = flattened(subnet);
    return {
      ...flat,
      delegations: ((flat.delegations as unknown[]) ?? []).map(flattened),
      serviceAssociationLinks: ((flat.serviceAssociationLinks as unknown[]) ?? []).map(flattened),
    };
  });
  return { id: String(row.id), name: String(row.name), location: String(row.location ?? ''), etag: row.etag as string | undefined, ...properties, subnets } as VirtualNetwork;
}

function toSnapshot(resources: ResourceGraphRow[], configs: ResourceGraphRow[]): Snapshot {
  const snapshot: Snapshot = { sites: new Map(), slotsOfApp: new Map(), siteConfigs: new Map(), plans: new Map(), virtualNetworks: new Map() };
  for (const row of resources) {
    const id = String(row.id);
    switch (String(row.type).toLowerCase()) {
      case 'microsoft.web/sites':
        snapshot.sites.set(canonicalId(id), toObservedSite({ id, name: row.name, location: row.location, kind: row.kind, ...propertiesOf(row) } as Site, id));
        break;
      case 'microsoft.web/sites/slots': {
        const slot = toObservedSite({ id, name: row.name, location: row.location, kind: row.kind, ...propertiesOf(row) } as Site, id);
        snapshot.sites.set(canonicalId(id), slot);
        const appId = canonicalId(id.replace(/\/slots\/[^/]+$/i, ''));
        snapshot.slotsOfApp.set(appId, [...(snapshot.slotsOfApp.get(appId) ?? []), slot]);
        break;
      }
      case 'microsoft.web/serverfarms': {
        const sku = (row.sku ?? {}) as { name?: string; tier?: string };
        snapshot.plans.set(canonicalId(id), { id, skuName: sku.name, skuTier: sku.tier });
        break;
      }
      case 'microsoft.network/virtualnetworks':
        snapshot.virtualNetworks.set(canonicalId(id), toObservedVirtualNetwork(toSdkVirtualNetwork(row), id));
        break;
    }
  }
  for (const row of configs) {
    const siteId = String(row.id).replace(/\/config\/web$/i, '');
    snapshot.siteConfigs.set(canonicalId(siteId), toObservedSiteConfig(propertiesOf(row) as SiteConfigResource));
  }
  return snapshot;
}

export class ResourceGraphPort implements AzurePort {
  readonly authoritative: AzurePort;
  readonly #graph: ResourceGraphClient;
  readonly #minApps: number;
  #snapshot?: Snapshot;

  constructor(arm: AzurePort, graph: ResourceGraphClient, options: ResourceGraphPortOptions = {}) {
    this.authoritative = arm;
    this.#graph = graph;
    this.#minApps = options.minApps ?? 0;
  }

  /** Every site, site config, plan and virtual network of the subscriptions, in two queries (all pages). Throws ArmError. */
  async readSubscriptions(subscriptions: string[], options: PortCallOptions = {}): Promise<Snapshot> {
    const sorted = [...new Set(subscriptions.map((id) => id.toLowerCase()))].sort();
    const [resources, configs] = await Promise.all([this.#graph.query(RESOURCES_QUERY, sorted, options), this.#graph.query(SITE_CONFIG_QUERY, sorted, options)]);
    return toSnapshot(resources, configs);
  }

  async prefetch(resourceIds: string[], options: PortCallOptions = {}): Promise<ObservationSource> {
    this.#snapshot = undefined;
    const apps = resourceIds.filter((id) => /\/providers\/microsoft\.web\/sites\//i.test(id)).length;
    if (apps < this.#minApps) return { name: 'arm', detail: `${apps} apps, below ${this.#minApps}: read from ARM` };
    const subscriptions = resourceIds.map((id) => parseResourceId(id)?.subscriptionId).filter((id): id is string => !!id);
    const requestsBefore = this.#graph.requests;
    try {
      const snapshot = await this.readSubscriptions(subscriptions, options);
      this.#snapshot = snapshot;
      return { name: 'resourceGraph', detail: `${new Set(subscriptions.map((id) => id.toLowerCase())).size} subscription(s), ${snapshot.sites.size} apps`, requests: this.#graph.requests - requestsBefore };
    } catch (error) {
      // Refused (403, 400) or failing: ARM reads give the same answers, only more slowly.
      const armError = error as ArmError;
      return { name: 'arm', detail: `Resource Graph failed (${armError.statusCode ?? ''} ${armError.code ?? ''}: ${armError.message}); read from ARM`, requests: this.#graph.requests - requestsBefore };
    }
  }

  getVirtualNetwork(virtualNetworkId: string, options?: PortCallOptions): Promise<ObservedVirtualNetwork> {
    const found = this.#snapshot?.virtualNetworks.get(canonicalId(virtualNetworkId));
    return found ? Promise.resolve(found) : this.authoritative.getVirtualNetwork(virtualNetworkId, options);
  }

  getSite(siteId: string, options?: PortCallOptions): Promise<ObservedSite> {
    const found = this.#snapshot?.sites.get(canonicalId(siteId));
    return found ? Promise.resolve(found) : this.authoritative.getSite(siteId, options);
  }

  getSiteConfig(siteId: string, options?: PortCallOptions): Promise<ObservedSiteConfig> {
    const found = this.#snapshot?.siteConfigs.get(canonicalId(siteId));
    return found ? Promise.resolve(found) : this.authoritative.getSiteConfig(siteId, options);
  }

  getPlan(planId: string, options?: PortCallOptions): Promise<ObservedPlan> {
    const found = this.#snapshot?.plans.get(canonicalId(planId));
    return found ? Promise.resolve(found) : this.authoritative.getPlan(planId, options);
  }

  listSites(scope: ListScope, options?: PortCallOptions): Promise<ObservedSite[]> {
    return this.authoritative.listSites(scope, options);
  }

  listVirtualNetworks(scope: ListScope, options?: PortCallOptions): Promise<ObservedVirtualNetwork[]> {
    return this.authoritative.listVirtualNetworks(scope, options);
  }

  /**
   * An app's slots from the `resources` rows when the rows hold the app; otherwise (not indexed
   * yet, no snapshot) from ARM. A slot created since the index caught up is found by a later
   * tick, or at once by the event path, whose targeted reconciles read through ARM.
   */
  listSlots(siteId: string, options?: PortCallOptions): Promise<ObservedSite[]> {
    const app = canonicalId(siteId);
    if (this.#snapshot?.sites.has(app)) return Promise.resolve(this.#snapshot.slotsOfApp.get(app) ?? []);
    return this.authoritative.listSlots(siteId, options);
  }

  putSubnet(subnetId: string, body: Record<string, unknown>, options?: PutSubnetOptions): Promise<void> {
    return this.authoritative.putSubnet(subnetId, body, options);
  }

  connectSiteToSubnet(siteId: string, subnetId: string, options?: PortCallOptions): Promise<void> {
    return this.authoritative.connectSiteToSubnet(siteId, subnetId, options);
  }

  updateSiteConfig(siteId: string, patch: SiteConfigPatch, options?: UpdateSiteConfigOptions): Promise<void> {
    return this.authoritative.updateSiteConfig(siteId, patch, options);
  }

  listActivity(resourceId: string, fromIso: string, toIso: string, options?: PortCallOptions): Promise<ActivityRecord[]> {
    return this.authoritative.listActivity(resourceId, fromIso, toIso, options);
  }
}
