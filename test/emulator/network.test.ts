/**
 * Microsoft.Network through the real @azure/arm-network client: virtual networks, subnets, the
 * subnet PUT as a long-running operation with full-replace semantics.
 */
import { ManualClock, type RunningEmulator } from '../../emulator/src/index';
import { find, ids, NET_API, raw, readyTopology, sdk, sdkError, start } from './harness';

let emu: RunningEmulator;
afterEach(async () => emu?.stop());
const fast = { updateIntervalInMs: 0 };

describe('virtual networks and subnets (reads)', () => {
  beforeEach(async () => {
    emu = await start();
  });

  it('GET virtualNetwork returns its subnets in wire format', async () => {
    const { network } = sdk(emu.url);
    const vnet = await network.virtualNetworks.get('net', 'hub');
    expect(vnet.id).toBe(ids.hub);
    expect(vnet.location).toBe('westeurope');
    expect(vnet.addressSpace?.addressPrefixes).toEqual(['10.10.0.0/16']);
    expect(vnet.provisioningState).toBe('Succeeded');
    expect(vnet.subnets!.map((s) => s.name)).toEqual(['apps', 'data']);
    const apps = vnet.subnets![0];
    expect(apps).toMatchObject({ id: ids.apps, addressPrefix: '10.10.1.0/24', networkSecurityGroup: { id: ids.nsg }, routeTable: { id: ids.rt }, delegations: [] });
    expect(apps.serviceEndpoints).toBeUndefined();
    expect(vnet.subnets![1].serviceEndpoints).toEqual([{ service: 'Microsoft.Storage', locations: ['westeurope', 'northeurope'], provisioningState: 'Succeeded' }]);
  });

  it('GET subnet, list subnets, and the 404s', async () => {
    const { network } = sdk(emu.url);
    const subnet = await network.subnets.get('NET', 'HUB', 'APPS');
    expect(subnet.id).toBe(ids.apps);
    expect(subnet.type).toBe('Microsoft.Network/virtualNetworks/subnets');
    expect(subnet.etag).toMatch(/^W\/"/);
    const names: string[] = [];
    for await (const s of network.subnets.list('net', 'hub')) names.push(s.name!);
    expect(names).toEqual(['apps', 'data']);
    expect(await sdkError(network.subnets.get('net', 'hub', 'nope'))).toMatchObject({ statusCode: 404, code: 'NotFound' });
    expect(await sdkError(network.subnets.get('net', 'nohub', 'apps'))).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    expect(await sdkError(network.virtualNetworks.get('net', 'nohub'))).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });
});

describe('subnet PUT', () => {
  it('is a full replace: omitted networkSecurityGroup and routeTable are cleared', async () => {
    emu = await start();
    const { network } = sdk(emu.url);
    const result = await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'apps', { addressPrefix: '10.10.1.0/24', serviceEndpoints: [{ service: 'Microsoft.Web' }] }, fast);
    expect(result.networkSecurityGroup).toBeUndefined();
    expect(result.routeTable).toBeUndefined();
    expect(result.provisioningState).toBe('Succeeded');
    expect(result.serviceEndpoints).toEqual([{ service: 'Microsoft.Web', locations: ['*'], provisioningState: 'Succeeded' }]);
    const stored = find(emu.admin.state().subnets, ids.apps).properties;
    expect(stored.networkSecurityGroup).toBeUndefined();
    expect(stored.routeTable).toBeUndefined();
  });

  it('keeps what a read-modify-write sends back', async () => {
    emu = await start();
    const { network } = sdk(emu.url);
    const current = await network.subnets.get('net', 'hub', 'apps');
    const result = await network.subnets.beginCreateOrUpdateAndWait(
      'net',
      'hub',
      'apps',
      { ...current, delegations: [{ name: 'webapp', serviceName: 'Microsoft.Web/serverFarms' }] },
      fast,
    );
    expect(result.networkSecurityGroup).toEqual({ id: ids.nsg });
    expect(result.routeTable).toEqual({ id: ids.rt });
    expect(result.delegations).toEqual([
      expect.objectContaining({ name: 'webapp', serviceName: 'Microsoft.Web/serverFarms', actions: ['Microsoft.Network/virtualNetworks/subnets/action'] }),
    ]);
    expect(result.etag).not.toBe(current.etag);
  });

  it('runs as a long-running operation: 200/201 + Azure-AsyncOperation + Retry-After, InProgress, Succeeded, final GET', async () => {
    emu = await start();
    const { network } = sdk(emu.url);
    emu.admin.clearRequests();
    await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'apps', { addressPrefix: '10.10.1.0/24' }, fast);
    const log = emu.admin.requests();
    expect(log.map((x) => `${x.method} ${x.status} ${x.responseBody && (x.responseBody as any).status ? (x.responseBody as any).status : x.operationId}`)).toEqual([
      'PUT 200 Subnets_CreateOrUpdate',
      'GET 200 InProgress',
      'GET 200 Succeeded',
      'GET 200 Subnets_Get',
    ]);
    const put = log[0];
    expect(put.responseHeaders['azure-asyncoperation']).toMatch(
      new RegExp(`^${emu.url.replace(/\./g, '\\.')}/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Network/locations/westeurope/operations/[0-9a-f-]{36}\\?api-version=2025-05-01$`),
    );
    expect(put.responseHeaders['retry-after']).toBe('0');
    expect((put.responseBody as any).properties.provisioningState).toBe('Updating');
    expect(log[1].responseHeaders['retry-after']).toBe('0');
    expect((log[3].responseBody as any).properties.provisioningState).toBe('Succeeded');

    emu.admin.clearRequests();
    const created = await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'new', { addressPrefix: '10.10.3.0/24' }, fast);
    expect(created.id).toBe(`${ids.hub}/subnets/new`);
    expect(emu.admin.requests()[0].status).toBe(201);
    expect((await network.virtualNetworks.get('net', 'hub')).subnets!.map((s) => s.name)).toEqual(['apps', 'data', 'new']);
  });

  it('answers AnotherOperationInProgress to another write on the VNet while the operation runs', async () => {
    emu = await start();
    const { network } = sdk(emu.url);
    const poller = await network.subnets.beginCreateOrUpdate('net', 'hub', 'apps', { addressPrefix: '10.10.1.0/24' }, fast);
    expect(poller.isDone()).toBe(false);
    const busy = await sdkError(network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'data', { addressPrefix: '10.10.2.0/24' }, fast));
    expect(busy).toMatchObject({ statusCode: 429, code: 'AnotherOperationInProgress' });
    expect(busy.message).toMatch(/^Another operation on this or dependent resource is in progress\. To retrieve status of the operation use uri: https:\/\/.*\/operations\//);
    const raced = await raw(emu, 'PUT', `${ids.data}?${NET_API}`, { body: { properties: { addressPrefix: '10.10.2.0/24' } } });
    expect(raced.status).toBe(429);
    expect(raced.headers['retry-after']).toBe('0');
    // reads are fine and show the update in progress
    expect((await network.subnets.get('net', 'hub', 'apps')).provisioningState).toBe('Updating');
    await poller.pollUntilDone();
    await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'data', { addressPrefix: '10.10.2.0/24' }, fast);
  });

  it('ends an operation nobody polls after lroMaxDurationMs, as the real service would', async () => {
    const clock = new ManualClock();
    emu = await start({ lroMaxDurationMs: 150, clock });
    const { network } = sdk(emu.url);
    await network.subnets.beginCreateOrUpdate('net', 'hub', 'apps', { addressPrefix: '10.10.1.0/24' }, fast); // abandoned
    clock.advance(149);
    expect((await raw(emu, 'PUT', `${ids.data}?${NET_API}`, { body: { properties: { addressPrefix: '10.10.2.0/24' } } })).status).toBe(429);
    clock.advance(1);
    expect((await network.subnets.get('net', 'hub', 'apps')).provisioningState).toBe('Succeeded');
    await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'data', { addressPrefix: '10.10.2.0/24' }, fast);
  });

  it('refuses to drop the delegation or change the range of a subnet in use by VNet integration', async () => {
    const t = readyTopology();
    t.sites[0].virtualNetworkSubnetId = ids.apps;
    emu = await start({ topology: t });
    const { network } = sdk(emu.url);
    const current = await network.subnets.get('net', 'hub', 'apps');
    const dropped = await sdkError(network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'apps', { ...current, delegations: [] }, fast));
    expect(dropped).toMatchObject({ statusCode: 400, code: 'SubnetMissingRequiredDelegation' });
    expect(dropped.message).toContain('requires any of the following delegation(s) [Microsoft.Web/serverFarms] to reference service association link');
    const changed = await sdkError(
      network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'apps', { ...current, delegations: [{ name: 'x', serviceName: 'Microsoft.Sql/managedInstances' }] }, fast),
    );
    expect(changed.code).toBe('SubnetMissingRequiredDelegation');
    const resized = await sdkError(network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'apps', { ...current, addressPrefix: '10.10.1.0/25' }, fast));
    expect(resized).toMatchObject({ statusCode: 400, code: 'InUseSubnetCannotBeUpdated' });
    // anything else may change, e.g. adding the Microsoft.Web service endpoint
    const ok = await network.subnets.beginCreateOrUpdateAndWait('net', 'hub', 'apps', { ...current, serviceEndpoints: [{ service: 'Microsoft.Storage' }] }, fast);
    expect(ok.serviceEndpoints!.map((e) => e.service)).toEqual(['Microsoft.Storage']);
  });

  it('validates address prefixes and references like Microsoft.Network', async () => {
    emu = await start();
    const { network } = sdk(emu.url);
    const put = (name: string, body: object) => sdkError(network.subnets.beginCreateOrUpdateAndWait('net', 'hub', name, body, fast));
    expect(await put('x', { addressPrefix: '10.99.0.0/24' })).toMatchObject({ statusCode: 400, code: 'NetcfgSubnetRangeOutsideVnet' });
    expect(await put('x', { addressPrefix: '10.10.1.128/25' })).toMatchObject({ statusCode: 400, code: 'NetcfgSubnetRangesOverlap' });
    expect(await put('x', { addressPrefix: '10.10.5.7/24' })).toMatchObject({ statusCode: 400, code: 'InvalidCIDRNotation' });
    expect(await put('x', { addressPrefix: 'ten' })).toMatchObject({ statusCode: 400, code: 'InvalidAddressPrefixFormat' });
    expect(await put('x', {})).toMatchObject({ statusCode: 400, code: 'InvalidRequestFormat' });
    expect(await put('x', { addressPrefix: '10.10.9.0/24', networkSecurityGroup: { id: 'apps-nsg' } })).toMatchObject({ statusCode: 400, code: 'LinkedInvalidPropertyId' });
    expect(await sdkError(network.subnets.beginCreateOrUpdateAndWait('net', 'nohub', 'x', { addressPrefix: '10.10.9.0/24' }, fast))).toMatchObject({
      statusCode: 404,
      code: 'ParentResourceNotFound',
    });
    expect(Object.keys(emu.admin.state().subnets)).toHaveLength(2);
  });

  it('honours If-Match', async () => {
    emu = await start();
    const stale = await raw(emu, 'PUT', `${ids.apps}?${NET_API}`, { body: { properties: { addressPrefix: '10.10.1.0/24' } }, headers: { 'if-match': 'W/"stale"' } });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('PreconditionFailed');
  });

  it('answers If-Match: * on a missing subnet with 412 instead of creating it', async () => {
    emu = await start();
    const missing = await raw(emu, 'PUT', `${ids.hub}/subnets/new?${NET_API}`, { body: { properties: { addressPrefix: '10.10.9.0/24' } }, headers: { 'if-match': '*' } });
    expect(missing.status).toBe(412);
    expect(missing.body.error.code).toBe('PreconditionFailed');
    expect(Object.keys(emu.admin.state().subnets)).toHaveLength(2);
    const existing = await raw(emu, 'PUT', `${ids.data}?${NET_API}`, { body: { properties: { addressPrefix: '10.10.2.0/24' } }, headers: { 'if-match': '*' } });
    expect(existing.status).toBe(200);
  });
});
