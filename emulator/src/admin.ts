/** The admin API: in-process (EmulatorAdmin) and over HTTP under /_admin/ (no bearer token needed). */
import { SDK_API_VERSION } from './apiVersions';
import type { EmulatorCore } from './core';
import type { EventSubscriptionSpec } from './eventGrid';
import { isObject } from './ids';
import { processArmRequest } from './pipeline';
import { findRoutes } from './router';
import { ROUTES } from './routes';
import type { Topology } from './topology';
import type { EmulatorAdmin, FaultSpec, OutOfBandRequest, ResourceGraphOptions, ThrottleOptions } from './types';

export function createAdmin(core: EmulatorCore): EmulatorAdmin {
  return {
    seed: (topology: Topology) => core.seed(topology),
    outOfBand: (actor: string, request: OutOfBandRequest) => outOfBand(core, actor, request),
    state: () => core.state(),
    history: () => core.history(),
    requests: () => structuredClone(core.requests),
    clearRequests: () => {
      core.requests = [];
    },
    addFault: (fault: FaultSpec) => core.faults.add(fault),
    clearFaults: () => core.faults.clear(),
    setRbac: (allowedActions: string[] | null) => core.rbac.set(allowedActions),
    setThrottle: (throttle: ThrottleOptions | undefined) => core.throttle.configure(throttle),
    setResourceGraph: (options: ResourceGraphOptions) => core.configureResourceGraph(options),
    activityLog: () => core.activity.all(),
    setEventSubscription: (subscription) => core.eventGrid.configure(subscription),
    events: () => structuredClone(core.eventGrid.emitted),
    eventsSettled: () => core.eventGrid.settled(),
  };
}

async function outOfBand(core: EmulatorCore, actor: string, request: OutOfBandRequest): Promise<{ status: number; body: unknown }> {
  if (!actor || typeof actor !== 'string') throw new Error('outOfBand: actor (a name) is required');
  if (!request || typeof request.method !== 'string' || typeof request.path !== 'string')
    throw new Error('outOfBand: request { method, path, body? } is required');
  const u = new URL(request.path, 'https://emulator.invalid');
  if (!u.searchParams.has('api-version')) {
    const route = findRoutes(ROUTES, request.method, u.pathname).byPath[0]?.route;
    if (route) u.searchParams.set('api-version', SDK_API_VERSION[route.provider]);
  }
  const url = `${u.pathname}${u.search}`;
  const base = { headers: { 'content-type': 'application/json' }, baseUrl: core.baseUrl, actor };
  const res = await processArmRequest(core, {
    ...base,
    method: request.method,
    url,
    rawBody: request.body === undefined ? '' : JSON.stringify(request.body),
  });
  if (!res.lroId) return { status: res.status, body: res.body ?? null };
  // a portal waits for its long-running operation: end it now and answer with the final resource
  const op = core.lros.get(res.lroId);
  if (op) core.lros.finish(op);
  const final = await processArmRequest(core, { ...base, method: 'GET', url, rawBody: '', silent: true });
  return { status: res.status, body: final.body ?? null };
}

export interface AdminHttpResponse {
  status: number;
  body?: unknown;
}

const bad = (message: string): AdminHttpResponse => ({ status: 400, body: { error: { code: 'BadRequest', message } } });

/** /_admin/* over HTTP; `path` is the part after /_admin */
export async function handleAdminHttp(admin: EmulatorAdmin, core: EmulatorCore, method: string, path: string, rawBody: string): Promise<AdminHttpResponse> {
  let body: unknown;
  if (rawBody && rawBody.trim()) {
    try {
      body = JSON.parse(rawBody);
    } catch (e) {
      return bad(`invalid JSON body: ${(e as Error).message}`);
    }
  }
  const route = `${method.toUpperCase()} ${path.replace(/\/+$/, '').toLowerCase() || '/'}`;
  try {
    switch (route) {
      case 'GET /':
        return {
          status: 200,
          body: {
            endpoints: [
              'POST /_admin/seed {topology}',
              'POST /_admin/out-of-band {actor, method, path, body?}',
              'GET /_admin/state',
              'GET /_admin/history',
              'GET /_admin/requests',
              'DELETE /_admin/requests',
              'GET /_admin/faults',
              'POST /_admin/faults {FaultSpec | FaultSpec[]}',
              'DELETE /_admin/faults',
              'GET /_admin/rbac',
              'PUT /_admin/rbac {allowedActions: string[] | null}',
              'PUT /_admin/throttle {reads?, writes?} | false | null',
              'GET /_admin/activity',
              'PUT /_admin/event-subscription {url, includedEventTypes?, burstWindowInMs?, duplicates?, reorder?, maxAttempts?} | null',
              'GET /_admin/event-subscription',
              'GET /_admin/events',
            ],
          },
        };
      case 'POST /seed':
        if (!body) return bad('a topology is required');
        admin.seed(body as Topology);
        return { status: 200, body: { seeded: true, subscriptionId: core.store.subscriptionId } };
      case 'POST /out-of-band': {
        if (!isObject(body) || typeof body.actor !== 'string') return bad('{ actor, method, path, body? } is required');
        return { status: 200, body: await admin.outOfBand(body.actor, { method: body.method as string, path: body.path as string, body: body.body }) };
      }
      case 'GET /state':
        return { status: 200, body: admin.state() };
      case 'GET /history':
        return { status: 200, body: admin.history() };
      case 'GET /requests':
        return { status: 200, body: admin.requests() };
      case 'DELETE /requests':
        admin.clearRequests();
        return { status: 204 };
      case 'GET /faults':
        return { status: 200, body: core.faults.pending() };
      case 'POST /faults':
        for (const fault of Array.isArray(body) ? body : [body]) admin.addFault(fault as FaultSpec);
        return { status: 200, body: core.faults.pending() };
      case 'DELETE /faults':
        admin.clearFaults();
        return { status: 204 };
      case 'GET /rbac':
        return { status: 200, body: { allowedActions: core.rbac.allowedActions() } };
      case 'PUT /rbac': {
        const actions = body === null || body === undefined ? null : Array.isArray(body) ? body : ((body as Record<string, unknown>).allowedActions ?? null);
        if (actions !== null && (!Array.isArray(actions) || !actions.every((action: unknown) => typeof action === 'string')))
          return bad('allowedActions must be an array of strings or null');
        admin.setRbac(actions as string[] | null);
        return { status: 200, body: { allowedActions: core.rbac.allowedActions() } };
      }
      case 'PUT /throttle':
        admin.setThrottle(body === null || body === undefined ? undefined : (body as ThrottleOptions));
        return { status: 200, body: { enabled: core.throttle.enabled } };
      case 'GET /activity':
        return { status: 200, body: admin.activityLog() };
      case 'PUT /event-subscription':
        admin.setEventSubscription(body === null || body === undefined ? undefined : (body as EventSubscriptionSpec));
        return { status: 200, body: { subscription: core.eventGrid.current() ?? null } };
      case 'GET /event-subscription':
        return { status: 200, body: { subscription: core.eventGrid.current() ?? null } };
      case 'GET /events':
        return { status: 200, body: admin.events() };
      default:
        return { status: 404, body: { error: { code: 'NotFound', message: `unknown admin endpoint: ${route}` } } };
    }
  } catch (e) {
    return bad((e as Error).message);
  }
}
