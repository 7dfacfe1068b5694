/**
 * ARM list paging: a page of `value` and a `nextLink` (absolute, with the api-version and a
 * `$skiptoken`) while items remain, as ARM's collection responses do (x-ms-pageable).
 */
import { errors } from '../errors';
import type { ArmResponse, RouteCtx } from '../router';

export function listPage<T>(ctx: RouteCtx, items: T[], render: (item: T) => unknown): ArmResponse {
  const pageSize = ctx.core.listPageSize;
  const token = ctx.req.query.get('$skiptoken');
  const start = token === null ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw errors.badRequest(`The $skiptoken '${token}' is not valid.`, 'InvalidSkipToken');
  const end = start + pageSize;
  const body: { value: unknown[]; nextLink?: string } = { value: items.slice(start, end).map(render) };
  if (end < items.length) {
    const next = new URLSearchParams({ 'api-version': ctx.req.query.get('api-version') ?? '', $skiptoken: String(end) });
    body.nextLink = `${ctx.req.baseUrl}${ctx.req.path}?${next.toString()}`;
  }
  return { status: 200, body };
}
