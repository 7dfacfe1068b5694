/**
 * The one narrow port to Azure. Everything above it speaks Lockdown's own types; the only
 * implementation that talks to ARM is `azure/armPort.ts`. Every method throws `ArmError`.
 */
import type { AccessRule, ObservedPlan, ObservedSite, ObservedSiteConfig, ObservedVirtualNetwork } from './observed';

export interface PortCallOptions {
  abortSignal?: AbortSignal;
  /**
   * Sent as x-ms-correlation-request-id: a write and the reads that guard it share one, so ARM's
   * logs and the Activity Log show them together, and an outcome names the id of its write.
   */
  correlationId?: string;
}

/**
 * Site config has no etag in ARM: the port compares the rule lists it is about to replace
 * with these (as observed) right before the write, and refuses (412) if they changed.
 */
export interface UpdateSiteConfigOptions extends PortCallOptions {
  expectedAccessRules?: AccessRule[];
  expectedScmAccessRules?: AccessRule[];
  expectedDefaultAction?: 'Allow' | 'Deny';
}

export interface PutSubnetOptions extends PortCallOptions {
  /** The etag observed: ARM answers 412 if the subnet changed since. */
  ifMatch?: string;
}

/** The access-restriction fields of sites/config/web that Lockdown writes; absent = leave as is. */
export interface SiteConfigPatch {
  accessRules?: AccessRule[];
  defaultAction?: 'Allow' | 'Deny';
  scmAccessRules?: AccessRule[];
  scmDefaultAction?: 'Allow' | 'Deny';
  scmUseMain?: boolean;
  vnetRouteAllEnabled?: boolean;
  /** Site-wide switch; the 2025-05-01 site PATCH schema does not accept it, site config does. */
  publicNetworkAccess?: 'Enabled' | 'Disabled';
}

export interface ActivityRecord {
  eventTimestamp: string;
  caller?: string;
  operationName?: string;
  resourceId?: string;
  correlationId?: string;
  status?: string;
}

/** Where a list reads: a whole subscription, or one resource group in it. */
export interface ListScope {
  subscriptionId: string;
  resourceGroup?: string;
}

/** Where a tick's reads came from (logged with the tick). */
export interface ObservationSource {
  name: 'arm' | 'resourceGraph';
  detail: string;
  /** Bulk queries sent. */
  requests?: number;
}

export interface AzurePort {
  /**
   * A port whose reads come from an index that lags ARM (Resource Graph) names the port that
   * reads ARM itself: the tick confirms through it whatever a write depends on.
   */
  readonly authoritative?: AzurePort;
  /** Called once per tick before the reads, with every resource the policies name: a bulk source fetches them here. */
  prefetch?(resourceIds: string[], options?: PortCallOptions): Promise<ObservationSource>;
  /** One read gives the VNet's location and every subnet in it. */
  getVirtualNetwork(virtualNetworkId: string, options?: PortCallOptions): Promise<ObservedVirtualNetwork>;
  getSite(siteId: string, options?: PortCallOptions): Promise<ObservedSite>;
  /** Site config of an app or of a deployment slot (.../sites/{app}/slots/{slot}); the same for the writes below. */
  getSiteConfig(siteId: string, options?: PortCallOptions): Promise<ObservedSiteConfig>;
  getPlan(planId: string, options?: PortCallOptions): Promise<ObservedPlan>;
  /** Every deployment slot of one app, all pages: one list per app, never a read per guessed name. */
  listSlots(siteId: string, options?: PortCallOptions): Promise<ObservedSite[]>;
  /** Every app (sites, not slots) in the scope, all pages. Read-only. */
  listSites(scope: ListScope, options?: PortCallOptions): Promise<ObservedSite[]>;
  /** Every virtual network in the scope with its subnets, all pages. Read-only. */
  listVirtualNetworks(scope: ListScope, options?: PortCallOptions): Promise<ObservedVirtualNetwork[]>;
  /** Full replace of the subnet; waits for the long-running operation to finish. */
  putSubnet(subnetId: string, body: Record<string, unknown>, options?: PutSubnetOptions): Promise<void>;
  /** Regional (swift) VNet integration of a site into a subnet. */
  connectSiteToSubnet(siteId: string, subnetId: string, options?: PortCallOptions): Promise<void>;
  updateSiteConfig(siteId: string, patch: SiteConfigPatch, options?: UpdateSiteConfigOptions): Promise<void>;
  /** Activity Log entries for one resource in a time window. */
  listActivity(resourceId: string, fromIso: string, toIso: string, options?: PortCallOptions): Promise<ActivityRecord[]>;
}
