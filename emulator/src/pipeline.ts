/**
 * One ARM request through the emulator, independent of HTTP, as a chain of stages: each stage does
 * one thing and either answers or passes the request on (`next`), like the SDK's own pipeline.
 * Request stages run until the route is known; route stages run with the route's context.
 */
import { API_VERSIONS } from './apiVersions';
import type { EmulatorCore, Principal } from './core';
import { ArmError, errors } from './errors';
import { sleep, uuid } from './ids';
import { authorizationFailed, linkedAuthorizationFailed } from './rbac';
import { findRoutes, type ArmRequest, type Match, type Route, type RouteCtx } from './router';
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

/** a request on its way through the stages; what a stage learns is kept here for the later ones */
interface RequestState {
  readonly core: EmulatorCore;
  readonly incoming: IncomingArmRequest;
  readonly started: Date;
  readonly requestId: string;
  readonly correlationId: string;
  readonly clientRequestId: string;
  readonly url: URL;
  readonly path: string;
  readonly method: string;
  readonly kind: 'read' | 'write';
  /** the subscription the path names, if any (throttling and rate-limit headers) */
  readonly subscriptionInPath: string | undefined;
  principal: Principal;
  /** the routes whose pattern matches the path, whatever their method */
  routesByPath: Match[];
  /** the route for the path and method, once known */
  match?: Match;
  body?: unknown;
}

/** a request whose route is known */
interface RoutedState {
  readonly request: RequestState;
  readonly route: Route;
  readonly ctx: RouteCtx;
  /** RBAC scope and Activity Log resource id */
  readonly scope: string;
}

type Next = () => Promise<OutgoingArmResponse>;
type Stage<S> = (state: S, next: Next) => Promise<OutgoingArmResponse>;

function runStages<S>(stages: readonly Stage<S>[], state: S, last: Next): Promise<OutgoingArmResponse> {
  const at = (index: number): Promise<OutgoingArmResponse> => (index < stages.length ? stages[index](state, () => at(index + 1)) : last());
  return at(0);
}

const REDACT = /^(bearer)\s+.*$/i;

function redactedHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, name === 'authorization' ? value.replace(REDACT, '$1 <redacted>') : value]));
}

/** the request log entry, written after the answer is complete (unless the request is silent) */
const recordExchange: Stage<RequestState> = async (state, next) => {
  const out = await next();
  const { incoming, method, path, match } = state;
  const exchange: RecordedExchange = {
    time: state.started.toISOString(),
    method,
    url: incoming.url,
    requestHeaders: redactedHeaders(incoming.headers),
    status: out.reset ? 0 : out.status,
    responseHeaders: out.reset ? {} : Object.fromEntries(Object.entries(out.headers).map(([name, value]) => [name.toLowerCase(), value])),
    caller: state.principal.caller,
  };
  if (state.body !== undefined) exchange.requestBody = state.body;
  else if (incoming.rawBody) exchange.requestBody = incoming.rawBody;
  if (!out.reset && out.body !== undefined) exchange.responseBody = structuredClone(out.body);
  if (match?.route.operationId) exchange.operationId = match.route.operationId;
  else if (!match) {
    const guess = findRoutes(ROUTES, method, path).match?.route.operationId;
    if (guess) exchange.operationId = guess;
  }
  if (incoming.actor !== undefined) exchange.outOfBand = true;
  if (!incoming.silent) state.core.requests.push(exchange);
  return out;
};

/** the headers ARM puts on every response */
const addResponseHeaders: Stage<RequestState> = async (state, next) => {
  const out = await next();
  const { requestId, clientRequestId, subscriptionInPath, kind } = state;
  const headers: Record<string, string> = {
    'x-ms-request-id': requestId,
    'x-ms-correlation-request-id': state.correlationId,
    'x-ms-routing-request-id': `WESTEUROPE:${state.started.toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z:${requestId}`,
    'Cache-Control': 'no-cache',
    Pragma: 'no-cache',
    Expires: '-1',
    'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    'X-Content-Type-Options': 'nosniff',
    ...out.headers,
  };
  if (clientRequestId) headers['x-ms-client-request-id'] = clientRequestId;
  if (subscriptionInPath) headers[`x-ms-ratelimit-remaining-subscription-${kind}s`] = String(state.core.throttle.remaining(subscriptionInPath, kind));
  if (out.body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
  return { status: out.status, headers, body: out.body, reset: out.reset, lroId: out.lroId };
};

/** any error becomes ARM's error answer; a write that reached the resource provider (or RBAC) is logged as failed */
const answerErrors: Stage<RequestState> = async (state, next) => {
  try {
    return await next();
  } catch (thrown) {
    if (!(thrown instanceof ArmError)) {
      // an emulator bug: answer like ARM would, but keep the stack visible to whoever runs the tests
      console.error('[arm-emulator] internal error', thrown);
    }
    const err = thrown instanceof ArmError ? thrown : new ArmError(500, 'InternalServerError', `Emulator error: ${(thrown as Error)?.message ?? thrown}`);
    // auth/throttle/routing errors are not in the Activity Log
    const { match } = state;
    if (match && match.route.kind === 'write' && err.code !== 'SubscriptionRequestsThrottled')
      logWrite(state, match.route, match.route.scope(match.params), 'Failed', err.status, err.body(), err.status === 403);
    return { status: err.status, body: err.body(), headers: { ...err.headers } };
  }
};

const authenticate: Stage<RequestState> = (state, next) => {
  const { incoming, core } = state;
  if (incoming.actor !== undefined) state.principal = core.actor(incoming.actor);
  else {
    const auth = incoming.headers['authorization'];
    if (!auth) throw errors.authMissing();
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!bearer) throw errors.authInvalid();
    state.principal = core.principalFor(bearer[1]);
  }
  return next();
};

/** long-running operations nobody polls end by themselves */
const sweepOperations: Stage<RequestState> = (state, next) => {
  state.core.lros.sweep();
  return next();
};

/** per-subscription token buckets */
const throttle: Stage<RequestState> = (state, next) => {
  const { core, incoming, subscriptionInPath, kind } = state;
  if (incoming.actor === undefined && subscriptionInPath && !core.throttle.take(subscriptionInPath, kind))
    throw errors.throttled(kind, subscriptionInPath, state.principal.objectId, core.retryAfter);
  return next();
};

const findPath: Stage<RequestState> = (state, next) => {
  const found = findRoutes(ROUTES, state.method, state.path);
  if (!found.byPath.length) throw errors.notFoundPath(state.path);
  state.routesByPath = found.byPath;
  return next();
};

/** the api-version must be one the provider of the path supports */
const checkApiVersion: Stage<RequestState> = (state, next) => {
  const provider = state.routesByPath[0].route.provider;
  const apiVersion = state.url.searchParams.get('api-version');
  if (!apiVersion) throw errors.missingApiVersion();
  const supported = API_VERSIONS[provider];
  if (!supported.includes(apiVersion)) throw errors.invalidApiVersion(apiVersion, supported);
  return next();
};

const findMethod: Stage<RequestState> = (state, next) => {
  const match = state.routesByPath.find((m) => m.route.method === state.method);
  if (!match) throw errors.methodNotAllowed(state.method, state.path);
  state.match = match;
  return next();
};

const checkSubscription: Stage<RequestState> = (state, next) => {
  const { subscriptionId } = state.match!.params;
  if (subscriptionId !== undefined && subscriptionId.toLowerCase() !== state.core.store.subscriptionId.toLowerCase())
    throw errors.subscriptionNotFound(subscriptionId);
  return next();
};

const parseBody: Stage<RequestState> = (state, next) => {
  const raw = state.incoming.rawBody;
  if (raw && raw.trim()) {
    try {
      state.body = JSON.parse(raw);
    } catch (e) {
      throw errors.invalidContent((e as Error).message);
    }
  }
  return next();
};

/** RBAC, then ARM's linked access checks on resources referenced by the body */
const authorize: Stage<RoutedState> = (state, next) => {
  const { request, route, ctx, scope } = state;
  const { core, principal } = request;
  if (request.incoming.actor === undefined && core.rbac.enabled && !route.rowsAuthorized) {
    if (!core.rbac.allows(route.action)) throw authorizationFailed(principal, route.action, scope);
    // every denied link is named at once, as ARM does ("action(s) ... on the linked scope(s) ... (respectively)")
    const denied = (route.linked?.(ctx) ?? []).filter((link) => !core.rbac.allows(link.action));
    if (denied.length) throw linkedAuthorizationFailed(principal, route.action, scope, denied);
  }
  return next();
};

/** the first matching injected fault, if any, acts on the request */
const injectFault: Stage<RoutedState> = async (state, next) => {
  const { request, route, ctx } = state;
  if (request.incoming.actor !== undefined) return next();
  const { core, method, path, kind } = request;
  const fault = core.faults.take(method, path, !!route.startsLro);
  switch (fault?.kind) {
    case 'latency':
      await sleep(fault.latencyInMs ?? 1000);
      break;
    case 'reset':
      return { status: 0, headers: {}, reset: true };
    case 'status':
      if (fault.status === 412) throw errors.concurrentEdit();
      throw fault.status === 503 ? errors.unavailable(core.retryAfter) : errors.internal();
    case 'throttle':
      throw errors.throttled(kind, ctx.params.subscriptionId, request.principal.objectId, core.retryAfter);
    case 'anotherOperationInProgress':
      throw errors.anotherOperation(
        fault.status === 429 ? 429 : 409,
        `${request.incoming.baseUrl}/subscriptions/${ctx.params.subscriptionId}/providers/Microsoft.Network/locations/westeurope/operations/${uuid()}?api-version=2025-05-01`,
        core.retryAfter,
      );
    case 'lroFailed':
      ctx.lroFailed = true;
      break;
  }
  return next();
};

const checkResourceGroup: Stage<RoutedState> = (state, next) => {
  const { resourceGroupName } = state.ctx.params;
  if (resourceGroupName && !state.request.core.store.resourceGroups.has(resourceGroupName.toLowerCase()))
    throw errors.resourceGroupNotFound(resourceGroupName);
  return next();
};

/** the operation itself; a write is logged in the Activity Log */
async function handle({ request, route, ctx, scope }: RoutedState): Promise<OutgoingArmResponse> {
  const res = await route.handle(ctx);
  if (route.kind === 'write') logWrite(request, route, res.resourceId ?? scope, res.lroStarted ? 'Accepted' : 'Succeeded', res.status);
  return { status: res.status, body: res.body, headers: { ...(res.headers ?? {}) }, lroId: res.lroId };
}

const ROUTE_STAGES: readonly Stage<RoutedState>[] = [authorize, injectFault, checkResourceGroup];

/** the route's context, and the request through the route stages to the operation */
function dispatch(request: RequestState): Promise<OutgoingArmResponse> {
  const { core, method, path, principal } = request;
  const { route, params } = request.match!;
  const req: ArmRequest = {
    method,
    path,
    query: request.url.searchParams,
    headers: request.incoming.headers,
    body: request.body,
    baseUrl: request.incoming.baseUrl,
    correlationId: request.correlationId,
    requestId: request.requestId,
    clientRequestId: request.clientRequestId,
  };
  const ctx: RouteCtx = { core, req, params, principal, lroFailed: false, cause: `${method} ${path} by ${principal.caller}` };
  const routed: RoutedState = { request, route, ctx, scope: route.scope(params) };
  return runStages(ROUTE_STAGES, routed, () => handle(routed));
}

const REQUEST_STAGES: readonly Stage<RequestState>[] = [
  recordExchange,
  addResponseHeaders,
  answerErrors,
  authenticate,
  sweepOperations,
  throttle,
  findPath,
  checkApiVersion,
  findMethod,
  checkSubscription,
  parseBody,
];

function logWrite(
  state: RequestState,
  route: Route,
  resourceId: string,
  status: 'Accepted' | 'Succeeded' | 'Failed',
  httpStatus: number,
  errorBody?: unknown,
  onlyEnd = false,
) {
  const { core, principal, requestId } = state;
  const base = {
    caller: principal.caller,
    objectId: principal.objectId,
    principalType: principal.principalType,
    correlationId: state.correlationId,
    operationId: requestId,
    action: route.action,
    resourceId,
    subscriptionId: core.store.subscriptionId,
    method: state.method,
    clientRequestId: state.clientRequestId,
    serviceRequestId: requestId,
  };
  if (!onlyEnd) core.activity.record({ ...base, status: 'Started' });
  core.activity.record({ ...base, status, httpStatus, errorBody });
}

function initialState(core: EmulatorCore, incoming: IncomingArmRequest): RequestState {
  const started = new Date();
  const requestId = uuid();
  const url = new URL(incoming.url, 'https://emulator.invalid');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = incoming.method.toUpperCase();
  return {
    core,
    incoming,
    started,
    requestId,
    correlationId: incoming.headers['x-ms-correlation-request-id'] || uuid(),
    clientRequestId: incoming.headers['x-ms-client-request-id'] || '',
    url,
    path,
    method,
    kind: method === 'GET' || method === 'HEAD' ? 'read' : 'write',
    subscriptionInPath: /^\/subscriptions\/([^/]+)/i.exec(path)?.[1],
    principal: { caller: 'unknown', principalType: 'ServicePrincipal', objectId: '' },
    routesByPath: [],
  };
}

export async function processArmRequest(core: EmulatorCore, incoming: IncomingArmRequest): Promise<OutgoingArmResponse> {
  const state = initialState(core, incoming);
  return runStages(REQUEST_STAGES, state, () => dispatch(state));
}
