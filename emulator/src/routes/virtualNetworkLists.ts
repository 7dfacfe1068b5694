/** Microsoft.Network virtualNetworks: the two list operations (a subscription, a resource group), paged. */
import { key } from '../ids';
import type { Route, RouteCtx } from '../router';
import type { VnetRec } from '../state';
import { renderVnet } from '../wire';
import { NETWORK } from './common';
import { listPage } from './paging';

function listVirtualNetworks(ctx: RouteCtx, resourceGroup?: string) {
  const recs = ctx.core.store.current();
  const vnets = ctx.core.store.all<VnetRec>('vnet').filter((vnet) => !resourceGroup || key(vnet.resourceGroup) === key(resourceGroup));
  return listPage(ctx, vnets, (vnet) => renderVnet(recs, vnet));
}

export const virtualNetworkListRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/subscriptions/{subscriptionId}/providers/Microsoft.Network/virtualNetworks',
    operationId: 'VirtualNetworks_ListAll',
    provider: NETWORK,
    kind: 'read',
    action: 'Microsoft.Network/virtualNetworks/read',
    scope: (p) => `/subscriptions/${p.subscriptionId}`,
    handle: (ctx) => listVirtualNetworks(ctx),
  },
  {
    method: 'GET',
    pattern: '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks',
    operationId: 'VirtualNetworks_List',
    provider: NETWORK,
    kind: 'read',
    action: 'Microsoft.Network/virtualNetworks/read',
    scope: (p) => `/subscriptions/${p.subscriptionId}/resourceGroups/${p.resourceGroupName}`,
    handle: (ctx) => listVirtualNetworks(ctx, ctx.params.resourceGroupName),
  },
];
