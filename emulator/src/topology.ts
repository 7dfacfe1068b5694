/** Seed format (JSON) and its conversion into store records. */
import { farmId, key, normalizeLocation, pairedLocation, rgOf, siteId, stableGuid, subnetId, uuid, vnetId, etag } from './ids';
import type { FarmRec, Rec, SiteRec, SubnetProps, SubnetRec, VnetRec } from './state';
import { defaultSiteConfig, stripImplicitRules } from './siteConfigModel';

export interface TopologySiteConfig {
  ipSecurityRestrictions?: unknown[];
  scmIpSecurityRestrictions?: unknown[];
  ipSecurityRestrictionsDefaultAction?: 'Allow' | 'Deny';
  scmIpSecurityRestrictionsDefaultAction?: 'Allow' | 'Deny';
  scmIpSecurityRestrictionsUseMain?: boolean;
}

export interface TopologySlot {
  name: string;
  publicNetworkAccess?: 'Enabled' | 'Disabled';
  vnetRouteAllEnabled?: boolean;
  virtualNetworkSubnetId?: string;
  config?: TopologySiteConfig;
}

export interface Topology {
  subscriptionId: string;
  serverFarms: { resourceGroup: string; name: string; location: string; sku: { name: string; tier: string } }[];
  sites: {
    resourceGroup: string;
    name: string;
    location: string;
    /** 'app' | 'functionapp' (or any App Service kind string) */
    kind?: string;
    /** plan name (looked up in the same resource group first, then anywhere) or full id */
    serverFarm: string;
    publicNetworkAccess?: 'Enabled' | 'Disabled';
    vnetRouteAllEnabled?: boolean;
    virtualNetworkSubnetId?: string;
    /** The app's outbound addresses; default 20.50.2.10 and 20.50.2.11 (a scale unit every seeded app shares). */
    outboundIpAddresses?: string[];
    /** Further addresses the app may use after a scale change; default the outbound ones, 20.50.2.12 and 20.50.2.13. */
    possibleOutboundIpAddresses?: string[];
    config?: TopologySiteConfig;
    /** Deployment slots: each has its own access restrictions and VNet integration; it shares the app's plan and outbound addresses. */
    slots?: TopologySlot[];
  }[];
  virtualNetworks: {
    resourceGroup: string;
    name: string;
    location: string;
    addressPrefixes: string[];
    subnets: {
      name: string;
      addressPrefix: string;
      serviceEndpoints?: { service: string; locations?: string[] }[];
      delegations?: { name: string; serviceName: string }[];
      networkSecurityGroupId?: string;
      routeTableId?: string;
      natGatewayId?: string;
      serviceEndpointPolicyIds?: string[];
    }[];
  }[];
}

export const EMPTY_TOPOLOGY: Topology = {
  subscriptionId: '11111111-1111-1111-1111-111111111111',
  serverFarms: [],
  sites: [],
  virtualNetworks: [],
};

/** NRP fills the locations of a service endpoint when the request leaves them out */
export function defaultEndpointLocations(service: string, vnetLocation: string): string[] {
  if (/^Microsoft\.(Storage|Sql)$/i.test(service)) {
    const paired = pairedLocation(vnetLocation);
    return paired ? [normalizeLocation(vnetLocation), paired] : [normalizeLocation(vnetLocation)];
  }
  return ['*'];
}

const DEFAULT_OUTBOUND = ['20.50.2.10', '20.50.2.11'];
const DEFAULT_POSSIBLE_EXTRA = ['20.50.2.12', '20.50.2.13'];

function family(skuName: string): string {
  return /^[A-Za-z]+/.exec(skuName)?.[0] ?? skuName;
}

function planKind(tier: string): string {
  if (/^dynamic$/i.test(tier)) return 'functionapp';
  if (/^elasticpremium$/i.test(tier)) return 'elastic';
  return 'app';
}

export function topologyToRecords(t: Topology): { subscriptionId: string; resourceGroups: string[]; recs: Rec[] } {
  if (!t || typeof t.subscriptionId !== 'string' || !t.subscriptionId) throw new Error('topology.subscriptionId is required');
  const sub = t.subscriptionId;
  const recs: Rec[] = [];
  const rgs = new Map<string, string>();
  const addRg = (rg: string | undefined) => {
    if (rg && !rgs.has(rg.toLowerCase())) rgs.set(rg.toLowerCase(), rg);
  };

  const farms: FarmRec[] = (t.serverFarms ?? []).map((f) => {
    addRg(f.resourceGroup);
    return {
      type: 'farm',
      id: farmId(sub, f.resourceGroup, f.name),
      resourceGroup: f.resourceGroup,
      name: f.name,
      location: f.location,
      kind: planKind(f.sku.tier),
      sku: { name: f.sku.name, tier: f.sku.tier, size: f.sku.name, family: family(f.sku.name), capacity: 1 },
    };
  });
  recs.push(...farms);

  for (const v of t.virtualNetworks ?? []) {
    addRg(v.resourceGroup);
    const vid = vnetId(sub, v.resourceGroup, v.name);
    const vnet: VnetRec = {
      type: 'vnet',
      id: vid,
      resourceGroup: v.resourceGroup,
      name: v.name,
      location: v.location,
      addressPrefixes: [...(v.addressPrefixes ?? [])],
      etag: etag(),
      resourceGuid: uuid(),
      subnetNames: (v.subnets ?? []).map((s) => s.name),
    };
    recs.push(vnet);
    for (const s of v.subnets ?? []) {
      const props: SubnetProps = {
        addressPrefix: s.addressPrefix,
        serviceEndpoints: (s.serviceEndpoints ?? []).map((e) => ({
          service: e.service,
          locations: e.locations ?? defaultEndpointLocations(e.service, v.location),
        })),
        delegations: (s.delegations ?? []).map((d) => ({ name: d.name, serviceName: d.serviceName })),
        privateEndpointNetworkPolicies: 'Disabled',
        privateLinkServiceNetworkPolicies: 'Enabled',
      };
      if (s.networkSecurityGroupId) props.networkSecurityGroup = { id: s.networkSecurityGroupId };
      if (s.routeTableId) props.routeTable = { id: s.routeTableId };
      if (s.natGatewayId) props.natGateway = { id: s.natGatewayId };
      if (s.serviceEndpointPolicyIds?.length) props.serviceEndpointPolicies = s.serviceEndpointPolicyIds.map((id) => ({ id }));
      for (const ref of [s.networkSecurityGroupId, s.routeTableId, s.natGatewayId, ...(s.serviceEndpointPolicyIds ?? [])]) if (ref) addRg(rgOf(ref));
      const subnet: SubnetRec = {
        type: 'subnet',
        id: subnetId(sub, v.resourceGroup, v.name, s.name),
        vnetId: vid,
        name: s.name,
        props,
        etag: vnet.etag,
        provisioningState: 'Succeeded',
      };
      recs.push(subnet);
    }
  }

  const now = new Date().toISOString();
  for (const s of t.sites ?? []) {
    addRg(s.resourceGroup);
    let plan: FarmRec | undefined;
    if (s.serverFarm?.startsWith('/')) plan = farms.find((f) => key(f.id) === key(s.serverFarm));
    else {
      const same = farms.filter((f) => f.name.toLowerCase() === (s.serverFarm ?? '').toLowerCase());
      plan = same.find((f) => f.resourceGroup.toLowerCase() === s.resourceGroup.toLowerCase()) ?? same[0];
    }
    if (!plan) throw new Error(`topology: site '${s.name}' references unknown serverFarm '${s.serverFarm}'`);
    const site = siteRecord(s, siteId(sub, s.resourceGroup, s.name), plan.id, s, now);
    recs.push(site);
    for (const slot of s.slots ?? []) recs.push({ ...siteRecord(s, `${site.id}/slots/${slot.name}`, plan.id, slot, now), slot: { name: slot.name, appId: site.id } });
  }
  return { subscriptionId: sub, resourceGroups: [...rgs.values()], recs };
}

type SeededSite = Topology['sites'][number];

function siteRecord(app: SeededSite, id: string, planId: string, own: SeededSite | TopologySlot, now: string): SiteRec {
  const config = defaultSiteConfig(app.kind ?? 'app');
  const c = own.config ?? {};
  if (c.ipSecurityRestrictions) config.ipSecurityRestrictions = stripImplicitRules(c.ipSecurityRestrictions);
  if (c.scmIpSecurityRestrictions) config.scmIpSecurityRestrictions = stripImplicitRules(c.scmIpSecurityRestrictions);
  if (c.ipSecurityRestrictionsDefaultAction) config.ipSecurityRestrictionsDefaultAction = c.ipSecurityRestrictionsDefaultAction;
  if (c.scmIpSecurityRestrictionsDefaultAction) config.scmIpSecurityRestrictionsDefaultAction = c.scmIpSecurityRestrictionsDefaultAction;
  if (c.scmIpSecurityRestrictionsUseMain !== undefined) config.scmIpSecurityRestrictionsUseMain = c.scmIpSecurityRestrictionsUseMain;
  return {
    type: 'site',
    id,
    resourceGroup: app.resourceGroup,
    name: app.name,
    location: app.location,
    kind: app.kind ?? 'app',
    serverFarmId: planId,
    publicNetworkAccess: own.publicNetworkAccess,
    virtualNetworkSubnetId: own.virtualNetworkSubnetId || undefined,
    outboundVnetRouting: {
      allTraffic: false,
      applicationTraffic: !!own.vnetRouteAllEnabled,
      contentShareTraffic: false,
      imagePullTraffic: false,
      backupRestoreTraffic: false,
    },
    httpsOnly: false,
    enabled: true,
    config,
    lastModifiedTimeUtc: now,
    customDomainVerificationId: stableGuid(id).replace(/-/g, '').toUpperCase(),
    outboundIpAddresses: (app.outboundIpAddresses ?? DEFAULT_OUTBOUND).join(','),
    possibleOutboundIpAddresses: (app.possibleOutboundIpAddresses ?? [...(app.outboundIpAddresses ?? DEFAULT_OUTBOUND), ...DEFAULT_POSSIBLE_EXTRA]).join(','),
  };
}
