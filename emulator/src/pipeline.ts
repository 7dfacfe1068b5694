/**
 * One ARM request through the emulator, independent of HTTP: authentication, throttling, routing,
 * api-version, RBAC (with linked checks), faults, the handler, Activity Log, headers, request log.
 */
import { API_VERSIONS } from './apiVersions';
import type { EmulatorCore, Principal } from './core';
import { ArmError, errors } from './errors';
import { sleep, uuid } from './ids';
import { authorizationFailed, linkedAuthorizationFailed } from './rbac';
import { findRoutes, type ArmRequest, type ArmResponse, type Match, type RouteCtx } from './router';
import { ROUTES } from './routes';
import type { RecordedExchange } from './types';

export interface IncomingArmRequest {
  method: string;
  /** path + query as received */
  url: string;
  /** lower-case header names */
  headers: Record<string, string>;
  rawBody: string;
  baseUrl: string;
  /** admin outOfBand(): the request is made by this named actor, bypassing auth, RBAC, throttling and faults */
  actor?: string;
  /** do not record in the request log (internal reads of the admin API) */
  silent?: boolean;
}

export interface OutgoingArmResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  /** destroy the connection instead of answering (reset fault) */
  reset?: boolean;
  lroId?: string;
}

const REDACT = /^(bearer)\s+.*$/i;

export async function processArmRequest(core: EmulatorCore, inc: IncomingArmRequest): Promise<OutgoingArmResponse> {
  const started = new Date();
  const requestId = uuid();
  const correlationId = inc.headers['x-ms-correlation-request-id'] || uuid();
  const clientRequestId = inc.headers['x-ms-client-request-id'] || '';
  const u = new URL(inc.url, 'https://emulator.invalid');
  const path = u.pathname.replace(/\/+$/, '') || '/';
  const method = inc.method.toUpperCase();
  const kind: 'read' | 'write' = method === 'GET' || method === 'HEAD' ? 'read' : 'write';
  const subInPath = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1];

  let principal: Principal = { caller: 'unknown', principalType: 'ServicePrincipal', objectId: '' };
  let match: Match | undefined;
  let body: unknown;
  let out: { status: number; body?: unknown; headers: Record<string, string>; reset?: boolean; lroId?: string };

  try {
    out = await (async () => {
      // ---- authentication
      if (inc.actor !== undefined) principal = core.actor(inc.actor);
      else {
        const auth = inc.headers['authorization'];
        if (!auth) throw errors.authMissing();
        const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
        if (!m) throw errors.authInvalid();
        principal = core.principalFor(m[1]);
      }
      core.lros.sweep();
      // ---- throttling (per subscription)
      if (inc.actor === undefined && subInPath && !core.throttle.take(subInPath, kind))
        throw errors.throttled(kind, subInPath, principal.objectId, core.retryAfter);
      // ---- routing
      const found = findRoutes(ROUTES, method, path);
      if (!found.byPath.length) throw errors.notFoundPath(path);
      const provider = found.byPath[0].route.provider;
      // ---- api-version
      const apiVersion = u.searchParams.get('api-version');
      if (!apiVersion) throw errors.missingApiVersion();
      const supported = API_VERSIONS[provider];
      if (!supported.includes(apiVersion)) throw errors.invalidApiVersion(apiVersion, supported);
      if (!found.match) throw errors.methodNotAllowed(method, path);
      match = found.match;
      const { route, params } = match;
      // ---- subscription / resource group
      if (params.subscriptionId !== undefined && params.subscriptionId.toLowerCase() !== core.store.subscriptionId.toLowerCase())
        throw errors.subscriptionNotFound(params.subscriptionId);
      // ---- body
      if (inc.rawBody && inc.rawBody.trim()) {
        try {
          body = JSON.parse(inc.rawBody);
        } catch (e) {
          throw errors.invalidContent((e as Error).message);
        }
      }
      const req: ArmRequest = {
        method,
        path,
        query: u.searchParams,
        headers: inc.headers,
        body,
        baseUrl: inc.baseUrl,
        correlationId,
        requestId,
        clientRequestId,
      };
      const ctx: RouteCtx = {
        core,
        req,
        params,
        principal,
        lroFailed: false,
        cause: `${method} ${path} by ${principal.caller}`,
      };
      const scope = route.scope(params);
      // ---- RBAC, then ARM's linked access checks on resources referenced by the body
      if (inc.actor === undefined && core.rbac.enabled && !route.rowsAuthorized) {
        if (!core.rbac.allows(route.action)) throw authorizationFailed(principal, route.action, scope);
        // every denied link is named at once, as ARM does ("action(s) ... on the linked scope(s) ... (respectively)")
        const denied = (route.linked?.(ctx) ?? []).filter((l) => !core.rbac.allows(l.action));
        if (denied.length) throw linkedAuthorizationFailed(principal, route.action, scope, denied);
      }
      // ---- faults
      if (inc.actor === undefined) {
        const fault = core.faults.take(method, path, !!route.startsLro);
        if (fault) {
          switch (fault.kind) {
            case 'latency':
              await sleep(fault.latencyInMs ?? 1000);
              break;
            case 'reset':
              return { status: 0, headers: {}, reset: true };
            case 'status':
              if (fault.status === 412) throw errors.concurrentEdit();
              throw fault.status === 503 ? errors.unavailable(core.retryAfter) : errors.internal();
            case 'throttle':
              throw errors.throttled(kind, params.subscriptionId, principal.objectId, core.retryAfter);
            case 'anotherOperationInProgress':
              throw errors.anotherOperation(
                fault.status === 429 ? 429 : 409,
                `${inc.baseUrl}/subscriptions/${params.subscriptionId}/providers/Microsoft.Network/locations/westeurope/operations/${uuid()}?api-version=2025-05-01`,
                core.retryAfter,
              );
            case 'lroFailed':
              ctx.lroFailed = true;
              break;
          }
        }
      }
      if (params.resourceGroupName && !core.store.resourceGroups.has(params.resourceGroupName.toLowerCase()))
        throw errors.resourceGroupNotFound(params.resourceGroupName);
      // ---- the operation
      const res: ArmResponse = await route.handle(ctx);
      if (route.kind === 'write') logWrite(core, res.resourceId ?? scope, res.lroStarted ? 'Accepted' : 'Succeeded', res.status);
      return { status: res.status, body: res.body, headers: { ...(res.headers ?? {}) }, lroId: res.lroId };
    })();
  } catch (e) {
    if (!(e instanceof ArmError)) {
      // an emulator bug: answer like ARM would, but keep the stack visible to whoever runs the tests
      console.error('[arm-emulator] internal error', e);
    }
    const err = e instanceof ArmError ? e : new ArmError(500, 'InternalServerError', `Emulator error: ${(e as Error)?.message ?? e}`);
    // writes that reached the resource provider (or RBAC) are in the Activity Log; auth/throttle/routing errors are not
    if (match && match.route.kind === 'write' && err.code !== 'SubscriptionRequestsThrottled')
      logWrite(core, match.route.scope(match.params), 'Failed', err.status, err.body(), err.status === 403);
    out = { status: err.status, body: err.body(), headers: { ...err.headers } };
  }

  function logWrite(c: EmulatorCore, resourceId: string, status: 'Accepted' | 'Succeeded' | 'Failed', httpStatus: number, errorBody?: unknown, onlyEnd = false) {
    const base = {
      caller: principal.caller,
      objectId: principal.objectId,
      principalType: principal.principalType,
      correlationId,
      operationId: requestId,
      action: match!.route.action,
      resourceId,
      subscriptionId: c.store.subscriptionId,
      method,
      clientRequestId,
      serviceRequestId: requestId,
    };
    if (!onlyEnd) c.activity.record({ ...base, status: 'Started' });
    c.activity.record({ ...base, status, httpStatus, errorBody });
  }

  // ---- headers on every response
  const headers: Record<string, string> = {
    'x-ms-request-id': requestId,
    'x-ms-correlation-request-id': correlationId,
    'x-ms-routing-request-id': `WESTEUROPE:${started.toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z:${requestId}`,
    'Cache-Control': 'no-cache',
    Pragma: 'no-cache',
    Expires: '-1',
    'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    'X-Content-Type-Options': 'nosniff',
    ...out.headers,
  };
  if (clientRequestId) headers['x-ms-client-request-id'] = clientRequestId;
  if (subInPath) headers[`x-ms-ratelimit-remaining-subscription-${kind}s`] = String(core.throttle.remaining(subInPath, kind));
  if (out.body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';

  const exchange: RecordedExchange = {
    time: started.toISOString(),
    method,
    url: inc.url,
    requestHeaders: Object.fromEntries(
      Object.entries(inc.headers).map(([k, v]) => [k, k === 'authorization' ? v.replace(REDACT, '$1 <redacted>') : v]),
    ),
    status: out.reset ? 0 : out.status,
    responseHeaders: out.reset ? {} : Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    caller: principal.caller,
  };
  if (body !== undefined) exchange.requestBody = body;
  else if (inc.rawBody) exchange.requestBody = inc.rawBody;
  if (!out.reset && out.body !== undefined) exchange.responseBody = structuredClone(out.body);
  if (match?.route.operationId) exchange.operationId = match.route.operationId;
  else if (!match) {
    const guess = findRoutes(ROUTES, method, path).match?.route.operationId;
    if (guess) exchange.operationId = guess;
  }
  if (inc.actor !== undefined) exchange.outOfBand = true;
  if (!inc.silent) core.requests.push(exchange);

  return { status: out.status, headers, body: out.body, reset: out.reset, lroId: out.lroId };
}
