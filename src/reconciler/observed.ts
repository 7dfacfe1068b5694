/**
 * Actual state as read from ARM, already normalized into the shapes the diff compares:
 * canonical ids, implicit "Allow all"/"Deny all" rules removed, defaults made explicit.
 */
import type { ArmError } from './armError';
import type { ObservationSource } from './port';

/** One access restriction rule, with every field ARM keeps (so a kept rule is written back unchanged). */
export interface AccessRule {
  name?: string;
  description?: string;
  action?: string;
  priority?: number;
  ipAddress?: string;
  subnetMask?: string;
  vnetSubnetResourceId?: string;
  vnetTrafficTag?: number;
  subnetTrafficTag?: number;
  /** "Default" | "XffProxy" | "ServiceTag". */
  tag?: string;
  headers?: Record<string, string[]>;
}

export interface ServiceEndpoint {
  service: string;
  locations?: string[];
}

export interface SubnetDelegation {
  name: string;
  serviceName: string;
}

export interface ObservedSubnet {
  id: string;
  location?: string;
  serviceEndpoints: ServiceEndpoint[];
  delegations: SubnetDelegation[];
  /** Canonical ids of the App Service plans integrated with this subnet (ARM allows one). */
  appServicePlans?: string[];
  provisioningState?: string;
  /** An outbound path of its own: a NAT gateway, or a route table (which may hold a default route). */
  natGatewayId?: string;
  routeTableId?: string;
  /** Sent back as If-Match, so a write never overwrites a change made after the observation. */
  etag?: string;
  /**
   * The subnet exactly as ARM returned it (SDK model, plain data). Subnet PUT replaces the
   * whole resource, so a write starts from this and changes only what Lockdown owns.
   */
  body: Record<string, unknown>;
}

export interface ObservedVirtualNetwork {
  id: string;
  location: string;
  subnets: ObservedSubnet[];
}

export interface ObservedSite {
  id: string;
  location: string;
  kind?: string;
  serverFarmId?: string;
  /** Subnet of the regional VNet integration, canonical id; undefined when not integrated. */
  integrationSubnetId?: string;
  /** "Enabled" | "Disabled" | "" (ARM's empty string means Enabled unless private endpoints exist). */
  publicNetworkAccess?: string;
  /** Every address its outbound calls may come from (outboundIpAddresses and possibleOutboundIpAddresses): what discovery attributes. */
  outboundIpAddresses?: string[];
  /** Addresses its calls leave from now (outboundIpAddresses) when they do not enter a subnet with the Microsoft.Web endpoint: what reachability uses. */
  outboundAddresses?: string[];
}

export interface ObservedSiteConfig {
  /** Rules without ARM's implicit trailing rule. */
  accessRules: AccessRule[];
  /** Effective default action: explicit, or Deny when rules exist and none is set, else Allow. */
  defaultAction: 'Allow' | 'Deny';
  scmAccessRules: AccessRule[];
  scmDefaultAction: 'Allow' | 'Deny';
  scmUseMain: boolean;
  vnetRouteAllEnabled: boolean;
}

export interface ObservedPlan {
  id: string;
  skuName?: string;
  skuTier?: string;
}

export type Observation<T> =
  | { status: 'found'; value: T }
  | { status: 'missing'; error: ArmError }
  | { status: 'unreadable'; error: ArmError };

/** Everything one tick read, keyed by canonical id. Each resource is read once per tick. */
export interface ObservedState {
  subnets: Map<string, Observation<ObservedSubnet>>;
  sites: Map<string, Observation<ObservedSite>>;
  siteConfigs: Map<string, Observation<ObservedSiteConfig>>;
  plans: Map<string, Observation<ObservedPlan>>;
  /**
   * The deployment slots of each app whose slots the policies cover (callees, and callers with
   * `callerSlots: all`), by the app's canonical id: canonical slot ids. Each slot's site is in
   * `sites` and its config in `siteConfigs`, like an app's.
   */
  slots?: Map<string, Observation<string[]>>;
  /** When the observation finished (ISO); the diff never reads a clock. */
  observedAt: string;
  /** Where the reads came from, when the port says (a bulk source). */
  source?: ObservationSource;
}
