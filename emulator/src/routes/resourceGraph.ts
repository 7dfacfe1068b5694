/**
 * Microsoft.ResourceGraph/resources: POST a query over the tables Lockdown reads (see
 * resourceGraph/query.ts for the subset). Rows reflect the state as it was `lagInMs` ago (Resource
 * Graph lags ARM), pages hold at most 1,000 rows and continue through $skipToken, every answer
 * counts against the caller's quota, and a caller sees only rows of types it may read.
 */
import { ArmError } from '../errors';
import { parseQuery, invalidQuery, type ParsedQuery } from '../resourceGraph/query';
import { tableRows, type Row } from '../resourceGraph/rows';
import type { HistoryEntry } from '../state';
import type { Route, RouteCtx } from '../router';
import { bodyObject } from './common';

export const RESOURCE_GRAPH = 'Microsoft.ResourceGraph' as const;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** The read permission a row needs (Resource Graph filters rows by the caller's RBAC). */
const READ_ACTION: Record<string, string> = {
  'microsoft.web/sites': 'Microsoft.Web/sites/read',
  'microsoft.web/sites/slots': 'Microsoft.Web/sites/slots/read',
  'microsoft.web/serverfarms': 'Microsoft.Web/serverfarms/read',
  'microsoft.network/virtualnetworks': 'Microsoft.Network/virtualNetworks/read',
  'microsoft.web/sites/config/web': 'Microsoft.Web/sites/config/read',
};

interface SkipToken {
  seq: number;
  offset: number;
  query: string;
}

/** The newest recorded state at least `lagInMs` old (the seed when every state is newer). */
function lagged(history: readonly HistoryEntry[], lagInMs: number, now: number): HistoryEntry {
  for (let index = history.length - 1; index >= 0; index--) if (Date.parse(history[index].time) <= now - lagInMs) return history[index];
  return history[0];
}

function readToken(text: unknown, query: string): SkipToken {
  try {
    const token = JSON.parse(Buffer.from(String(text), 'base64').toString('utf8')) as SkipToken;
    if (token.query === query && Number.isInteger(token.offset) && Number.isInteger(token.seq)) return token;
  } catch {
    // refused below
  }
  throw new ArmError(400, 'BadRequest', 'The $skipToken is invalid or belongs to another query.', {}, [{ code: 'InvalidSkipToken', message: 'The $skipToken is invalid or belongs to another query.' }]);
}

function matches(row: Row, query: ParsedQuery, subscriptions: Set<string> | undefined, mayRead: (row: Row) => boolean): boolean {
  if (subscriptions && !subscriptions.has(String(row.subscriptionId).toLowerCase())) return false;
  for (const filter of query.filters) {
    const value = String(row[filter.column] ?? '').toLowerCase();
    if (!filter.values.some((wanted) => wanted.toLowerCase() === value)) return false;
  }
  return mayRead(row);
}

function projected(row: Row, columns: string[] | undefined): Row {
  if (!columns) return row;
  return Object.fromEntries(columns.filter((column) => row[column] !== undefined).map((column) => [column, row[column]]));
}

function handle(ctx: RouteCtx) {
  const { core, req } = ctx;
  const body = bodyObject(req);
  const options = (body.options ?? {}) as Record<string, unknown>;
  const query = parseQuery(body.query);
  if (core.resourceGraph.refuse) throw core.resourceGraph.refuse === 403
    ? new ArmError(403, 'AuthorizationFailed', `The client '${ctx.principal.caller}' does not have access to query Resource Graph (refused by the emulator's settings).`)
    : invalidQuery('Resource Graph refused the query (the emulator\'s settings)', String(body.query));
  const headers = core.resourceGraph.quota.take(ctx.principal.objectId);
  const top = options.$top === undefined ? DEFAULT_PAGE : Number(options.$top);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) throw new ArmError(400, 'BadRequest', `$top must be between 1 and ${MAX_PAGE}.`);
  if (options.resultFormat !== undefined && options.resultFormat !== 'objectArray') throw invalidQuery('only resultFormat objectArray is emulated', String(options.resultFormat));
  const history = core.store.history();
  const token = options.$skipToken === undefined ? undefined : readToken(options.$skipToken, String(body.query));
  const state = (token && history.find((entry) => entry.seq === token.seq)) ?? lagged(history, core.resourceGraph.lagInMs, Date.now());
  const subscriptions = Array.isArray(body.subscriptions) ? new Set(body.subscriptions.map((id: unknown) => String(id).toLowerCase())) : undefined;
  const mayRead = (row: Row) => !core.rbac.enabled || core.rbac.allows(READ_ACTION[String(row.type)] ?? `${String(row.type)}/read`);
  const rows = tableRows(state.resources, query.table).filter((row) => matches(row, query, subscriptions, mayRead));
  const offset = token?.offset ?? (options.$skip === undefined ? 0 : Number(options.$skip));
  const page = rows.slice(offset, offset + top).map((row) => projected(row, query.project));
  const more = offset + top < rows.length;
  // Resource Graph pages in a stable order only when the rows carry their id.
  if (more && query.project && !query.project.includes('id')) throw invalidQuery('paging needs the id column in the projection', 'project');
  const skipToken = more ? Buffer.from(JSON.stringify({ seq: state.seq, offset: offset + top, query: String(body.query) } satisfies SkipToken)).toString('base64') : undefined;
  return {
    status: 200,
    headers,
    body: { totalRecords: rows.length, count: page.length, resultTruncated: 'false', ...(skipToken ? { $skipToken: skipToken } : {}), facets: [], data: page },
  };
}

export const resourceGraphRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/providers/Microsoft.ResourceGraph/resources',
    operationId: 'Resources',
    provider: RESOURCE_GRAPH,
    kind: 'read',
    action: 'Microsoft.ResourceGraph/resources/read',
    rowsAuthorized: true,
    scope: () => '/',
    handle,
  },
];
