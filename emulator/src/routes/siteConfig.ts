/** sites/{name}/config/web: GET, PUT, PATCH. */
import type { Route, RouteCtx } from '../router';
import type { SiteRec } from '../state';
import { applyConfig } from '../siteConfigModel';
import { renderSiteConfig } from '../wire';
import { getSite, nowIso, propertiesOf, serviceEndpointJoins, SITE, siteScope, subnetLookup, WEB } from './common';

const path = `${SITE}/config/web`;
const scope = (p: Record<string, string>) => `${siteScope(p)}/config/web`;

/** PUT/PATCH config/web of an app or a slot. */
export function writeSiteConfig(ctx: RouteCtx, site: SiteRec = getSite(ctx)) {
  const change = applyConfig(site, propertiesOf(ctx.req), subnetLookup(ctx.core));
  const updated = ctx.core.store.update(site, (s) => {
    s.config = change.config;
    if (change.vnetRouteAllEnabled !== undefined) s.outboundVnetRouting.applicationTraffic = change.vnetRouteAllEnabled;
    if (change.publicNetworkAccess !== undefined) s.publicNetworkAccess = change.publicNetworkAccess;
    s.lastModifiedTimeUtc = nowIso();
  });
  ctx.core.store.snapshot(ctx.cause);
  return { status: 200, body: renderSiteConfig(ctx.core.store.current(), updated), resourceId: `${site.id}/config/web` };
}

export const linked = (ctx: RouteCtx) => serviceEndpointJoins(propertiesOf(ctx.req));

export const siteConfigRoutes: Route[] = [
  {
    method: 'GET',
    pattern: path,
    operationId: 'WebApps_GetConfiguration',
    provider: WEB,
    kind: 'read',
    action: 'Microsoft.Web/sites/config/read',
    scope,
    handle: (ctx) => ({ status: 200, body: renderSiteConfig(ctx.core.store.current(), getSite(ctx)) }),
  },
  {
    method: 'PUT',
    pattern: path,
    operationId: 'WebApps_CreateOrUpdateConfiguration',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/config/write',
    scope,
    linked,
    handle: (ctx) => writeSiteConfig(ctx),
  },
  {
    method: 'PATCH',
    pattern: path,
    operationId: 'WebApps_UpdateConfiguration',
    provider: WEB,
    kind: 'write',
    action: 'Microsoft.Web/sites/config/write',
    scope,
    linked,
    handle: (ctx) => writeSiteConfig(ctx),
  },
];
