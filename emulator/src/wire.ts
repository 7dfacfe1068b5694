/** Renders store records in the REST wire format (the bodies GET returns), from any state map. */
import { displayLocation, key, normalizeLocation } from './ids';
import { siteIndexOf, type FarmRec, type Rec, type SiteRec, type SubnetRec, type VnetRec } from './state';
import { rulesWithImplicit, type AccessRestriction } from './siteConfigModel';
import type { EmulatorStateSnapshot } from './types';

type Recs = ReadonlyMap<string, Rec>;

/** a resource as GET answers it */
export interface WireResource {
  id: string;
  name: string;
  type: string;
  properties: Record<string, unknown>;
  [field: string]: unknown;
}

/** a subnet as GET answers it (also inside its virtual network) */
interface WireSubnet extends WireResource {
  properties: Record<string, unknown> & { provisioningState: SubnetRec['provisioningState'] };
}

const of = <T extends Rec>(recs: Recs, id: string | undefined, type: T['type']): T | undefined => {
  if (!id) return undefined;
  const rec = recs.get(key(id));
  return rec && rec.type === type ? (rec as T) : undefined;
};

const hostName = (site: SiteRec) => `${(site.slot ? `${site.name}-${site.slot.name}` : site.name).toLowerCase()}.azurewebsites.net`;
/** ARM names a slot "{app}/{slot}" and types it sites/slots, its config sites/slots/config and so on. */
const siteType = (site: SiteRec, child = '') => `Microsoft.Web/sites${site.slot ? '/slots' : ''}${child}`;
const siteName = (site: SiteRec) => (site.slot ? `${site.name}/${site.slot.name}` : site.name);

export function renderFarm(recs: Recs, farm: FarmRec): WireResource {
  const sites = siteIndexOf(recs).onPlan(farm.id).filter((site) => !site.slot);
  const elastic = /elasticpremium/i.test(farm.sku.tier);
  return {
    id: farm.id,
    name: farm.name,
    type: 'Microsoft.Web/serverfarms',
    kind: farm.kind,
    location: displayLocation(farm.location),
    tags: {},
    properties: {
      status: 'Ready',
      subscription: farm.id.split('/')[2],
      maximumNumberOfWorkers: elastic ? 100 : /dynamic/i.test(farm.sku.tier) ? 200 : 30,
      numberOfWorkers: 1,
      geoRegion: displayLocation(farm.location),
      perSiteScaling: false,
      elasticScaleEnabled: elastic,
      maximumElasticWorkerCount: elastic ? 20 : 1,
      numberOfSites: sites.length,
      isSpot: false,
      resourceGroup: farm.resourceGroup,
      reserved: false,
      isXenon: false,
      hyperV: false,
      targetWorkerCount: 0,
      targetWorkerSizeId: 0,
      provisioningState: 'Succeeded',
      zoneRedundant: false,
    },
    sku: { ...farm.sku },
  };
}

export function renderSite(recs: Recs, site: SiteRec): WireResource {
  const host = hostName(site);
  const scm = host.replace('.azurewebsites.net', '.scm.azurewebsites.net');
  const plan = of<FarmRec>(recs, site.serverFarmId, 'farm');
  const props: Record<string, unknown> = {
    state: site.enabled ? 'Running' : 'Stopped',
    hostNames: [host],
    repositorySiteName: site.name,
    usageState: 'Normal',
    enabled: site.enabled,
    enabledHostNames: [host, scm],
    availabilityState: 'Normal',
    hostNameSslStates: [
      { name: host, sslState: 'Disabled', hostType: 'Standard' },
      { name: scm, sslState: 'Disabled', hostType: 'Repository' },
    ],
    serverFarmId: site.serverFarmId,
    reserved: false,
    isXenon: false,
    hyperV: false,
    lastModifiedTimeUtc: site.lastModifiedTimeUtc,
    outboundVnetRouting: { ...site.outboundVnetRouting },
    // App Service returns a mostly empty siteConfig on a site GET (never the access restrictions)
    siteConfig: {
      numberOfWorkers: 1,
      linuxFxVersion: '',
      acrUseManagedIdentityCreds: false,
      alwaysOn: false,
      http20Enabled: false,
      functionAppScaleLimit: site.config.functionAppScaleLimit ?? 0,
      minimumElasticInstanceCount: site.config.minimumElasticInstanceCount ?? 0,
    },
    scmSiteAlsoStopped: false,
    clientAffinityEnabled: true,
    clientCertEnabled: false,
    clientCertMode: 'Required',
    hostNamesDisabled: false,
    customDomainVerificationId: site.customDomainVerificationId,
    outboundIpAddresses: site.outboundIpAddresses,
    possibleOutboundIpAddresses: site.possibleOutboundIpAddresses,
    containerSize: /functionapp/i.test(site.kind) ? 1536 : 0,
    dailyMemoryTimeQuota: 0,
    resourceGroup: site.resourceGroup,
    defaultHostName: host,
    httpsOnly: site.httpsOnly,
    redundancyMode: 'None',
    storageAccountRequired: false,
    keyVaultReferenceIdentity: 'SystemAssigned',
  };
  if (site.publicNetworkAccess !== undefined) props.publicNetworkAccess = site.publicNetworkAccess;
  if (site.virtualNetworkSubnetId) props.virtualNetworkSubnetId = site.virtualNetworkSubnetId;
  if (plan) props.sku = plan.sku.tier;
  const body: WireResource = {
    id: site.id,
    name: siteName(site),
    type: siteType(site),
    kind: site.kind,
    location: displayLocation(site.location),
    properties: props,
  };
  if (site.tags) body.tags = { ...site.tags };
  return body;
}

export function renderSiteConfig(recs: Recs, site: SiteRec): WireResource {
  const config = site.config;
  const subnet = of<SubnetRec>(recs, site.virtualNetworkSubnetId, 'subnet');
  const vnet = subnet && of<VnetRec>(recs, subnet.vnetId, 'vnet');
  const properties: Record<string, unknown> = {
    ...structuredClone(config),
    ipSecurityRestrictions: rulesWithImplicit(config.ipSecurityRestrictions as AccessRestriction[] | undefined, config.ipSecurityRestrictionsDefaultAction),
    scmIpSecurityRestrictions: rulesWithImplicit(config.scmIpSecurityRestrictions as AccessRestriction[] | undefined, config.scmIpSecurityRestrictionsDefaultAction),
    vnetName: site.virtualNetworkSubnetId ? `${vnet?.resourceGuid ?? '00000000-0000-0000-0000-000000000000'}_${subnet?.name ?? site.virtualNetworkSubnetId.split('/').pop()}` : '',
    vnetRouteAllEnabled: site.outboundVnetRouting.applicationTraffic,
  };
  if (site.publicNetworkAccess !== undefined) properties.publicNetworkAccess = site.publicNetworkAccess;
  return {
    id: `${site.id}/config/web`,
    name: 'web',
    type: siteType(site, '/config'),
    kind: site.kind,
    properties,
  };
}

const NO_VNET_TIERS = ['free', 'shared', 'dynamic'];

/** whether the site's plan can use regional VNet integration at all (swiftSupported) */
export const planSupportsSwift = (plan: FarmRec | undefined): boolean => !plan || !NO_VNET_TIERS.includes(plan.sku.tier.toLowerCase());

export function renderSwift(recs: Recs, site: SiteRec): WireResource {
  const properties: Record<string, unknown> = { swiftSupported: planSupportsSwift(of<FarmRec>(recs, site.serverFarmId, 'farm')) };
  if (site.virtualNetworkSubnetId) properties.subnetResourceId = site.virtualNetworkSubnetId;
  return {
    id: `${site.id}/networkConfig/virtualNetwork`,
    name: 'virtualNetwork',
    type: siteType(site, '/networkConfig'),
    properties,
  };
}

/** plans (by id) whose apps are integrated into the subnet */
export function integratedPlans(recs: Recs, subnetId: string): string[] {
  const plans = new Map<string, string>();
  for (const site of integratedSites(recs, subnetId)) plans.set(key(site.serverFarmId), site.serverFarmId);
  return [...plans.values()];
}

export function integratedSites(recs: Recs, subnetId: string): SiteRec[] {
  return siteIndexOf(recs).inSubnet(subnetId);
}

export function renderSubnet(recs: Recs, subnet: SubnetRec): WireSubnet {
  const vnet = of<VnetRec>(recs, subnet.vnetId, 'vnet');
  const props = subnet.props;
  const properties: WireSubnet['properties'] = { provisioningState: subnet.provisioningState };
  if (props.addressPrefix !== undefined) properties.addressPrefix = props.addressPrefix;
  if (props.addressPrefixes !== undefined) properties.addressPrefixes = [...props.addressPrefixes];
  if (props.networkSecurityGroup) properties.networkSecurityGroup = { id: props.networkSecurityGroup.id };
  if (props.routeTable) properties.routeTable = { id: props.routeTable.id };
  if (props.natGateway) properties.natGateway = { id: props.natGateway.id };
  if (props.serviceEndpoints.length)
    properties.serviceEndpoints = props.serviceEndpoints.map((endpoint) => ({ service: endpoint.service, locations: [...endpoint.locations], provisioningState: 'Succeeded' }));
  if (props.serviceEndpointPolicies?.length) properties.serviceEndpointPolicies = props.serviceEndpointPolicies.map((ref) => ({ id: ref.id }));
  properties.delegations = props.delegations.map((delegation) => ({
    name: delegation.name,
    id: `${subnet.id}/delegations/${delegation.name}`,
    etag: subnet.etag,
    properties: {
      provisioningState: 'Succeeded',
      serviceName: delegation.serviceName,
      actions: /^Microsoft\.Web\/serverFarms$/i.test(delegation.serviceName) ? ['Microsoft.Network/virtualNetworks/subnets/action'] : [],
    },
    type: 'Microsoft.Network/virtualNetworks/subnets/delegations',
  }));
  const plans = integratedPlans(recs, subnet.id);
  if (plans.length)
    properties.serviceAssociationLinks = plans.map((plan) => ({
      name: 'AppServiceLink',
      id: `${subnet.id}/serviceAssociationLinks/AppServiceLink`,
      etag: subnet.etag,
      type: 'Microsoft.Network/virtualNetworks/subnets/serviceAssociationLinks',
      properties: {
        provisioningState: 'Succeeded',
        linkedResourceType: 'Microsoft.Web/serverfarms',
        link: plan,
        allowDelete: false,
        locations: [normalizeLocation(vnet?.location ?? '')],
      },
    }));
  properties.privateEndpointNetworkPolicies = props.privateEndpointNetworkPolicies;
  properties.privateLinkServiceNetworkPolicies = props.privateLinkServiceNetworkPolicies;
  if (props.defaultOutboundAccess !== undefined) properties.defaultOutboundAccess = props.defaultOutboundAccess;
  if (props.sharingScope !== undefined) properties.sharingScope = props.sharingScope;
  return {
    name: subnet.name,
    id: subnet.id,
    etag: subnet.etag,
    properties,
    type: 'Microsoft.Network/virtualNetworks/subnets',
  };
}

export function renderVnet(recs: Recs, vnet: VnetRec): WireResource {
  const subnets = vnet.subnetNames
    .map((name) => of<SubnetRec>(recs, `${vnet.id}/subnets/${name}`, 'subnet'))
    .filter((subnet): subnet is SubnetRec => !!subnet)
    .map((subnet) => renderSubnet(recs, subnet));
  const updating = subnets.some((subnet) => subnet.properties.provisioningState === 'Updating');
  const body: WireResource = {
    name: vnet.name,
    id: vnet.id,
    etag: vnet.etag,
    type: 'Microsoft.Network/virtualNetworks',
    location: normalizeLocation(vnet.location),
    properties: {
      provisioningState: updating ? 'Updating' : 'Succeeded',
      resourceGuid: vnet.resourceGuid,
      addressSpace: { addressPrefixes: [...vnet.addressPrefixes] },
      subnets,
      virtualNetworkPeerings: [],
      enableDdosProtection: false,
    },
  };
  if (vnet.tags) body.tags = { ...vnet.tags };
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
  for (const rec of recs.values()) {
    switch (rec.type) {
      case 'farm':
        snap.serverFarms[rec.id] = renderFarm(recs, rec);
        break;
      case 'site':
        snap.sites[rec.id] = renderSite(recs, rec);
        snap.siteConfigs[`${rec.id}/config/web`] = renderSiteConfig(recs, rec);
        if (rec.virtualNetworkSubnetId) snap.swiftConnections[`${rec.id}/networkConfig/virtualNetwork`] = renderSwift(recs, rec);
        break;
      case 'vnet':
        snap.virtualNetworks[rec.id] = renderVnet(recs, rec);
        break;
      case 'subnet':
        snap.subnets[rec.id] = renderSubnet(recs, rec);
        break;
    }
  }
  return snap;
}
