/** Microsoft.Web/serverfarms: GET. */
import type { Route } from '../router';
import { renderFarm } from '../wire';
import { FARM, farmScope, getFarm, WEB } from './common';

export const serverFarmRoutes: Route[] = [
  {
    method: 'GET',
    pattern: FARM,
    operationId: 'AppServicePlans_Get',
    provider: WEB,
    kind: 'read',
    action: 'Microsoft.Web/serverfarms/read',
    scope: farmScope,
    handle: (ctx) => ({ status: 200, body: renderFarm(ctx.core.store.current(), getFarm(ctx)) }),
  },
];
