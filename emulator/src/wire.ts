/** Renders store records in the REST wire format (the bodies GET returns), from any state map. */
import { displayLocation, key, normalizeLocation } from './ids';
import type { FarmRec, Rec, SiteRec, SubnetRec, VnetRec } from './state';
import { rulesWithImplicit } from './siteConfigModel';
import type { EmulatorStateSnapshot } from './types';

type Recs = ReadonlyMap<string, Rec>;

const of = <T extends Rec>(recs: Recs, id: string | undefined, type: T['type']): T | undefined => {
  if (!id) return undefined;
  const r = recs.get(key(id));
  return r && r.type === type ? (r as T) : undefined;
};
const allOf = <T extends Rec>(recs: Recs, type: T['type']): T[] => [...recs.values()].filter((r): r is T => r.type === type);

const hostName = (s: SiteRec) => `${(s.slot ? `${s.name}-${s.slot.name}` : s.name).toLowerCase()}.azurewebsites.net`;
/** ARM names a slot "{app}/{slot}" and types it sites/slots, its config sites/slots/config and so on. */
const siteType = (s: SiteRec, child = '') => `Microsoft.Web/sites${s.slot ? '/slots' : ''}${child}`;
const siteName = (s: SiteRec) => (s.slot ? `${s.name}/${s.slot.name}` : s.name);

export function renderFarm(recs: Recs, f: FarmRec): any {
  const sites = allOf<SiteRec>(recs, 'site').filter((s) => !s.slot && key(s.serverFarmId) === key(f.id));
  const elastic = /elasticpremium/i.test(f.sku.tier);
  return {
    id: f.id,
    name: f.name,
    type: 'Microsoft.Web/serverfarms',
    kind: f.kind,
    location: displayLocation(f.location),
    tags: {},
    properties: {
      status: 'Ready',
      subscription: f.id.split('/')[2],
      maximumNumberOfWorkers: elastic ? 100 : /dynamic/i.test(f.sku.tier) ? 200 : 30,
      numberOfWorkers: 1,
      geoRegion: displayLocation(f.location),
      perSiteScaling: false,
      elasticScaleEnabled: elastic,
      maximumElasticWorkerCount: elastic ? 20 : 1,
      numberOfSites: sites.length,
      isSpot: false,
      resourceGroup: f.resourceGroup,
      reserved: false,
      isXenon: false,
      hyperV: false,
      targetWorkerCount: 0,
      targetWorkerSizeId: 0,
      provisioningState: 'Succeeded',
      zoneRedundant: false,
    },
    sku: { ...f.sku },
  };
}

export function renderSite(recs: Recs, s: SiteRec): any {
  const host = hostName(s);
  const scm = host.replace('.azurewebsites.net', '.scm.azurewebsites.net');
  const plan = of<FarmRec>(recs, s.serverFarmId, 'farm');
  const props: Record<string, unknown> = {
    state: s.enabled ? 'Running' : 'Stopped',
    hostNames: [host],
    repositorySiteName: s.name,
    usageState: 'Normal',
    enabled: s.enabled,
    enabledHostNames: [host, scm],
    availabilityState: 'Normal',
    hostNameSslStates: [
      { name: host, sslState: 'Disabled', hostType: 'Standard' },
      { name: scm, sslState: 'Disabled', hostType: 'Repository' },
    ],
    serverFarmId: s.serverFarmId,
    reserved: false,
    isXenon: false,
    hyperV: false,
    lastModifiedTimeUtc: s.lastModifiedTimeUtc,
    outboundVnetRouting: { ...s.outboundVnetRouting },
    // App Service returns a mostly empty siteConfig on a site GET (never the access restrictions)
    siteConfig: {
      numberOfWorkers: 1,
      linuxFxVersion: '',
      acrUseManagedIdentityCreds: false,
      alwaysOn: false,
      http20Enabled: false,
      functionAppScaleLimit: s.config.functionAppScaleLimit ?? 0,
      minimumElasticInstanceCount: s.config.minimumElasticInstanceCount ?? 0,
    },
    scmSiteAlsoStopped: false,
    clientAffinityEnabled: true,
    clientCertEnabled: false,
    clientCertMode: 'Required',
    hostNamesDisabled: false,
    customDomainVerificationId: s.customDomainVerificationId,
    outboundIpAddresses: s.outboundIpAddresses,
    possibleOutboundIpAddresses: s.possibleOutboundIpAddresses,
    containerSize: /functionapp/i.test(s.kind) ? 1536 : 0,
    dailyMemoryTimeQuota: 0,
    resourceGroup: s.resourceGroup,
    defaultHostName: host,
    httpsOnly: s.httpsOnly,
    redundancyMode: 'None',
    storageAccountRequired: false,
    keyVaultReferenceIdentity: 'SystemAssigned',
  };
  if (s.publicNetworkAccess !== undefined) props.publicNetworkAccess = s.publicNetworkAccess;
  if (s.virtualNetworkSubnetId) props.virtualNetworkSubnetId = s.virtualNetworkSubnetId;
  if (plan) props.sku = plan.sku.tier;
  const body: any = {
    id: s.id,
    name: siteName(s),
    type: siteType(s),
    kind: s.kind,
    location: displayLocation(s.location),
    properties: props,
  };
  if (s.tags) body.tags = { ...s.tags };
  return body;
}

export function renderSiteConfig(recs: Recs, s: SiteRec): any {
  const c = s.config;
  const subnet = of<SubnetRec>(recs, s.virtualNetworkSubnetId, 'subnet');
  const vnet = subnet && of<VnetRec>(recs, subnet.vnetId, 'vnet');
  const properties: Record<string, unknown> = {
    ...structuredClone(c),
    ipSecurityRestrictions: rulesWithImplicit(c.ipSecurityRestrictions as any[], c.ipSecurityRestrictionsDefaultAction),
    scmIpSecurityRestrictions: rulesWithImplicit(c.scmIpSecurityRestrictions as any[], c.scmIpSecurityRestrictionsDefaultAction),
    vnetName: s.virtualNetworkSubnetId ? `${vnet?.resourceGuid ?? '00000000-0000-0000-0000-000000000000'}_${subnet?.name ?? s.virtualNetworkSubnetId.split('/').pop()}` : '',
    vnetRouteAllEnabled: s.outboundVnetRouting.applicationTraffic,
  };
  if (s.publicNetworkAccess !== undefined) properties.publicNetworkAccess = s.publicNetworkAccess;
  return {
    id: `${s.id}/config/web`,
    name: 'web',
    type: siteType(s, '/config'),
    kind: s.kind,
    properties,
  };
}

const NO_VNET_TIERS = ['free', 'shared', 'dynamic'];

/** whether the site's plan can use regional VNet integration at all (swiftSupported) */
export const planSupportsSwift = (plan: FarmRec | undefined): boolean => !plan || !NO_VNET_TIERS.includes(plan.sku.tier.toLowerCase());

export function renderSwift(recs: Recs, s: SiteRec): any {
  const properties: Record<string, unknown> = { swiftSupported: planSupportsSwift(of<FarmRec>(recs, s.serverFarmId, 'farm')) };
  if (s.virtualNetworkSubnetId) properties.subnetResourceId = s.virtualNetworkSubnetId;
  return {
    id: `${s.id}/networkConfig/virtualNetwork`,
    name: 'virtualNetwork',
    type: siteType(s, '/networkConfig'),
    properties,
  };
}

/** plans (by id) whose apps are integrated into the subnet */
export function integratedPlans(recs: Recs, subnetId: string): string[] {
  const plans = new Map<string, string>();
  for (const s of allOf<SiteRec>(recs, 'site'))
    if (s.virtualNetworkSubnetId && key(s.virtualNetworkSubnetId) === key(subnetId)) plans.set(key(s.serverFarmId), s.serverFarmId);
  return [...plans.values()];
}

export function integratedSites(recs: Recs, subnetId: string): SiteRec[] {
  return allOf<SiteRec>(recs, 'site').filter((s) => s.virtualNetworkSubnetId && key(s.virtualNetworkSubnetId) === key(subnetId));
}

export function renderSubnet(recs: Recs, sn: SubnetRec): any {
  const vnet = of<VnetRec>(recs, sn.vnetId, 'vnet');
  const p = sn.props;
  const properties: Record<string, unknown> = { provisioningState: sn.provisioningState };
  if (p.addressPrefix !== undefined) properties.addressPrefix = p.addressPrefix;
  if (p.addressPrefixes !== undefined) properties.addressPrefixes = [...p.addressPrefixes];
  if (p.networkSecurityGroup) properties.networkSecurityGroup = { id: p.networkSecurityGroup.id };
  if (p.routeTable) properties.routeTable = { id: p.routeTable.id };
  if (p.natGateway) properties.natGateway = { id: p.natGateway.id };
  if (p.serviceEndpoints.length)
    properties.serviceEndpoints = p.serviceEndpoints.map((e) => ({ service: e.service, locations: [...e.locations], provisioningState: 'Succeeded' }));
  if (p.serviceEndpointPolicies?.length) properties.serviceEndpointPolicies = p.serviceEndpointPolicies.map((r) => ({ id: r.id }));
  properties.delegations = p.delegations.map((d) => ({
    name: d.name,
    id: `${sn.id}/delegations/${d.name}`,
    etag: sn.etag,
    properties: {
      provisioningState: 'Succeeded',
      serviceName: d.serviceName,
      actions: /^Microsoft\.Web\/serverFarms$/i.test(d.serviceName) ? ['Microsoft.Network/virtualNetworks/subnets/action'] : [],
    },
    type: 'Microsoft.Network/virtualNetworks/subnets/delegations',
  }));
  const plans = integratedPlans(recs, sn.id);
  if (plans.length)
    properties.serviceAssociationLinks = plans.map((plan) => ({
      name: 'AppServiceLink',
      id: `${sn.id}/serviceAssociationLinks/AppServiceLink`,
      etag: sn.etag,
      type: 'Microsoft.Network/virtualNetworks/subnets/serviceAssociationLinks',
      properties: {
        provisioningState: 'Succeeded',
        linkedResourceType: 'Microsoft.Web/serverfarms',
        link: plan,
        allowDelete: false,
        locations: [normalizeLocation(vnet?.location ?? '')],
      },
    }));
  properties.privateEndpointNetworkPolicies = p.privateEndpointNetworkPolicies;
  properties.privateLinkServiceNetworkPolicies = p.privateLinkServiceNetworkPolicies;
  if (p.defaultOutboundAccess !== undefined) properties.defaultOutboundAccess = p.defaultOutboundAccess;
  if (p.sharingScope !== undefined) properties.sharingScope = p.sharingScope;
  return {
    name: sn.name,
    id: sn.id,
    etag: sn.etag,
    properties,
    type: 'Microsoft.Network/virtualNetworks/subnets',
  };
}

export function renderVnet(recs: Recs, v: VnetRec): any {
  const subnets = v.subnetNames
    .map((n) => of<SubnetRec>(recs, `${v.id}/subnets/${n}`, 'subnet'))
    .filter((s): s is SubnetRec => !!s)
    .map((s) => renderSubnet(recs, s));
  const updating = subnets.some((s) => s.properties.provisioningState === 'Updating');
  const body: any = {
    name: v.name,
    id: v.id,
    etag: v.etag,
    type: 'Microsoft.Network/virtualNetworks',
    location: normalizeLocation(v.location),
    properties: {
      provisioningState: updating ? 'Updating' : 'Succeeded',
      resourceGuid: v.resourceGuid,
      addressSpace: { addressPrefixes: [...v.addressPrefixes] },
      subnets,
      virtualNetworkPeerings: [],
      enableDdosProtection: false,
    },
  };
  if (v.tags) body.tags = { ...v.tags };
  return body;
}

export function renderSnapshot(
  recs: Recs,
  meta: { seq: number; time: string; cause: string; subscriptionId: string },
): EmulatorStateSnapshot {
  const snap: EmulatorStateSnapshot = {
    ...meta,
    serverFarms: {},
    sites: {},
    siteConfigs: {},
    swiftConnections: {},
    virtualNetworks: {},
    subnets: {},
  };
  for (const r of recs.values()) {
    switch (r.type) {
      case 'farm':
        snap.serverFarms[r.id] = renderFarm(recs, r);
        break;
      case 'site':
        snap.sites[r.id] = renderSite(recs, r);
        snap.siteConfigs[`${r.id}/config/web`] = renderSiteConfig(recs, r);
        if (r.virtualNetworkSubnetId) snap.swiftConnections[`${r.id}/networkConfig/virtualNetwork`] = renderSwift(recs, r);
        break;
      case 'vnet':
        snap.virtualNetworks[r.id] = renderVnet(recs, r);
        break;
      case 'subnet':
        snap.subnets[r.id] = renderSubnet(recs, r);
        break;
    }
  }
  return snap;
}
