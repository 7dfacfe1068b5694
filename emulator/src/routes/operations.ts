/** Azure-AsyncOperation status of Microsoft.Network long-running operations. */
import { errors } from '../errors';
import type { Lro } from '../lro';
import type { Route } from '../router';
import { NETWORK } from './common';

export const statusUrl = (baseUrl: string, subscriptionId: string, lro: Lro) =>
  `${baseUrl}/subscriptions/${subscriptionId}/providers/Microsoft.Network/locations/${lro.location}/operations/${lro.id}?api-version=2025-05-01`;

export const operationRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/subscriptions/{subscriptionId}/providers/Microsoft.Network/locations/{location}/operations/{operationId}',
    provider: NETWORK,
    kind: 'read',
    action: 'Microsoft.Network/locations/operations/read',
    scope: (p) => `/subscriptions/${p.subscriptionId}/providers/Microsoft.Network/locations/${p.location}/operations/${p.operationId}`,
    handle: (ctx) => {
      const op = ctx.core.lros.poll(ctx.params.operationId);
      if (!op || op.location.toLowerCase() !== ctx.params.location.toLowerCase())
        throw errors.networkNotFound(`/subscriptions/${ctx.params.subscriptionId}/providers/Microsoft.Network/locations/${ctx.params.location}/operations/${ctx.params.operationId}`);
      if (op.status === 'InProgress')
        return { status: 200, body: { status: 'InProgress' }, headers: { 'Retry-After': String(ctx.core.retryAfter) } };
      if (op.status === 'Failed') return { status: 200, body: { status: 'Failed', error: { ...op.error } } };
      return { status: 200, body: { status: 'Succeeded' } };
    },
  },
];
