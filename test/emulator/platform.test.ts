/**
 * The ARM platform around the resource providers: authentication, RBAC, throttling, response
 * headers, faults on demand, the Activity Log, the admin API (in process and over HTTP), history.
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { ManualClock, startEmulator, type RunningEmulator } from '../../emulator/src/index';
import { demoTopology, find, ids, NET_API, raw, readyTopology, sdk, sdkError, start, SUB, WEB_API } from './harness';

let emu: RunningEmulator;
afterEach(async () => emu?.stop());
const fast = { updateIntervalInMs: 0 };

describe('startup', () => {
  // how fast it starts is measured by `npm run bench`, not asserted here: a busy machine would fail it
  it('starts and serves HTTPS with the test CA', async () => {
    emu = await startEmulator({ topology: demoTopology() });
    expect(emu.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(emu.adminUrl).toBe(`${emu.url}/_admin`);
    expect(readFileSync(emu.caCertPath, 'utf8')).toContain('BEGIN CERTIFICATE');
  });
});

describe('authentication', () => {
  beforeEach(async () => {
    emu = await start();
  });

  it('answers 401 AuthenticationFailed with WWW-Authenticate without a bearer token', async () => {
    const none = await raw(emu, 'GET', `${ids.orders}?${WEB_API}`, { token: null });
    expect(none.status).toBe(401);
    expect(none.body.error).toEqual({ code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer authorization_uri=/);
    const basic = await raw(emu, 'GET', `${ids.orders}?${WEB_API}`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
    expect(basic.body.error.message).toContain('invalid format');
    expect(await sdkError(sdk(emu.url, { token: '' }).web.webApps.get('web', 'orders-web'))).toMatchObject({ statusCode: 401, code: 'AuthenticationFailed' });
  });

  it('accepts any bearer token; identities name the caller', async () => {
    await emu.stop();
    emu = await start({ identities: { 'sp-token': { caller: 'lockdown-sp', principalType: 'ServicePrincipal' } } });
    await sdk(emu.url, { token: 'sp-token' }).web.webApps.get('web', 'orders-web');
    await sdk(emu.url, { token: 'whoever' }).web.webApps.get('web', 'orders-web');
    expect(emu.admin.requests().map((r) => r.caller)).toEqual(['lockdown-sp', 'unknown']);
    expect(emu.admin.requests()[0].requestHeaders.authorization).toBe('Bearer <redacted>');
  });
});

describe('RBAC mode', () => {
  it('answers 403 AuthorizationFailed for actions not allowed, in ARM words', async () => {
    emu = await start({ rbac: { allowedActions: ['Microsoft.Web/sites/read', 'Microsoft.Web/sites/config/read'] }, identities: { t: { caller: 'reader-sp' } } });
    const { web } = sdk(emu.url, { token: 't' });
    await web.webApps.get('web', 'orders-web');
    await web.webApps.getConfiguration('web', 'orders-web');
    const denied = await sdkError(web.webApps.updateConfiguration('web', 'orders-web', { vnetRouteAllEnabled: true }));
    expect(denied).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    expect(denied.message).toMatch(
      new RegExp(
        `^The client 'reader-sp' with object id '[0-9a-f-]{36}' does not have authorization to perform action 'Microsoft\\.Web/sites/config/write' over scope '${ids.orders}/config/web' or the scope is invalid\\. If access was recently granted, please refresh your credentials\\.$`,
      ),
    );
    expect(await sdkError(web.appServicePlans.get('web', 'web-plan'))).toMatchObject({ statusCode: 403 });
    // the refused write is in the Activity Log, as a failure
    const failed = emu.admin.activityLog().filter((e) => e.status.value === 'Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ caller: 'reader-sp', operationName: { value: 'Microsoft.Web/sites/config/write' }, subStatus: { value: 'Forbidden' } });
  });

  it('supports * wildcards and can be changed at run time', async () => {
    emu = await start({ rbac: { allowedActions: ['*/read'] } });
    const { web, network } = sdk(emu.url);
    await web.webApps.get('web', 'orders-web');
    await network.virtualNetworks.get('net', 'hub');
    expect(await sdkError(web.webApps.update('web', 'orders-web', { httpsOnly: true }))).toMatchObject({ statusCode: 403 });
    emu.admin.setRbac(['Microsoft.Web/sites/*', 'Microsoft.Web/sites/read']);
    await web.webApps.update('web', 'orders-web', { httpsOnly: true });
    expect(await sdkError(network.virtualNetworks.get('net', 'hub'))).toMatchObject({ statusCode: 403 });
    emu.admin.setRbac(null);
    await network.virtualNetworks.get('net', 'hub');
  });

  it('checks linked scopes: swift integration needs subnets/join/action on the subnet', async () => {
    const base = ['Microsoft.Web/sites/networkConfig/write'];
    emu = await start({ topology: readyTopology(), rbac: { allowedActions: base } });
    const { web } = sdk(emu.url);
    const connect = () => web.webApps.createOrUpdateSwiftVirtualNetworkConnectionWithCheck('web', 'orders-web', { subnetResourceId: ids.apps });
    const denied = await sdkError(connect());
    expect(denied).toMatchObject({ statusCode: 403, code: 'LinkedAuthorizationFailed' });
    expect(denied.message).toContain(
      `has permission to perform action 'Microsoft.Web/sites/networkConfig/write' on scope '${ids.orders}/networkConfig/virtualNetwork'; however, it does not have permission to perform action(s) 'Microsoft.Network/virtualNetworks/subnets/join/action' on the linked scope(s) '${ids.apps}'`,
    );
    emu.admin.setRbac([...base, 'Microsoft.Network/virtualNetworks/subnets/join/action']);
    await connect();
  });

  it('checks linked scopes: a service-endpoint rule needs subnets/joinViaServiceEndpoint/action', async () => {
    emu = await start({ topology: readyTopology(), rbac: { allowedActions: ['Microsoft.Web/sites/config/write'] } });
    const { web } = sdk(emu.url);
    const lock = () =>
      web.webApps.updateConfiguration('fn', 'payments-func', { ipSecurityRestrictions: [{ vnetSubnetResourceId: ids.apps, action: 'Allow', priority: 100, name: 'apps' }] });
    expect(await sdkError(lock())).toMatchObject({ statusCode: 403, code: 'LinkedAuthorizationFailed' });
    await web.webApps.updateConfiguration('fn', 'payments-func', { ipSecurityRestrictions: [{ ipAddress: '10.0.0.0/8', action: 'Allow', priority: 100, name: 'ip' }] });
    emu.admin.setRbac(['Microsoft.Web/sites/config/write', 'Microsoft.Network/virtualNetworks/subnets/joinViaServiceEndpoint/action']);
    await lock();
  });

  it('maps subnet writes and their polling to the Microsoft.Network actions', async () => {
    // lroMaxDurationMs 0: the operation nobody may poll ends by itself instead of locking the VNet
    emu = await start({ lroMaxDurationMs: 0, rbac: { allowedActions: ['Microsoft.Network/virtualNetworks/subnets/write', 'Microsoft.Network/virtualNetworks/subnets/read'] } });
    const { network } = sdk(emu.url);
    // a new NSG reference needs networkSecurityGroups/join/action
    const nsg = ids.nsg.replace('apps-nsg', 'other-nsg');
    expect(await sdkError(network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'data', { addressPrefix: '10.10.2.0/24', networkSecurityGroup: { id: nsg } }, fast))).toMatchObject({
      code: 'LinkedAuthorizationFailed',
    });
    // polling the operation needs locations/operations/read
    const err = await sdkError(network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'data', { addressPrefix: '10.10.2.0/24' }, fast));
    expect(err.message).toContain("'Microsoft.Network/locations/operations/read'");
    emu.admin.setRbac(['Microsoft.Network/*']);
    await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'data', { addressPrefix: '10.10.2.0/24', networkSecurityGroup: { id: nsg } }, fast);
  });
});

describe('linked authorization on subnet writes', () => {
  const writer = ['Microsoft.Network/virtualNetworks/subnets/write', 'Microsoft.Network/virtualNetworks/subnets/read', 'Microsoft.Network/locations/operations/read'];
  const nat = `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/natGateways/egress`;
  const sep = `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/serviceEndpointPolicies/storage-only`;
  const appsBody = (extra: Record<string, unknown> = {}) => ({
    properties: { addressPrefix: '10.10.1.0/24', networkSecurityGroup: { id: ids.nsg }, routeTable: { id: ids.rt }, ...extra },
  });

  it('checks join/action on every linked id in the body, also when the link does not change', async () => {
    emu = await start({ rbac: { allowedActions: writer } });
    // subnet apps already has this NSG and route table: rewriting them still needs both joins
    const denied = await raw(emu, 'PUT', `${ids.apps}?${NET_API}`, { body: appsBody() });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('LinkedAuthorizationFailed');
    expect(denied.body.error.message).toContain(
      `does not have permission to perform action(s) 'Microsoft.Network/networkSecurityGroups/join/action,Microsoft.Network/routeTables/join/action' on the linked scope(s) '${ids.nsg},${ids.rt}' (respectively) or the linked scope(s) are invalid.`,
    );
    emu.admin.setRbac([...writer, 'Microsoft.Network/networkSecurityGroups/join/action']);
    expect((await raw(emu, 'PUT', `${ids.apps}?${NET_API}`, { body: appsBody() })).body.error.message).toContain("action(s) 'Microsoft.Network/routeTables/join/action' on the linked scope(s)");
    emu.admin.setRbac([...writer, 'Microsoft.Network/networkSecurityGroups/join/action', 'Microsoft.Network/routeTables/join/action']);
    expect((await raw(emu, 'PUT', `${ids.apps}?${NET_API}`, { body: appsBody() })).status).toBe(200);
  });

  it('checks NAT gateways and service endpoint policies the same way', async () => {
    const joins = ['Microsoft.Network/networkSecurityGroups/join/action', 'Microsoft.Network/routeTables/join/action'];
    emu = await start({ rbac: { allowedActions: [...writer, ...joins] } });
    const withNat = await raw(emu, 'PUT', `${ids.apps}?${NET_API}`, { body: appsBody({ natGateway: { id: nat } }) });
    expect(withNat.body.error).toMatchObject({ code: 'LinkedAuthorizationFailed', message: expect.stringContaining(`'Microsoft.Network/natGateways/join/action' on the linked scope(s) '${nat}'`) });
    const withPolicy = await raw(emu, 'PUT', `${ids.apps}?${NET_API}`, { body: appsBody({ serviceEndpointPolicies: [{ id: sep }] }) });
    expect(withPolicy.body.error).toMatchObject({
      code: 'LinkedAuthorizationFailed',
      message: expect.stringContaining(`'Microsoft.Network/serviceEndpointPolicies/join/action' on the linked scope(s) '${sep}'`),
    });
    emu.admin.setRbac([...writer, ...joins, 'Microsoft.Network/natGateways/join/action', 'Microsoft.Network/serviceEndpointPolicies/join/action']);
    expect((await raw(emu, 'PUT', `${ids.apps}?${NET_API}`, { body: appsBody({ natGateway: { id: nat }, serviceEndpointPolicies: [{ id: sep }] }) })).status).toBe(200);
  });

  it('needs no join for a body that links nothing', async () => {
    emu = await start({ rbac: { allowedActions: writer } });
    expect((await raw(emu, 'PUT', `${ids.data}?${NET_API}`, { body: { properties: { addressPrefix: '10.10.2.0/24' } } })).status).toBe(200);
  });
});

describe('throttling and headers', () => {
  it('sends request ids and the remaining-requests header on every response', async () => {
    emu = await start({ clock: new ManualClock() }); // no refill between the requests, however slow the machine
    const r = await raw(emu, 'GET', `${ids.orders}?${WEB_API}`, { headers: { 'x-ms-correlation-request-id': 'corr-1', 'x-ms-client-request-id': 'client-1' } });
    expect(r.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers['x-ms-correlation-request-id']).toBe('corr-1');
    expect(r.headers['x-ms-client-request-id']).toBe('client-1');
    expect(r.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('249');
    const w = await raw(emu, 'PATCH', `${ids.orders}?${WEB_API}`, { body: { properties: {} } });
    expect(w.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('199');
    const e = await raw(emu, 'GET', `${ids.orders.replace('orders-web', 'nope')}?${WEB_API}`);
    expect(e.status).toBe(404);
    expect(e.headers['x-ms-request-id']).toBeDefined();
    expect(e.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('248');
  });

  it('refuses with 429 + Retry-After once a bucket is empty, per subscription and kind', async () => {
    emu = await start({ throttle: { reads: { burst: 2, perSecond: 0 }, writes: { burst: 1, perSecond: 0 } }, retryAfterSeconds: 3 });
    const get = () => raw(emu, 'GET', `${ids.orders}?${WEB_API}`);
    expect((await get()).headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('1');
    expect((await get()).headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('0');
    const throttled = await get();
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('3');
    expect(throttled.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('0');
    expect(throttled.body.error.code).toBe('SubscriptionRequestsThrottled');
    expect(throttled.body.error.message).toMatch(/^Number of 'read' requests for subscription '11111111-1111-1111-1111-111111111111' actor '.*' exceeded\. Please try again after '3' seconds/);
    // writes have their own bucket
    expect((await raw(emu, 'PATCH', `${ids.orders}?${WEB_API}`, { body: {} })).status).toBe(200);
    expect((await raw(emu, 'PATCH', `${ids.orders}?${WEB_API}`, { body: {} })).status).toBe(429);
    // and so does the SDK see it
    expect(await sdkError(sdk(emu.url).web.webApps.get('web', 'orders-web'))).toMatchObject({ statusCode: 429, code: 'SubscriptionRequestsThrottled' });
    // throttled requests never reach the resource provider: no Activity Log event
    expect(emu.admin.activityLog().filter((e) => e.status.value === 'Failed')).toEqual([]);
    emu.admin.setThrottle(false);
    expect((await get()).status).toBe(200);
  });

  it('refills the buckets over time (on the injected clock, however slow the machine)', async () => {
    const clock = new ManualClock();
    emu = await start({ clock, throttle: { reads: { burst: 1, perSecond: 50 } } });
    const get = () => raw(emu, 'GET', `${ids.orders}?${WEB_API}`);
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(429);
    clock.advance(19); // 0.95 of a token
    expect((await get()).status).toBe(429);
    clock.advance(1);
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(429);
  });
});

describe('faults', () => {
  beforeEach(async () => {
    emu = await start({ topology: readyTopology() });
  });

  it('latency delays the matching request only', async () => {
    emu.admin.addFault({ method: 'GET', pathPattern: '/sites/orders-web$', kind: 'latency', latencyInMs: 1500 });
    const { web } = sdk(emu.url);
    // no bound on how long the others take (a busy machine is slow): the next request overtakes the delayed one
    const t0 = Date.now();
    let delayedDone = false;
    const delayed = web.webApps.get('web', 'orders-web').then(() => (delayedDone = true));
    // once the delayed request has taken the fault, the next one cannot take it
    while ((await raw(emu, 'GET', '/_admin/faults')).body.length) await new Promise((resolve) => setTimeout(resolve, 5));
    await web.webApps.get('web', 'orders-web');
    expect(delayedDone).toBe(false);
    await delayed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1490); // a timer never fires early
  });

  it('status 500 / 503 for the next N matches; the SDK retry policy gets through', async () => {
    emu.admin.addFault({ method: 'PATCH', pathPattern: 'config/web', kind: 'status', status: 500, times: 2 });
    const { web } = sdk(emu.url);
    const patch = () => web.webApps.updateConfiguration('web', 'orders-web', { vnetRouteAllEnabled: true });
    expect(await sdkError(patch())).toMatchObject({ statusCode: 500, code: 'InternalServerError' });
    expect(await sdkError(web.webApps.getConfiguration('web', 'orders-web').then(() => patch()))).toMatchObject({ statusCode: 500 }); // method filter: the GET passed
    await patch(); // consumed
    emu.admin.addFault({ pathPattern: 'sites/orders-web$', kind: 'status', status: 503 });
    const retried = sdk(emu.url, { maxRetries: 2 });
    expect((await retried.web.webApps.get('web', 'orders-web')).name).toBe('orders-web');
    expect(emu.admin.requests().slice(-2).map((r) => r.status)).toEqual([503, 200]);
  });

  it('reset drops the connection', async () => {
    emu.admin.addFault({ pathPattern: 'sites/orders-web$', kind: 'reset' });
    await expect(raw(emu, 'GET', `${ids.orders}?${WEB_API}`)).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(emu.admin.requests()[0].status).toBe(0);
    emu.admin.addFault({ pathPattern: 'sites/orders-web$', kind: 'reset' });
    expect((await sdk(emu.url, { maxRetries: 2 }).web.webApps.get('web', 'orders-web')).name).toBe('orders-web');
  });

  it('anotherOperationInProgress (409 or 429) and throttle', async () => {
    emu.admin.addFault({ method: 'PUT', pathPattern: 'subnets/data', kind: 'anotherOperationInProgress' });
    emu.admin.addFault({ method: 'PUT', pathPattern: 'subnets/data', kind: 'anotherOperationInProgress', status: 429 });
    emu.admin.addFault({ method: 'PUT', pathPattern: 'subnets/data', kind: 'throttle' });
    const { network } = sdk(emu.url);
    const put = () => network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'data', { addressPrefix: '10.10.2.0/24' }, fast);
    expect(await sdkError(put())).toMatchObject({ statusCode: 409, code: 'AnotherOperationInProgress' });
    expect(await sdkError(put())).toMatchObject({ statusCode: 429, code: 'AnotherOperationInProgress' });
    expect(await sdkError(put())).toMatchObject({ statusCode: 429, code: 'SubscriptionRequestsThrottled' });
    await put();
  });

  it('lroFailed ends the operation Failed and leaves the subnet as it was', async () => {
    emu.admin.addFault({ method: 'PUT', pathPattern: 'subnets/apps', kind: 'lroFailed' });
    const { network } = sdk(emu.url);
    const before = await network.subnets.get('net', 'hub', 'apps');
    const err = await sdkError(network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'apps', { addressPrefix: '10.10.1.0/24' }, fast));
    expect(err.message).toContain('An error occurred');
    const after = await network.subnets.get('net', 'hub', 'apps');
    expect(after.provisioningState).toBe('Failed');
    expect(after.networkSecurityGroup).toEqual(before.networkSecurityGroup);
    expect(after.serviceEndpoints).toEqual(before.serviceEndpoints);
    const end = emu.admin.activityLog().at(-1)!;
    expect(end).toMatchObject({ status: { value: 'Failed' }, level: 'Error', resourceId: ids.apps });
    // the next PUT works again
    expect((await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'apps', { ...before }, fast)).provisioningState).toBe('Succeeded');
  });

  it('can be listed, added and cleared over HTTP', async () => {
    const admin = (method: string, path: string, body?: unknown) => raw(emu, method, `/_admin${path}`, { body, token: null });
    await admin('POST', '/faults', [{ pathPattern: 'orders-web', kind: 'status', status: 503, times: 3 }]);
    expect((await admin('GET', '/faults')).body).toEqual([{ pathPattern: 'orders-web', kind: 'status', status: 503, times: 3 }]);
    expect((await raw(emu, 'GET', `${ids.orders}?${WEB_API}`)).status).toBe(503);
    expect((await admin('DELETE', '/faults')).status).toBe(204);
    expect((await raw(emu, 'GET', `${ids.orders}?${WEB_API}`)).status).toBe(200);
  });
});

describe('Activity Log', () => {
  it('records every write, including out-of-band ones by a named actor, and filters them', async () => {
    emu = await start({ topology: readyTopology(), identities: { 'sp-token': { caller: 'lockdown-sp' } } });
    const { web, network, monitor } = sdk(emu.url, { token: 'sp-token' });
    const from = new Date(Date.now() - 1000).toISOString();
    await web.webApps.updateConfiguration('web', 'orders-web', { vnetRouteAllEnabled: true });
    await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'data', { addressPrefix: '10.10.2.0/24' }, fast);
    await emu.admin.outOfBand('alice@example.test', { method: 'PATCH', path: `${ids.payments}/config/web`, body: { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } } });
    await sdkError(web.webApps.createOrUpdateSwiftVirtualNetworkConnectionWithCheck('web', 'orders-web', { subnetResourceId: ids.data })); // 400: not delegated
    const to = new Date(Date.now() + 1000).toISOString();

    const list = async (filter: string, select?: string) => {
      const out: any[] = [];
      for await (const e of monitor.activityLogs.list(filter, select ? { select } : undefined)) out.push(e);
      return out;
    };
    const range = `eventTimestamp ge '${from}' and eventTimestamp le '${to}'`;
    const all = await list(range);
    expect(all.map((e) => `${e.caller} ${e.operationName.value} ${e.status.value}`).reverse()).toEqual([
      'lockdown-sp Microsoft.Web/sites/config/write Started',
      'lockdown-sp Microsoft.Web/sites/config/write Succeeded',
      'lockdown-sp Microsoft.Network/virtualNetworks/subnets/write Started',
      'lockdown-sp Microsoft.Network/virtualNetworks/subnets/write Accepted',
      'lockdown-sp Microsoft.Network/virtualNetworks/subnets/write Succeeded',
      'alice@example.test Microsoft.Web/sites/config/write Started',
      'alice@example.test Microsoft.Web/sites/config/write Succeeded',
      'lockdown-sp Microsoft.Web/sites/networkConfig/write Started',
      'lockdown-sp Microsoft.Web/sites/networkConfig/write Failed',
    ]);
    const portal = all.find((e) => e.caller === 'alice@example.test' && e.status.value === 'Succeeded');
    expect(portal).toMatchObject({
      resourceId: `${ids.payments}/config/web`,
      resourceGroupName: 'fn',
      category: { value: 'Administrative' },
      level: 'Informational',
      authorization: { action: 'Microsoft.Web/sites/config/write', scope: `${ids.payments}/config/web` },
    });
    expect(portal.eventTimestamp).toBeInstanceOf(Date);

    const forSite = await list(`${range} and resourceUri eq '${ids.payments}'`);
    expect(new Set(forSite.map((e) => e.caller))).toEqual(new Set(['alice@example.test']));
    const forRg = await list(`${range} and resourceGroupName eq 'net'`);
    expect(forRg).toHaveLength(3);
    const subnetLro = await list(`${range} and correlationId eq '${forRg[0].correlationId}'`);
    expect(subnetLro).toHaveLength(3);
    const selected = await list(range, 'caller,status');
    expect(Object.keys(selected[0]).sort()).toEqual(['caller', 'status']);
    expect(await list(`eventTimestamp ge '${to}' and eventTimestamp le '${to}'`)).toEqual([]);
  });

  it('refuses a query without the eventTimestamp filter (400)', async () => {
    emu = await start();
    const base = `/subscriptions/${SUB}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01`;
    const none = await raw(emu, 'GET', base);
    expect(none.status).toBe(400);
    expect(none.body.code).toBe('BadRequest');
    expect(none.body.message).toContain('$filter');
    const noStart = await raw(emu, 'GET', `${base}&$filter=${encodeURIComponent("resourceGroupName eq 'net'")}`);
    expect(noStart.status).toBe(400);
    const junk = await raw(emu, 'GET', `${base}&$filter=${encodeURIComponent("eventTimestamp ge '2024-01-01' and whatever eq 'x'")}`);
    expect(junk.status).toBe(400);
    expect(await sdkError(sdk(emu.url).monitor.activityLogs.list("resourceGroupName eq 'net'").next())).toMatchObject({ statusCode: 400 });
  });
});

describe('admin API', () => {
  it('out-of-band requests have the same semantics and wait for long-running operations', async () => {
    emu = await start();
    const bad = await emu.admin.outOfBand('bob', { method: 'PUT', path: ids.apps, body: { properties: { addressPrefix: '10.99.0.0/24' } } });
    expect(bad.status).toBe(400);
    expect((bad.body as any).error.code).toBe('NetcfgSubnetRangeOutsideVnet');
    const ok = await emu.admin.outOfBand('bob', { method: 'PUT', path: ids.apps, body: { properties: { addressPrefix: '10.10.1.0/24' } } });
    expect(ok.status).toBe(200);
    expect((ok.body as any).properties).toMatchObject({ provisioningState: 'Succeeded', addressPrefix: '10.10.1.0/24' });
    expect((ok.body as any).properties.networkSecurityGroup).toBeUndefined();
    const log = emu.admin.requests();
    expect(log.map((r) => [r.caller, r.outOfBand, r.operationId, r.url.includes(`api-version=2025-05-01`)])).toEqual([
      ['bob', true, 'Subnets_CreateOrUpdate', true],
      ['bob', true, 'Subnets_CreateOrUpdate', true],
    ]);
  });

  it('keeps a history: the seed, then one snapshot per successful write and per operation end', async () => {
    emu = await start({ topology: readyTopology() });
    const { web, network } = sdk(emu.url);
    await web.webApps.updateConfiguration('fn', 'payments-func', { ipSecurityRestrictionsDefaultAction: 'Deny' });
    await sdkError(web.webApps.updateConfiguration('fn', 'payments-func', { ipSecurityRestrictionsDefaultAction: 'Maybe' as any }));
    await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'data', { addressPrefix: '10.10.2.0/24' }, fast);
    const history = emu.admin.history();
    expect(history.map((h) => h.seq)).toEqual([0, 1, 2, 3]);
    expect(history[0].cause).toBe('seed');
    expect(history[1].cause).toMatch(/^PATCH .*payments-func\/config\/web by unknown$/);
    expect(find(history[0].siteConfigs, `${ids.payments}/config/web`).properties.ipSecurityRestrictionsDefaultAction).toBeUndefined();
    expect(find(history[1].siteConfigs, `${ids.payments}/config/web`).properties.ipSecurityRestrictionsDefaultAction).toBe('Deny');
    expect(find(history[2].subnets, ids.data).properties.provisioningState).toBe('Updating');
    expect(find(history[3].subnets, ids.data).properties.provisioningState).toBe('Succeeded');
    expect(find(history[3].subnets, ids.data).properties.serviceEndpoints).toBeUndefined();
    expect(find(history[1].subnets, ids.data).properties.serviceEndpoints).toHaveLength(1);
    // state() is a deep copy
    const state = emu.admin.state();
    find(state.sites, ids.orders).name = 'changed';
    expect(find(emu.admin.state().sites, ids.orders).name).toBe('orders-web');
    // a new seed replaces everything and restarts the history
    emu.admin.seed(demoTopology());
    expect(emu.admin.history().map((h) => h.seq)).toEqual([0]);
  });

  it('serves the same operations over HTTP under /_admin without a token', async () => {
    emu = await start();
    const admin = (method: string, path: string, body?: unknown) => raw(emu, method, `/_admin${path}`, { body, token: null });
    expect((await admin('GET', '')).body.endpoints.length).toBeGreaterThan(5);
    const t = readyTopology();
    t.sites.push({ resourceGroup: 'web', name: 'extra-web', location: 'westeurope', serverFarm: 'web-plan' });
    expect((await admin('POST', '/seed', t)).status).toBe(200);
    const state = (await admin('GET', '/state')).body;
    expect(Object.keys(state.sites)).toHaveLength(4);
    expect(state.subscriptionId).toBe(SUB);
    const oob = await admin('POST', '/out-of-band', { actor: 'carol', method: 'PATCH', path: `${ids.orders}/config/web`, body: { properties: { vnetRouteAllEnabled: true } } });
    expect(oob.body.status).toBe(200);
    expect(oob.body.body.properties.vnetRouteAllEnabled).toBe(true);
    expect((await admin('GET', '/requests')).body.map((r: any) => r.caller)).toEqual(['carol']);
    expect((await admin('GET', '/activity')).body.map((e: any) => e.caller)).toEqual(['carol', 'carol']);
    expect((await admin('GET', '/history')).body).toHaveLength(2);
    expect((await admin('DELETE', '/requests')).status).toBe(204);
    expect((await admin('GET', '/requests')).body).toEqual([]);
    expect((await admin('PUT', '/rbac', { allowedActions: ['Microsoft.Web/sites/read'] })).status).toBe(200);
    expect((await raw(emu, 'GET', `${ids.orders}/config/web?${WEB_API}`)).status).toBe(403);
    await admin('PUT', '/rbac', { allowedActions: null });
    expect((await raw(emu, 'GET', `${ids.orders}/config/web?${WEB_API}`)).status).toBe(200);
    await admin('PUT', '/throttle', { reads: { burst: 1, perSecond: 0 } });
    await raw(emu, 'GET', `${ids.orders}?${WEB_API}`);
    expect((await raw(emu, 'GET', `${ids.orders}?${WEB_API}`)).status).toBe(429);
    await admin('PUT', '/throttle', false);
    expect((await raw(emu, 'GET', `${ids.orders}?${WEB_API}`)).status).toBe(200);
    expect((await admin('POST', '/seed', 'not json{')).status).toBe(400);
    expect((await admin('GET', '/nope')).status).toBe(404);
  });

  it('records what the conformance check needs: url as received, bodies, headers, operationId', async () => {
    emu = await start();
    await sdk(emu.url).web.webApps.updateConfiguration('web', 'orders-web', { vnetRouteAllEnabled: true });
    const [x] = emu.admin.requests();
    expect(x).toMatchObject({ method: 'PATCH', status: 200, operationId: 'WebApps_UpdateConfiguration', requestBody: { properties: { vnetRouteAllEnabled: true } } });
    expect(x.url).toBe(`/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/sites/orders-web/config/web?api-version=2025-05-01`);
    expect(x.responseHeaders['content-type']).toContain('application/json');
    expect((x.responseBody as any).properties.vnetRouteAllEnabled).toBe(true);
    expect(x.requestHeaders['x-ms-client-request-id']).toBeDefined();
    const unknown = await raw(emu, 'GET', `/subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/sites/orders-web/hostNameBindings?${WEB_API}`);
    expect(unknown.status).toBe(404);
    const wrongMethod = await raw(emu, 'DELETE', `${ids.orders}/config/web?${WEB_API}`);
    expect(wrongMethod.status).toBe(405);
    expect((await raw(emu, 'PUT', `${ids.apps}?${NET_API}`, { body: '{not json' })).body.error.code).toBe('InvalidRequestContent');
  });
});

it('the admin URL answers plain https clients that trust the CA', async () => {
  emu = await start();
  const body = await new Promise<string>((resolve, reject) => {
    https
      .get(`${emu.adminUrl}/state`, { ca: readFileSync(emu.caCertPath) }, (res) => {
        let s = '';
        res.on('data', (c) => (s += c));
        res.on('end', () => resolve(s));
      })
      .on('error', reject);
  });
  expect(JSON.parse(body).subscriptionId).toBe(SUB);
});

describe('Activity Log ingestion and retention', () => {
  const filterFrom = (from: number, to: number) =>
    `$filter=${encodeURIComponent(`eventTimestamp ge '${new Date(from).toISOString()}' and eventTimestamp le '${new Date(to).toISOString()}'`)}`;
  const query = (from: number, to: number) => raw(emu, 'GET', `/subscriptions/${SUB}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01&${filterFrom(from, to)}`);
  const write = () => raw(emu, 'PATCH', `${ids.orders}/config/web?${WEB_API}`, { body: { properties: { vnetRouteAllEnabled: true } } });

  it('shows a write only once the ingestion delay has passed on its clock', async () => {
    const clock = new ManualClock();
    emu = await start({ clock, activityLogIngestionDelayInMs: 5000 });
    const t0 = clock.now();
    expect((await write()).status).toBe(200);
    expect((await query(t0 - 1000, t0 + 1000)).body.value).toEqual([]);
    clock.advance(4999);
    expect((await query(t0 - 1000, t0 + 1000)).body.value).toEqual([]);
    clock.advance(1);
    const events = (await query(t0 - 1000, t0 + 1000)).body.value;
    expect(events.map((e: any) => e.status.value)).toEqual(['Succeeded', 'Started']);
    expect(events[0]).toMatchObject({ eventTimestamp: new Date(t0).toISOString(), submissionTimestamp: new Date(t0 + 5000).toISOString() });
    expect(emu.admin.activityLog()).toHaveLength(2); // the admin view is not delayed
  });

  it('refuses a start older than 90 days with 400 and no longer returns events past them', async () => {
    const clock = new ManualClock();
    emu = await start({ clock });
    const t0 = clock.now();
    await write();
    const day = 24 * 60 * 60 * 1000;
    clock.advance(90 * day + 1);
    const tooOld = await query(t0 - 1000, clock.now());
    expect(tooOld.status).toBe(400);
    expect(tooOld.body).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('more than 90 days in the past') });
    const inside = await query(clock.now() - 90 * day, clock.now());
    expect(inside.status).toBe(200);
    expect(inside.body.value).toEqual([]);
  });
});
