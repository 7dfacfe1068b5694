/**
 * sites/{name}/slots/{slot}: deployment slots, their config/web, their VNet integration, and
 * swaps. A slot is a site record of its own (own access restrictions, SCM site, VNet integration)
 * on its app's plan; a swap exchanges content only, so nothing Lockdown reads moves with it.
 */
import { errors } from '../errors';
import { eqi, key, normalizeLocation, stableGuid, stringField } from '../ids';
import type { Route, RouteCtx } from '../router';
import { defaultSiteConfig } from '../siteConfigModel';
import type { FarmRec, SiteRec } from '../state';
import { renderSite, renderSiteConfig, renderSwift } from '../wire';
import { bodyObject, getSite, getSlot, nowIso, propertiesOf, SITE, siteScope, SLOT, slotScope, WEB } from './common';
import { listPage } from './paging';
import { linked as configLinked, writeSiteConfig } from './siteConfig';
import { patchSite } from './sites';
import { connect, disconnect, joinSubnet } from './swift';

/**
 * Slots a plan's tier allows (App Service limits; Azure Functions "deployment slots": Consumption
 * 2, Premium 3, Flex Consumption none). A tier not listed allows none: the stricter answer.
 */
const SLOTS_PER_TIER: Record<string, number> = {
  standard: 5,
  premium: 20,
  premiumv2: 20,
  premiumv3: 20,
  premium0v3: 20,
  premiummv3: 20,
  isolated: 20,
  isolatedv2: 20,
  elasticpremium: 3,
  dynamic: 2,
};

const slotsOf = (ctx: RouteCtx, app: SiteRec): SiteRec[] =>
  ctx.core.store.all<SiteRec>('site').filter((s) => s.slot && key(s.slot.appId) === key(app.id));

/** A new slot: open (the app's kind's defaults), or with the config of the app or slot named in cloningInfo. */
function createSlot(ctx: RouteCtx, app: SiteRec) {
  const body = bodyObject(ctx.req);
  const p = propertiesOf(ctx.req);
  if (typeof body.location !== 'string' || !body.location) throw errors.badRequest("The parameter 'location' is required.");
  // ARM: a slot lives in its app's region and on its app's plan
  if (normalizeLocation(body.location) !== normalizeLocation(app.location))
    throw errors.badRequest(`The slot must be in the location of its app '${app.name}' (${app.location}), not '${body.location}'.`);
  if (typeof p.serverFarmId === 'string' && p.serverFarmId && !eqi(p.serverFarmId, app.serverFarmId))
    throw errors.badRequest(`A slot runs on its app's App Service plan '${app.serverFarmId}'.`);
  const plan = ctx.core.store.get<FarmRec>(app.serverFarmId, 'farm');
  const allowed = SLOTS_PER_TIER[(plan?.sku.tier ?? '').toLowerCase()] ?? 0;
  if (slotsOf(ctx, app).length >= allowed)
    throw errors.badRequest(
      `The App Service plan '${plan?.name ?? app.serverFarmId}' (${plan?.sku.tier ?? 'unknown tier'}) allows ${allowed} deployment slot(s) per app. Scale up to add more.`,
    );
  let config = defaultSiteConfig(app.kind);
  let publicNetworkAccess: string | undefined;
  const cloningInfo = p.cloningInfo;
  if (cloningInfo !== undefined && cloningInfo !== null) {
    const sourceId = stringField(cloningInfo, 'sourceWebAppId');
    if (sourceId === undefined) throw errors.badRequest("The parameter 'cloningInfo.sourceWebAppId' is required.");
    const source = ctx.core.store.get<SiteRec>(sourceId, 'site');
    if (!source) throw errors.badRequest(`The source app '${sourceId}' of the clone was not found.`);
    // cloning copies the site config (access restrictions included), not the VNet integration
    config = structuredClone(source.config);
    publicNetworkAccess = source.publicNetworkAccess;
  }
  if (typeof p.publicNetworkAccess === 'string') publicNetworkAccess = eqi(p.publicNetworkAccess, 'Disabled') ? 'Disabled' : p.publicNetworkAccess === '' ? '' : 'Enabled';
  const id = slotScope(ctx.params);
  const slot: SiteRec = {
    ...structuredClone(app),
    id,
    config,
    publicNetworkAccess,
    virtualNetworkSubnetId: undefined,
    outboundVnetRouting: { allTraffic: false, applicationTraffic: false, contentShareTraffic: false, imagePullTraffic: false, backupRestoreTraffic: false },
    tags: body.tags && typeof body.tags === 'object' ? { ...body.tags } : undefined,
    lastModifiedTimeUtc: nowIso(),
    customDomainVerificationId: stableGuid(id).replace(/-/g, '').toUpperCase(),
    slot: { name: ctx.params.slot, appId: app.id },
  };
  ctx.core.store.put(slot);
  ctx.core.store.snapshot(ctx.cause);
  return { status: 200, body: renderSite(ctx.core.store.current(), slot), resourceId: id };
}

function putSlot(ctx: RouteCtx) {
  const app = getSite(ctx);
  const existing = ctx.core.store.get<SiteRec>(slotScope(ctx.params), 'site');
  return existing?.slot ? patchSite(ctx, existing) : createSlot(ctx, app);
}

function deleteSlot(ctx: RouteCtx) {
  const slot = getSlot(ctx);
  ctx.core.store.remove(slot.id);
  ctx.core.store.snapshot(ctx.cause);
  return { status: 200, resourceId: slot.id };
}

/** A swap exchanges the slots' content; access restrictions, SCM site and VNet integration stay with each slot. */
function swap(ctx: RouteCtx, source: SiteRec) {
  const body = bodyObject(ctx.req);
  if (typeof body.targetSlot !== 'string' || !body.targetSlot) throw errors.badRequest("The parameter 'targetSlot' is required.");
  if (typeof body.preserveVnet !== 'boolean') throw errors.badRequest("The parameter 'preserveVnet' is required.");
  const appId = source.slot?.appId ?? source.id;
  const target = eqi(body.targetSlot, 'production') ? ctx.core.store.get<SiteRec>(appId, 'site') : ctx.core.store.get<SiteRec>(`${appId}/slots/${body.targetSlot}`, 'site');
  if (!target || key(target.id) === key(source.id)) throw errors.badRequest(`The target slot '${body.targetSlot}' was not found or is the source slot.`);
  const at = nowIso();
  for (const site of [source, target]) ctx.core.store.update(site, (s) => void (s.lastModifiedTimeUtc = at));
  ctx.core.store.snapshot(ctx.cause);
  return { status: 200, resourceId: source.id };
}

const slotChild = (child: string) => (p: Record<string, string>) => `${slotScope(p)}${child}`;

export const slotRoutes: Route[] = [
  {
    method: 'GET',
    pattern: `${SITE}/slots`,
    operationId: 'WebApps_ListSlots',
    provider: WEB,
    kind: 'read',
    action: 'Microsoft.Web/sites/slots/read',
    scope: siteScope,
    handle: (ctx) => {
      const recs = ctx.core.store.current();
      return listPage(ctx, slotsOf(ctx, getSite(ctx)), (s) => renderSite(recs, s));
    },
  },
  {
    method: 'GET',
    pattern: SLOT,
    operationId: 'WebApps_GetSlot',
    provider: WEB,
    kind: 'read',
    action: 'Microsoft.Web/sites/slots/read',
    scope: slotScope,
    handle: (ctx) => ({ status: 200, body: renderSite(ctx.core.store.current(), getSlot(ctx)) }),
  },
  {
    method: 'PUT',
    pattern: SLOT,
    operationId: 'WebApps_CreateOrUpdateSlot',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/slots/write',
    scope: slotScope,
    handle: putSlot,
  },
  {
    method: 'PATCH',
    pattern: SLOT,
    operationId: 'WebApps_UpdateSlot',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/slots/write',
    scope: slotScope,
    handle: (ctx) => patchSite(ctx, getSlot(ctx)),
  },
  {
    method: 'DELETE',
    pattern: SLOT,
    operationId: 'WebApps_DeleteSlot',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/slots/delete',
    scope: slotScope,
    handle: deleteSlot,
  },
  {
    method: 'GET',
    pattern: `${SLOT}/config/web`,
    operationId: 'WebApps_GetConfigurationSlot',
    provider: WEB,
    kind: 'read',
    action: 'Microsoft.Web/sites/slots/config/read',
    scope: slotChild('/config/web'),
    handle: (ctx) => ({ status: 200, body: renderSiteConfig(ctx.core.store.current(), getSlot(ctx)) }),
  },
  ...(['PUT', 'PATCH'] as const).map(
    (method): Route => ({
      method,
      pattern: `${SLOT}/config/web`,
      operationId: method === 'PUT' ? 'WebApps_CreateOrUpdateConfigurationSlot' : 'WebApps_UpdateConfigurationSlot',
      provider: WEB,
      kind: 'write',
      action: 'Microsoft.Web/sites/slots/config/write',
      scope: slotChild('/config/web'),
      linked: configLinked,
      handle: (ctx) => writeSiteConfig(ctx, getSlot(ctx)),
    }),
  ),
  {
    method: 'GET',
    pattern: `${SLOT}/networkConfig/virtualNetwork`,
    operationId: 'WebApps_GetSwiftVirtualNetworkConnectionSlot',
    provider: WEB,
    kind: 'read',
    action: 'Microsoft.Web/sites/slots/networkConfig/read',
    scope: slotChild('/networkConfig/virtualNetwork'),
    handle: (ctx) => ({ status: 200, body: renderSwift(ctx.core.store.current(), getSlot(ctx)) }),
  },
  {
    method: 'PUT',
    pattern: `${SLOT}/networkConfig/virtualNetwork`,
    operationId: 'WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheckSlot',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/slots/networkConfig/write',
    scope: slotChild('/networkConfig/virtualNetwork'),
    linked: joinSubnet,
    handle: (ctx) => connect(ctx, getSlot(ctx)),
  },
  {
    method: 'DELETE',
    pattern: `${SLOT}/networkConfig/virtualNetwork`,
    operationId: 'WebApps_DeleteSwiftVirtualNetworkSlot',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/slots/networkConfig/delete',
    scope: slotChild('/networkConfig/virtualNetwork'),
    handle: (ctx) => disconnect(ctx, getSlot(ctx)),
  },
  {
    method: 'POST',
    pattern: `${SITE}/slotsswap`,
    operationId: 'WebApps_SwapSlotWithProduction',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/slotsswap/action',
    scope: siteScope,
    handle: (ctx) => swap(ctx, getSite(ctx)),
  },
  {
    method: 'POST',
    pattern: `${SLOT}/slotsswap`,
    operationId: 'WebApps_SwapSlotSlot',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/slots/slotsswap/action',
    scope: slotScope,
    handle: (ctx) => swap(ctx, getSlot(ctx)),
  },
];
