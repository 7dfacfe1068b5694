/**
 * Microsoft.Web through the real @azure/arm-appservice client: sites, serverfarms, config/web and
 * swift VNet integration, with App Service's semantics.
 */
import type { RunningEmulator } from '../../emulator/src/index';
import { demoTopology, find, ids, raw, readyTopology, sdk, sdkError, start, SUB, WEB_API } from './harness';

let emu: RunningEmulator;
afterEach(async () => emu?.stop());

describe('sites and serverfarms', () => {
  beforeEach(async () => {
    emu = await start();
  });

  it('GET site returns the Site shape with the stored casing and a display location', async () => {
    const { web } = sdk(emu.url);
    const site = await web.webApps.get('WEB', 'ORDERS-WEB'); // paths are case-insensitive
    expect(site.id).toBe(ids.orders);
    expect(site.name).toBe('orders-web');
    expect(site.type).toBe('Microsoft.Web/sites');
    expect(site.kind).toBe('app');
    expect(site.location).toBe('West Europe');
    expect(site.serverFarmId).toBe(ids.webPlan);
    expect(site.state).toBe('Running');
    expect(site.defaultHostName).toBe('orders-web.azurewebsites.net');
    expect(site.hostNames).toEqual(['orders-web.azurewebsites.net']);
    expect(site.virtualNetworkSubnetId).toBeUndefined();
    expect(site.outboundVnetRouting?.applicationTraffic).toBe(false);
    const fn = await web.webApps.get('fn', 'payments-func');
    expect(fn.kind).toBe('functionapp');
    expect(fn.publicNetworkAccess).toBe('Enabled');
  });

  it('GET of a missing site or resource group is a 404 with the ARM codes', async () => {
    const { web } = sdk(emu.url);
    const missing = await sdkError(web.webApps.get('web', 'nope'));
    expect(missing).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    expect(missing.message).toBe(
      "The Resource 'Microsoft.Web/sites/nope' under resource group 'web' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    );
    expect(await sdkError(web.webApps.get('no-such-rg', 'orders-web'))).toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
    const other = await raw(emu, 'GET', `/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/web/providers/Microsoft.Web/sites/orders-web?${WEB_API}`);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('SubscriptionNotFound');
  });

  it('PATCH site merges publicNetworkAccess and keeps the config view consistent', async () => {
    const { web } = sdk(emu.url);
    const updated = await web.webApps.update('fn', 'payments-func', { publicNetworkAccess: 'Disabled' });
    expect(updated.publicNetworkAccess).toBe('Disabled');
    expect(updated.serverFarmId).toContain('/serverfarms/fn-plan');
    expect((await web.webApps.get('fn', 'payments-func')).publicNetworkAccess).toBe('Disabled');
    expect((await web.webApps.getConfiguration('fn', 'payments-func')).publicNetworkAccess).toBe('Disabled');
  });

  it('PATCH site with siteConfig and outboundVnetRouting (raw wire format)', async () => {
    const r = await raw(emu, 'PATCH', `${ids.orders}?${WEB_API}`, {
      body: { properties: { siteConfig: { ipSecurityRestrictionsDefaultAction: 'Deny' }, outboundVnetRouting: { applicationTraffic: true } } },
    });
    expect(r.status).toBe(200);
    expect(r.body.properties.outboundVnetRouting.applicationTraffic).toBe(true);
    const { web } = sdk(emu.url);
    const config = await web.webApps.getConfiguration('web', 'orders-web');
    expect(config.vnetRouteAllEnabled).toBe(true);
    expect(config.ipSecurityRestrictionsDefaultAction).toBe('Deny');
    // the site-level vnetRouteAllEnabled of older api-versions is the same flag
    await raw(emu, 'PATCH', `${ids.orders}?${WEB_API}`, { body: { properties: { vnetRouteAllEnabled: false } } });
    expect((await web.webApps.getConfiguration('web', 'orders-web')).vnetRouteAllEnabled).toBe(false);
  });

  it('lists sites of the subscription and of a resource group', async () => {
    const { web } = sdk(emu.url);
    const all: string[] = [];
    for await (const s of web.webApps.list()) all.push(s.name!);
    expect(all.sort()).toEqual(['legacy-func', 'orders-web', 'payments-func']);
    const fn: string[] = [];
    for await (const s of web.webApps.listByResourceGroup('fn')) fn.push(s.name!);
    expect(fn.sort()).toEqual(['legacy-func', 'payments-func']);
  });

  it('GET serverfarm returns the plan with its sku', async () => {
    const { web } = sdk(emu.url);
    const plan = await web.appServicePlans.get('fn', 'fn-consumption');
    expect(plan.sku).toMatchObject({ name: 'Y1', tier: 'Dynamic' });
    expect(plan.type).toBe('Microsoft.Web/serverfarms');
    expect(plan.numberOfSites).toBe(1);
    expect((await web.appServicePlans.get('web', 'web-plan')).sku).toMatchObject({ name: 'P1v3', tier: 'PremiumV3' });
    expect(await sdkError(web.appServicePlans.get('web', 'nope'))).toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });
});

describe('config/web', () => {
  beforeEach(async () => {
    emu = await start({ topology: readyTopology() });
  });

  it('shows one implicit "Allow all" rule when there are no rules, and never stores it', async () => {
    const { web } = sdk(emu.url);
    const config = await web.webApps.getConfiguration('fn', 'payments-func');
    expect(config.id).toBe(`${ids.payments}/config/web`);
    expect(config.name).toBe('web');
    expect(config.ipSecurityRestrictions).toEqual([
      { ipAddress: 'Any', action: 'Allow', priority: 2147483647, name: 'Allow all', description: 'Allow all access' },
    ]);
    expect(config.scmIpSecurityRestrictions).toHaveLength(1);
    // writing back what GET returned does not store the implicit rule
    await web.webApps.createOrUpdateConfiguration('fn', 'payments-func', { ipSecurityRestrictions: config.ipSecurityRestrictions });
    const state = emu.admin.state();
    expect(find(state.siteConfigs, `${ids.payments}/config/web`).properties.ipSecurityRestrictions).toEqual(config.ipSecurityRestrictions);
    const again = await web.webApps.getConfiguration('fn', 'payments-func');
    expect(again.ipSecurityRestrictions).toHaveLength(1);
  });

  it('appends the implicit "Deny all" rule when rules exist and no default action is set', async () => {
    const { web } = sdk(emu.url);
    const rule = { ipAddress: '203.0.113.0/24', action: 'Allow', priority: 100, name: 'office' };
    const put = await web.webApps.updateConfiguration('fn', 'payments-func', { ipSecurityRestrictions: [rule] });
    expect(put.ipSecurityRestrictions).toEqual([
      { ...rule, tag: 'Default' },
      { ipAddress: 'Any', action: 'Deny', priority: 2147483647, name: 'Deny all', description: 'Deny all access' },
    ]);
  });

  it.each([
    ['Deny', 'Deny all'],
    ['Allow', 'Allow all'],
  ] as const)('appends the implicit rule for an explicit default action %s after rules too ("%s")', async (defaultAction, implicitName) => {
    const { web } = sdk(emu.url);
    const rule = { ipAddress: '203.0.113.0/24', action: 'Allow', priority: 100, name: 'office' };
    const put = await web.webApps.updateConfiguration('fn', 'payments-func', { ipSecurityRestrictions: [rule], ipSecurityRestrictionsDefaultAction: defaultAction });
    expect(put.ipSecurityRestrictions).toEqual([
      { ...rule, tag: 'Default' },
      { ipAddress: 'Any', action: defaultAction, priority: 2147483647, name: implicitName, description: `${defaultAction} all access` },
    ]);
    expect(put.ipSecurityRestrictionsDefaultAction).toBe(defaultAction);
    expect((await web.webApps.getConfiguration('fn', 'payments-func')).ipSecurityRestrictions!.map((r) => r.name)).toEqual(['office', implicitName]);
  });

  it('shows "Deny all" alone when there are no rules and the default action is Deny', async () => {
    const { web } = sdk(emu.url);
    const put = await web.webApps.updateConfiguration('fn', 'payments-func', { scmIpSecurityRestrictionsDefaultAction: 'Deny' });
    expect(put.scmIpSecurityRestrictions!.map((r) => r.name)).toEqual(['Deny all']);
    expect(put.ipSecurityRestrictions!.map((r) => r.name)).toEqual(['Allow all']);
  });

  it('replaces the rule arrays whole and leaves other properties alone', async () => {
    const { web } = sdk(emu.url);
    const a = { ipAddress: '198.51.100.1/32', action: 'Allow', priority: 100, name: 'a' };
    const b = { ipAddress: '198.51.100.2/32', action: 'Allow', priority: 200, name: 'b' };
    const c = { ipAddress: '198.51.100.3/32', action: 'Deny', priority: 300, name: 'c' };
    await web.webApps.updateConfiguration('fn', 'payments-func', {
      ipSecurityRestrictions: [a, b],
      scmIpSecurityRestrictions: [c],
      ipSecurityRestrictionsDefaultAction: 'Deny',
      scmIpSecurityRestrictionsUseMain: true,
    });
    const after = await web.webApps.updateConfiguration('fn', 'payments-func', { ipSecurityRestrictions: [c] });
    expect(after.ipSecurityRestrictions!.map((r) => r.name)).toEqual(['c', 'Deny all']);
    expect(after.scmIpSecurityRestrictions!.map((r) => r.name)).toEqual(['c', 'Deny all']);
    expect(after.scmIpSecurityRestrictionsUseMain).toBe(true);
    expect(after.ipSecurityRestrictionsDefaultAction).toBe('Deny');
    // PUT behaves the same way: properties it does not name are kept
    const put = await web.webApps.createOrUpdateConfiguration('fn', 'payments-func', { scmIpSecurityRestrictions: [] });
    expect(put.scmIpSecurityRestrictions!.map((r) => r.name)).toEqual(['Allow all']);
    expect(put.ipSecurityRestrictions!.map((r) => r.name)).toEqual(['c', 'Deny all']);
  });

  it('accepts a subnet rule before the subnet has the Microsoft.Web endpoint (the check is the clients\' own), and stores no ignoreMissingVnetServiceEndpoint', async () => {
    const rule = { vnetSubnetResourceId: ids.data, action: 'Allow', priority: 100, name: 'from-data' };
    const withFlag = await raw(emu, 'PATCH', `${ids.payments}/config/web?${WEB_API}`, {
      body: { properties: { ipSecurityRestrictions: [{ ...rule, ignoreMissingVnetServiceEndpoint: true }] } },
    });
    expect(withFlag.status).toBe(200);
    const { web } = sdk(emu.url);
    const ok = await web.webApps.updateConfiguration('fn', 'payments-func', { ipSecurityRestrictions: [rule] });
    expect(ok.ipSecurityRestrictions![0].vnetSubnetResourceId).toBe(ids.data);
    const stored = await raw(emu, 'GET', `${ids.payments}/config/web?${WEB_API}`);
    expect(stored.body.properties.ipSecurityRestrictions[0]).not.toHaveProperty('ignoreMissingVnetServiceEndpoint');
  });

  it('refuses a subnet rule for a subnet that does not exist', async () => {
    const { web } = sdk(emu.url);
    const err = await sdkError(
      web.webApps.updateConfiguration('fn', 'payments-func', {
        ipSecurityRestrictions: [{ vnetSubnetResourceId: `${ids.data}-missing`, action: 'Allow', priority: 100, name: 'nowhere' }],
      }),
    );
    expect(err).toMatchObject({ statusCode: 400, code: 'BadRequest' });
    expect((await web.webApps.getConfiguration('fn', 'payments-func')).ipSecurityRestrictions!.map((r) => r.name)).toEqual(['Allow all']);
  });

  it('refuses a service tag Azure does not know with 400, and accepts known and regional ones', async () => {
    const rule = (ipAddress: string) => ({ ipAddress, tag: 'ServiceTag', action: 'Allow', priority: 100, name: 'tagged' });
    const typo = await raw(emu, 'PATCH', `${ids.payments}/config/web?${WEB_API}`, { body: { properties: { ipSecurityRestrictions: [rule('AzureFrontDor.Backend')] } } });
    expect(typo.status).toBe(400);
    expect(typo.body.error).toMatchObject({ code: 'BadRequest', message: expect.stringContaining("'AzureFrontDor.Backend' is not a valid service tag") });
    const { web } = sdk(emu.url);
    for (const tag of ['AzureFrontDoor.Backend', 'AppService.WestEurope'])
      expect((await web.webApps.updateConfiguration('fn', 'payments-func', { ipSecurityRestrictions: [rule(tag)] })).ipSecurityRestrictions![0].ipAddress).toBe(tag);
  });

  it('validates rules: exactly one of ipAddress / vnetSubnetResourceId, a valid action and address', async () => {
    const { web } = sdk(emu.url);
    for (const bad of [{ action: 'Allow', priority: 1, name: 'none' }, { ipAddress: 'not-an-ip', action: 'Allow', name: 'x' }, { ipAddress: '10.0.0.0/8', action: 'Maybe', name: 'y' }])
      expect(await sdkError(web.webApps.updateConfiguration('fn', 'payments-func', { ipSecurityRestrictions: [bad] }))).toMatchObject({ statusCode: 400 });
  });

  it('keeps vnetRouteAllEnabled and the site outboundVnetRouting consistent', async () => {
    const { web } = sdk(emu.url);
    const c = await web.webApps.updateConfiguration('web', 'orders-web', { vnetRouteAllEnabled: true });
    expect(c.vnetRouteAllEnabled).toBe(true);
    expect((await web.webApps.get('web', 'orders-web')).outboundVnetRouting?.applicationTraffic).toBe(true);
  });
});

describe('swift VNet integration (networkConfig/virtualNetwork)', () => {
  it('GET when not integrated: 200 without subnetResourceId', async () => {
    emu = await start({ topology: readyTopology() });
    const { web } = sdk(emu.url);
    const swift = await web.webApps.getSwiftVirtualNetworkConnection('web', 'orders-web');
    expect(swift.id).toBe(`${ids.orders}/networkConfig/virtualNetwork`);
    expect(swift.subnetResourceId).toBeUndefined();
    expect(swift.swiftSupported).toBe(true);
  });

  it('PUT integrates, keeps site.virtualNetworkSubnetId consistent and links the subnet; DELETE removes it', async () => {
    emu = await start({ topology: readyTopology() });
    const { web, network } = sdk(emu.url);
    const put = await web.webApps.createOrUpdateSwiftVirtualNetworkConnectionWithCheck('web', 'orders-web', {
      subnetResourceId: ids.apps.toUpperCase(),
      swiftSupported: true,
    });
    expect(put.subnetResourceId).toBe(ids.apps); // stored casing
    expect((await web.webApps.get('web', 'orders-web')).virtualNetworkSubnetId).toBe(ids.apps);
    expect((await web.webApps.getSwiftVirtualNetworkConnection('web', 'orders-web')).subnetResourceId).toBe(ids.apps);
    const subnet = await network.subnets.get('net', 'hub', 'apps');
    expect(subnet.serviceAssociationLinks).toEqual([
      expect.objectContaining({ name: 'AppServiceLink', linkedResourceType: 'Microsoft.Web/serverfarms', link: ids.webPlan }),
    ]);
    await web.webApps.deleteSwiftVirtualNetwork('web', 'orders-web');
    expect((await web.webApps.get('web', 'orders-web')).virtualNetworkSubnetId).toBeUndefined();
    expect((await web.webApps.getSwiftVirtualNetworkConnection('web', 'orders-web')).subnetResourceId).toBeUndefined();
    expect((await network.subnets.get('net', 'hub', 'apps')).serviceAssociationLinks).toBeUndefined();
  });

  it('site PATCH virtualNetworkSubnetId is the same integration (validated the same way)', async () => {
    emu = await start({ topology: readyTopology() });
    const { web } = sdk(emu.url);
    await web.webApps.update('web', 'orders-web', { virtualNetworkSubnetId: ids.apps });
    expect((await web.webApps.getSwiftVirtualNetworkConnection('web', 'orders-web')).subnetResourceId).toBe(ids.apps);
    expect(await sdkError(web.webApps.update('web', 'orders-web', { virtualNetworkSubnetId: ids.data }))).toMatchObject({ statusCode: 400 });
    await web.webApps.update('web', 'orders-web', { virtualNetworkSubnetId: '' });
    expect((await web.webApps.get('web', 'orders-web')).virtualNetworkSubnetId).toBeUndefined();
  });

  it('refuses plans of tier Free, Shared and Dynamic', async () => {
    const t = readyTopology();
    t.serverFarms.push({ resourceGroup: 'web', name: 'free-plan', location: 'westeurope', sku: { name: 'F1', tier: 'Free' } });
    t.serverFarms.push({ resourceGroup: 'web', name: 'shared-plan', location: 'westeurope', sku: { name: 'D1', tier: 'Shared' } });
    t.sites.push({ resourceGroup: 'web', name: 'free-web', location: 'westeurope', serverFarm: 'free-plan' });
    t.sites.push({ resourceGroup: 'web', name: 'shared-web', location: 'westeurope', serverFarm: 'shared-plan' });
    emu = await start({ topology: t });
    const { web } = sdk(emu.url);
    for (const [rg, name, tier] of [['fn', 'legacy-func', 'Dynamic'], ['web', 'free-web', 'Free'], ['web', 'shared-web', 'Shared']]) {
      const err = await sdkError(web.webApps.createOrUpdateSwiftVirtualNetworkConnectionWithCheck(rg, name, { subnetResourceId: ids.apps }));
      expect(err.statusCode).toBe(400);
      expect(err.message).toContain(`pricing tier '${tier}'`);
      expect((await web.webApps.getSwiftVirtualNetworkConnection(rg, name)).swiftSupported).toBe(false);
    }
  });

  it('refuses a subnet without the Microsoft.Web/serverFarms delegation, a missing subnet or VNet, another region', async () => {
    const t = demoTopology();
    t.virtualNetworks.push({
      resourceGroup: 'net',
      name: 'north',
      location: 'northeurope',
      addressPrefixes: ['10.20.0.0/16'],
      subnets: [{ name: 'apps', addressPrefix: '10.20.1.0/24', delegations: [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] }],
    });
    emu = await start({ topology: t });
    const { web } = sdk(emu.url);
    const connect = (subnetResourceId: string) => sdkError(web.webApps.createOrUpdateSwiftVirtualNetworkConnectionWithCheck('web', 'orders-web', { subnetResourceId }));
    const undelegated = await connect(ids.apps);
    expect(undelegated).toMatchObject({ statusCode: 400, code: 'BadRequest' });
    expect(undelegated.message).toContain("is not delegated to 'Microsoft.Web/serverFarms'");
    expect(await connect(`${ids.hub}/subnets/nope`)).toMatchObject({ statusCode: 404, code: 'NotFound' });
    expect(await connect(ids.apps.replace('/hub/', '/nohub/'))).toMatchObject({ statusCode: 404, code: 'ParentResourceNotFound' });
    const region = await connect(ids.apps.replace('/hub/', '/north/'));
    expect(region.statusCode).toBe(400);
    expect(region.message).toContain('same region');
    expect((await web.webApps.get('web', 'orders-web')).virtualNetworkSubnetId).toBeUndefined();
  });

  it('lets only one App Service plan use a subnet', async () => {
    emu = await start({ topology: readyTopology() });
    const { web } = sdk(emu.url);
    await web.webApps.createOrUpdateSwiftVirtualNetworkConnectionWithCheck('web', 'orders-web', { subnetResourceId: ids.apps });
    const err = await sdkError(web.webApps.createOrUpdateSwiftVirtualNetworkConnectionWithCheck('fn', 'payments-func', { subnetResourceId: ids.apps }));
    expect(err).toMatchObject({ statusCode: 400, code: 'BadRequest' });
    expect(err.message).toContain(`is already occupied by service ${ids.webPlan}`);
  });

  it('gives the integration in a seed the same views', async () => {
    const t = readyTopology();
    t.sites[0].virtualNetworkSubnetId = ids.apps;
    emu = await start({ topology: t });
    const { web } = sdk(emu.url);
    expect((await web.webApps.getSwiftVirtualNetworkConnection('web', 'orders-web')).subnetResourceId).toBe(ids.apps);
    expect((await web.webApps.getConfiguration('web', 'orders-web')).vnetName).toMatch(/_apps$/);
    expect(Object.keys(emu.admin.state().swiftConnections)).toEqual([`${ids.orders}/networkConfig/virtualNetwork`]);
  });
});

it('serves the SDK api-version and refuses others', async () => {
  emu = await start();
  expect((await raw(emu, 'GET', `${ids.orders}?api-version=2025-05-01`)).status).toBe(200);
  const missing = await raw(emu, 'GET', ids.orders);
  expect(missing.status).toBe(400);
  expect(missing.body.error).toEqual({ code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' });
  const wrong = await raw(emu, 'GET', `${ids.orders}?api-version=2099-01-01`);
  expect(wrong.status).toBe(400);
  expect(wrong.body.error.code).toBe('InvalidApiVersionParameter');
  expect(wrong.body.error.message).toContain("The api-version '2099-01-01' is invalid. The supported versions are '2025-05-01");
  expect((await raw(emu, 'GET', `/subscriptions/${SUB}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2025-05-01&$filter=x`)).body.error.code).toBe(
    'InvalidApiVersionParameter',
  );
});
