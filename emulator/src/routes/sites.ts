/** Microsoft.Web/sites: GET, PATCH, and the two list operations. */
import { errors } from '../errors';
import { eqi, isObject, key } from '../ids';
import type { Route, RouteCtx } from '../router';
import { applyConfig, type ConfigChange } from '../siteConfigModel';
import type { FarmRec, SiteRec, SubnetRec } from '../state';
import { renderSite } from '../wire';
import { bodyObject, getSite, nowIso, propertiesOf, serviceEndpointJoins, SITE, siteScope, subnetLookup, WEB } from './common';
import { listPage } from './paging';
import { checkDisconnect, validateIntegration } from './swift';

const ROUTING_FLAGS = ['allTraffic', 'applicationTraffic', 'contentShareTraffic', 'imagePullTraffic', 'backupRestoreTraffic'] as const;

/** PATCH of an app or a slot (WebApps_Update, WebApps_UpdateSlot): the same properties, the same checks. */
export function patchSite(ctx: RouteCtx, site: SiteRec = getSite(ctx)) {
  const body = bodyObject(ctx.req);
  const p = propertiesOf(ctx.req);
  const store = ctx.core.store;

  // validate everything first: the PATCH applies completely or not at all
  let configChange: ConfigChange | undefined;
  if (p.siteConfig !== undefined && p.siteConfig !== null) configChange = applyConfig(site, p.siteConfig, subnetLookup(ctx.core));
  let subnet: SubnetRec | undefined;
  let disconnect = false;
  if (typeof p.virtualNetworkSubnetId === 'string') {
    if (p.virtualNetworkSubnetId === '') {
      checkDisconnect(ctx.core, site, ctx.req.baseUrl);
      disconnect = true;
    } else if (!eqi(p.virtualNetworkSubnetId, site.virtualNetworkSubnetId)) {
      subnet = validateIntegration(ctx.core, site, p.virtualNetworkSubnetId, ctx.req.baseUrl);
    }
  }
  if (p.publicNetworkAccess !== undefined && p.publicNetworkAccess !== null && !['Enabled', 'Disabled', ''].some((v) => eqi(v, p.publicNetworkAccess as string)))
    throw errors.badRequest(`The parameter publicNetworkAccess has an invalid value '${p.publicNetworkAccess}'. Allowed values: 'Enabled', 'Disabled' or an empty string.`);
  let farm: FarmRec | undefined;
  if (typeof p.serverFarmId === 'string' && p.serverFarmId && !eqi(p.serverFarmId, site.serverFarmId)) {
    farm = store.get<FarmRec>(p.serverFarmId, 'farm');
    if (!farm) throw errors.badRequest(`The App Service plan '${p.serverFarmId}' could not be found.`);
  }
  const routing = p.outboundVnetRouting;
  if (routing !== undefined && routing !== null && (typeof routing !== 'object' || Array.isArray(routing)))
    throw errors.badRequest("The parameter 'outboundVnetRouting' has an invalid value.");

  const updated = store.update(site, (s) => {
    if (configChange) {
      s.config = configChange.config;
      if (configChange.vnetRouteAllEnabled !== undefined) s.outboundVnetRouting.applicationTraffic = configChange.vnetRouteAllEnabled;
      if (configChange.publicNetworkAccess !== undefined) s.publicNetworkAccess = configChange.publicNetworkAccess;
    }
    // older api-versions' site-level vnetRouteAllEnabled is outboundVnetRouting.applicationTraffic
    if (typeof p.vnetRouteAllEnabled === 'boolean') s.outboundVnetRouting.applicationTraffic = p.vnetRouteAllEnabled;
    if (isObject(routing))
      for (const flag of ROUTING_FLAGS) {
        const value = routing[flag];
        if (typeof value === 'boolean') s.outboundVnetRouting[flag] = value;
      }
    if (typeof p.publicNetworkAccess === 'string')
      s.publicNetworkAccess = p.publicNetworkAccess === '' ? '' : eqi(p.publicNetworkAccess, 'Enabled') ? 'Enabled' : 'Disabled';
    if (subnet) s.virtualNetworkSubnetId = subnet.id;
    if (disconnect) delete s.virtualNetworkSubnetId;
    if (farm) s.serverFarmId = farm.id;
    if (typeof p.httpsOnly === 'boolean') s.httpsOnly = p.httpsOnly;
    if (typeof p.enabled === 'boolean') s.enabled = p.enabled;
    if (body.tags && typeof body.tags === 'object') s.tags = { ...body.tags };
    s.lastModifiedTimeUtc = nowIso();
  });
  store.snapshot(ctx.cause);
  return { status: 200, body: renderSite(store.current(), updated), resourceId: site.id };
}

const listSites = (ctx: RouteCtx, rg?: string) => {
  const recs = ctx.core.store.current();
  const sites = ctx.core.store.all<SiteRec>('site').filter((s) => !s.slot && (!rg || key(s.resourceGroup) === key(rg)));
  return listPage(ctx, sites, (s) => renderSite(recs, s));
};

export const siteRoutes: Route[] = [
  {
    method: 'GET',
    pattern: SITE,
    operationId: 'WebApps_Get',
    provider: WEB,
    kind: 'read',
    action: 'Microsoft.Web/sites/read',
    scope: siteScope,
    handle: (ctx) => ({ status: 200, body: renderSite(ctx.core.store.current(), getSite(ctx)) }),
  },
  {
    method: 'PATCH',
    pattern: SITE,
    operationId: 'WebApps_Update',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/write',
    scope: siteScope,
    linked: (ctx) => {
      const p = propertiesOf(ctx.req);
      const checks = serviceEndpointJoins(p.siteConfig ?? undefined);
      if (typeof p.virtualNetworkSubnetId === 'string' && p.virtualNetworkSubnetId)
        checks.push({ action: 'Microsoft.Network/virtualNetworks/subnets/join/action', scope: p.virtualNetworkSubnetId });
      return checks;
    },
    handle: (ctx) => patchSite(ctx),
  },
  {
    method: 'GET',
    pattern: '/subscriptions/{subscriptionId}/providers/Microsoft.Web/sites',
    operationId: 'WebApps_List',
    provider: WEB,
    kind: 'read',
    action: 'Microsoft.Web/sites/read',
    scope: (p) => `/subscriptions/${p.subscriptionId}`,
    handle: (ctx) => listSites(ctx),
  },
  {
    method: 'GET',
    pattern: '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Web/sites',
    operationId: 'WebApps_ListByResourceGroup',
    provider: WEB,
    kind: 'read',
    action: 'Microsoft.Web/sites/read',
    scope: (p) => `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}`,
    handle: (ctx) => listSites(ctx, ctx.params.resourceGroupName),
  },
];
