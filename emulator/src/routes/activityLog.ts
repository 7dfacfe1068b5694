/** Microsoft.Insights Activity Log: eventtypes/management/values. */
import type { Route } from '../router';
import { INSIGHTS } from './common';

export const activityLogRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/subscriptions/{subscriptionId}/providers/Microsoft.Insights/eventtypes/management/values',
    operationId: 'ActivityLogs_List',
    provider: INSIGHTS,
    kind: 'read',
    action: 'Microsoft.Insights/eventtypes/values/read',
    scope: (p) => `/subscriptions/${p.subscriptionId}`,
    handle: (ctx) => ({
      status: 200,
      body: ctx.core.activity.query(ctx.req.query.get('$filter'), ctx.req.query.get('$select')),
    }),
  },
];
