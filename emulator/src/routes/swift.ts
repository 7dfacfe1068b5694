/**
 * sites/{name}/networkConfig/virtualNetwork: regional ("swift") VNet integration. The site's
 * properties.virtualNetworkSubnetId is the single source of truth, so both views stay consistent.
 */
import type { EmulatorCore } from '../core';
import { errors } from '../errors';
import { displayLocation, eqi, normalizeLocation, parseSubnetId, vnetId } from '../ids';
import type { FarmRec, SiteRec, SubnetRec, VnetRec } from '../state';
import type { Route, RouteCtx } from '../router';
import { integratedPlans, planSupportsSwift, renderSwift } from '../wire';
import { getSite, nowIso, propertiesOf, SITE, siteScope, WEB } from './common';
import { statusUrl } from './operations';

/** Validates integrating `site` into `subnetResourceId`; returns the subnet. Throws ARM errors. */
export function validateIntegration(core: EmulatorCore, site: SiteRec, subnetResourceId: unknown, baseUrl: string): SubnetRec {
  if (typeof subnetResourceId !== 'string' || !subnetResourceId)
    throw errors.badRequest("The parameter 'subnetResourceId' is required: the Virtual Network subnet's resource id.");
  const parsed = parseSubnetId(subnetResourceId);
  if (!parsed)
    throw errors.badRequest(
      `The subnet resource id '${subnetResourceId}' is invalid. It must be of the form /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{vnetName}/subnets/{subnetName}.`,
    );
  const plan = core.store.get<FarmRec>(site.serverFarmId, 'farm');
  if (plan && !planSupportsSwift(plan))
    throw errors.badRequest(
      `Regional virtual network integration is not supported for App Service plan '${plan.name}' with pricing tier '${plan.sku.tier}' (${plan.sku.name}). Use a Basic, Standard, Premium, PremiumV2, PremiumV3, Elastic Premium, Flex Consumption or Isolated plan.`,
    );
  const vnet = core.store.get<VnetRec>(vnetId(parsed.subscriptionId, parsed.resourceGroup, parsed.vnet), 'vnet');
  if (!vnet) throw errors.parentNotFound(parsed.vnet);
  const subnet = core.store.get<SubnetRec>(subnetResourceId, 'subnet');
  if (!subnet) throw errors.networkNotFound(subnetResourceId);
  if (!subnet.props.delegations.some((d) => eqi(d.serviceName, 'Microsoft.Web/serverFarms')))
    throw errors.badRequest(
      `Subnet '${subnet.name}' of virtual network '${vnet.name}' is not delegated to 'Microsoft.Web/serverFarms'. The subnet must have a delegation to Microsoft.Web/serverFarms before it can be used for virtual network integration.`,
    );
  if (normalizeLocation(vnet.location) !== normalizeLocation(site.location))
    throw errors.badRequest(
      `The virtual network '${vnet.name}' is in location '${normalizeLocation(vnet.location)}', but the app '${site.name}' is in '${displayLocation(site.location)}'. Regional virtual network integration requires the virtual network to be in the same region as the app.`,
    );
  const others = integratedPlans(core.store.current(), subnet.id).filter((p) => !eqi(p, site.serverFarmId));
  // App Service answers 400, with the portal's wording (MicrosoftDocs/azure-docs#29302); the code is
  // not documented, and BadRequest is the one a client cannot mistake for a retryable conflict
  if (others.length)
    throw errors.badRequest(
      `Subnet ${subnet.name} in VNET ${vnet.name} is already occupied by service ${others[0]}. A subnet can be used for virtual network integration by only one App Service plan.`,
    );
  const busy = core.lros.inFlight(vnet.id);
  if (busy) throw errors.anotherOperation(429, statusUrl(baseUrl, core.store.subscriptionId, busy), core.retryAfter);
  return subnet;
}

/** disconnecting touches the subnet (service association link) too */
export function checkDisconnect(core: EmulatorCore, site: SiteRec, baseUrl: string): void {
  if (!site.virtualNetworkSubnetId) return;
  const parsed = parseSubnetId(site.virtualNetworkSubnetId);
  if (!parsed) return;
  const busy = core.lros.inFlight(vnetId(parsed.subscriptionId, parsed.resourceGroup, parsed.vnet));
  if (busy) throw errors.anotherOperation(429, statusUrl(baseUrl, core.store.subscriptionId, busy), core.retryAfter);
}

const path = `${SITE}/networkConfig/virtualNetwork`;
const scope = (p: Record<string, string>) => `${siteScope(p)}/networkConfig/virtualNetwork`;

/** PUT/PATCH networkConfig/virtualNetwork of an app or a slot. */
export function connect(ctx: RouteCtx, site: SiteRec = getSite(ctx)) {
  const props = propertiesOf(ctx.req);
  const subnet = validateIntegration(ctx.core, site, props.subnetResourceId, ctx.req.baseUrl);
  const updated = ctx.core.store.update(site, (s) => {
    s.virtualNetworkSubnetId = subnet.id;
    s.lastModifiedTimeUtc = nowIso();
  });
  ctx.core.store.snapshot(ctx.cause);
  return { status: 200, body: renderSwift(ctx.core.store.current(), updated), resourceId: `${site.id}/networkConfig/virtualNetwork` };
}

export const joinSubnet = (ctx: RouteCtx) => {
  const id = propertiesOf(ctx.req).subnetResourceId;
  return typeof id === 'string' && id ? [{ action: 'Microsoft.Network/virtualNetworks/subnets/join/action', scope: id }] : [];
};

/** DELETE networkConfig/virtualNetwork of an app or a slot. */
export function disconnect(ctx: RouteCtx, site: SiteRec = getSite(ctx)) {
  if (site.virtualNetworkSubnetId) {
    checkDisconnect(ctx.core, site, ctx.req.baseUrl);
    ctx.core.store.update(site, (s) => {
      delete s.virtualNetworkSubnetId;
      s.lastModifiedTimeUtc = nowIso();
    });
    ctx.core.store.snapshot(ctx.cause);
  }
  return { status: 200, resourceId: `${site.id}/networkConfig/virtualNetwork` };
}

export const swiftRoutes: Route[] = [
  {
    method: 'GET',
    pattern: path,
    operationId: 'WebApps_GetSwiftVirtualNetworkConnection',
    provider: WEB,
    kind: 'read',
    action: 'Microsoft.Web/sites/networkConfig/read',
    scope,
    handle: (ctx) => {
      return { status: 200, body: renderSwift(ctx.core.store.current(), getSite(ctx)) };
    },
  },
  {
    method: 'PUT',
    pattern: path,
    operationId: 'WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheck',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/networkConfig/write',
    scope,
    linked: joinSubnet,
    handle: (ctx) => connect(ctx),
  },
  {
    method: 'PATCH',
    pattern: path,
    operationId: 'WebApps_UpdateSwiftVirtualNetworkConnectionWithCheck',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/networkConfig/write',
    scope,
    linked: joinSubnet,
    handle: (ctx) => connect(ctx),
  },
  {
    method: 'DELETE',
    pattern: path,
    operationId: 'WebApps_DeleteSwiftVirtualNetwork',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/networkConfig/delete',
    scope,
    handle: (ctx) => disconnect(ctx),
  },
];
