/** Helpers shared by the route handlers. */
import type { EmulatorCore } from '../core';
import { errors } from '../errors';
import { farmId, isObject, siteId, stringField, subnetId, vnetId } from '../ids';
import type { FarmRec, SiteRec, SubnetRec, VnetRec } from '../state';
import type { ArmRequest, LinkedCheck, RouteCtx } from '../router';

export const WEB = 'Microsoft.Web';
export const NETWORK = 'Microsoft.Network';
export const INSIGHTS = 'Microsoft.Insights';

export const SITE = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Web/sites/{name}';
export const SLOT = `${SITE}/slots/{slot}`;
export const FARM = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Web/serverfarms/{name}';
export const VNET = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}';
export const SUBNET = `${VNET}/subnets/{subnetName}`;

export const siteScope = (p: Record<string, string>) => siteId(p.subscriptionId, p.resourceGroupName, p.name);
export const slotScope = (p: Record<string, string>) => `${siteScope(p)}/slots/${p.slot}`;
export const farmScope = (p: Record<string, string>) => farmId(p.subscriptionId, p.resourceGroupName, p.name);
export const vnetScope = (p: Record<string, string>) => vnetId(p.subscriptionId, p.resourceGroupName, p.virtualNetworkName);
export const subnetScope = (p: Record<string, string>) =>
  subnetId(p.subscriptionId, p.resourceGroupName, p.virtualNetworkName, p.subnetName);

export function getSite(ctx: RouteCtx): SiteRec {
  const site = ctx.core.store.get<SiteRec>(siteScope(ctx.params), 'site');
  if (!site) throw errors.resourceNotFound('Microsoft.Web/sites', ctx.params.name, ctx.params.resourceGroupName);
  return site;
}

/** A deployment slot of an existing app: 404 for the app first, as ARM checks the parent first. */
export function getSlot(ctx: RouteCtx): SiteRec {
  getSite(ctx);
  const slot = ctx.core.store.get<SiteRec>(slotScope(ctx.params), 'site');
  if (!slot?.slot) throw errors.resourceNotFound('Microsoft.Web/sites/slots', `${ctx.params.name}/${ctx.params.slot}`, ctx.params.resourceGroupName);
  return slot;
}

export function getFarm(ctx: RouteCtx): FarmRec {
  const farm = ctx.core.store.get<FarmRec>(farmScope(ctx.params), 'farm');
  if (!farm) throw errors.resourceNotFound('Microsoft.Web/serverFarms', ctx.params.name, ctx.params.resourceGroupName);
  return farm;
}

export function getVnet(ctx: RouteCtx): VnetRec {
  const vnet = ctx.core.store.get<VnetRec>(vnetScope(ctx.params), 'vnet');
  if (!vnet) throw errors.resourceNotFound('Microsoft.Network/virtualNetworks', ctx.params.virtualNetworkName, ctx.params.resourceGroupName);
  return vnet;
}

export const subnetLookup = (core: EmulatorCore) => (id: string) => core.store.get<SubnetRec>(id, 'subnet');

/** the request body as an object ({} when empty); 400 for other JSON values */
export function bodyObject(req: ArmRequest): Record<string, unknown> {
  if (req.body === undefined || req.body === null || req.body === '') return {};
  if (typeof req.body !== 'object' || Array.isArray(req.body))
    throw errors.invalidContent('the request body must be a JSON object');
  return req.body as Record<string, unknown>;
}

export function propertiesOf(req: ArmRequest): Record<string, unknown> {
  const properties = bodyObject(req).properties;
  if (properties === undefined || properties === null) return {};
  if (!isObject(properties)) throw errors.invalidContent("'properties' must be a JSON object");
  return properties;
}

/** ARM linked access checks for subnets referenced by access-restriction rules */
export function serviceEndpointJoins(siteConfigProps: unknown): LinkedCheck[] {
  const checks: LinkedCheck[] = [];
  for (const field of ['ipSecurityRestrictions', 'scmIpSecurityRestrictions']) {
    const rules = isObject(siteConfigProps) ? siteConfigProps[field] : undefined;
    if (!Array.isArray(rules)) continue;
    for (const rule of rules) {
      const subnetId = stringField(rule, 'vnetSubnetResourceId');
      if (subnetId) checks.push({ action: 'Microsoft.Network/virtualNetworks/subnets/joinViaServiceEndpoint/action', scope: subnetId });
    }
  }
  return checks;
}

export const nowIso = () => new Date().toISOString();
