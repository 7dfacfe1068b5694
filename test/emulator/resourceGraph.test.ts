/**
 * The emulator's Resource Graph: the KQL subset Lockdown sends, Resource Graph's refusal of
 * anything else, pages of at most 1,000 rows through $skipToken, the per-user quota headers,
 * rows filtered by the caller's read permissions, and writes seen only after the lag.
 */
import { EmulatorCore } from '../../emulator/src/core';
import { processArmRequest } from '../../emulator/src/pipeline';
import type { EmulatorOptions, Topology } from '../../emulator/src/types';
import { RESOURCES_QUERY, SITE_CONFIG_QUERY } from '../../src/reconciler/azure/resourceGraphPort';
import { demoTopology, SUB } from '../support/emulatorWorld';

const TOKEN = 'reader-token';
const PATH = '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01';

function core(options: EmulatorOptions = {}): EmulatorCore {
  return new EmulatorCore({ topology: demoTopology(), identities: { [TOKEN]: { caller: 'reader@example.test' } }, ...options });
}

async function query(emulator: EmulatorCore, body: Record<string, unknown>) {
  const out = await processArmRequest(emulator, { method: 'POST', url: PATH, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, rawBody: JSON.stringify(body), baseUrl: 'https://emulator.test' });
  return out as { status: number; headers: Record<string, string>; body: any };
}

function manySites(count: number): Topology {
  const topology = demoTopology();
  topology.sites.push(...Array.from({ length: count }, (_, index) => ({ resourceGroup: 'web', name: `bulk-${index}`, location: 'westeurope', kind: 'app', serverFarm: topology.serverFarms[0].name })));
  return topology;
}

describe('Resource Graph on the emulator', () => {
  it('answers the resources query with sites, plans and virtual networks with their subnets', async () => {
    const answer = await query(core(), { subscriptions: [SUB], query: RESOURCES_QUERY });
    expect(answer.status).toBe(200);
    const types = new Set(answer.body.data.map((row: any) => row.type));
    expect([...types].sort()).toEqual(['microsoft.network/virtualnetworks', 'microsoft.web/serverfarms', 'microsoft.web/sites']);
    const hub = answer.body.data.find((row: any) => row.type === 'microsoft.network/virtualnetworks');
    expect(hub.properties.subnets.map((subnet: any) => subnet.name)).toEqual(['apps', 'data']);
    expect(Object.keys(hub).sort()).toEqual(['etag', 'id', 'location', 'name', 'properties', 'type']);
    expect(answer.body).toMatchObject({ count: answer.body.data.length, totalRecords: answer.body.data.length, resultTruncated: 'false' });
  });

  it('answers the appserviceresources query with every site config/web', async () => {
    const answer = await query(core(), { subscriptions: [SUB], query: SITE_CONFIG_QUERY });
    expect(answer.body.data.length).toBe(demoTopology().sites.length);
    expect(answer.body.data[0].type).toBe('microsoft.web/sites/config/web');
    expect(answer.body.data[0].properties.ipSecurityRestrictions).toBeDefined();
  });

  it.each([
    ['an unknown table', 'securityresources | project id'],
    ['an operator outside the subset', "resources | summarize count() by type"],
    ['an unknown column', "resources | where flavour =~ 'x'"],
    ['a join', 'resources | join (appserviceresources) on id'],
  ])('refuses %s with Resource Graph\'s error shape', async (_name, text) => {
    const answer = await query(core(), { subscriptions: [SUB], query: text });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('BadRequest');
    expect(answer.body.error.details.map((detail: any) => detail.code)).toEqual(['InvalidQuery', 'ParserFailure']);
  });

  it('pages at most 1,000 rows and continues through $skipToken', async () => {
    const emulator = core({ topology: manySites(1500) });
    expect((await query(emulator, { subscriptions: [SUB], query: SITE_CONFIG_QUERY, options: { $top: 1001 } })).status).toBe(400);
    const first = await query(emulator, { subscriptions: [SUB], query: SITE_CONFIG_QUERY, options: { $top: 1000 } });
    expect(first.body.count).toBe(1000);
    expect(first.body.$skipToken).toEqual(expect.any(String));
    const second = await query(emulator, { subscriptions: [SUB], query: SITE_CONFIG_QUERY, options: { $top: 1000, $skipToken: first.body.$skipToken } });
    expect(second.body.count).toBe(first.body.totalRecords - 1000);
    expect(second.body.$skipToken).toBeUndefined();
    const ids = [...first.body.data, ...second.body.data].map((row: any) => row.id);
    expect(new Set(ids).size).toBe(first.body.totalRecords);
  });

  it('counts every query against the caller\'s quota and answers 429 when it is used up', async () => {
    const emulator = core({ resourceGraph: { quota: { queries: 2, windowInMs: 60_000 } } });
    const first = await query(emulator, { query: SITE_CONFIG_QUERY });
    expect(first.headers['x-ms-user-quota-remaining']).toBe('1');
    expect(first.headers['x-ms-user-quota-resets-after']).toMatch(/^00:0[01]:\d\d$/);
    expect((await query(emulator, { query: SITE_CONFIG_QUERY })).headers['x-ms-user-quota-remaining']).toBe('0');
    const refused = await query(emulator, { query: SITE_CONFIG_QUERY });
    expect(refused.status).toBe(429);
    expect(refused.headers['x-ms-user-quota-remaining']).toBe('0');
  });

  it('answers only rows of types the caller may read', async () => {
    const emulator = core({ rbac: { allowedActions: ['Microsoft.Web/sites/read'] } });
    const answer = await query(emulator, { subscriptions: [SUB], query: RESOURCES_QUERY });
    expect(answer.status).toBe(200);
    expect(new Set(answer.body.data.map((row: any) => row.type))).toEqual(new Set(['microsoft.web/sites']));
  });

  it('shows a write only after the configured lag', async () => {
    const emulator = core({ resourceGraph: { lagInMs: 60_000 } });
    const site = demoTopology().sites[0];
    const configId = `/subscriptions/${SUB}/resourceGroups/${site.resourceGroup}/providers/Microsoft.Web/sites/${site.name}/config/web`;
    await processArmRequest(emulator, { method: 'PATCH', url: `${configId}?api-version=2025-05-01`, headers: { 'content-type': 'application/json' }, rawBody: JSON.stringify({ properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } }), baseUrl: 'https://emulator.test', actor: 'portal' });
    const defaultOf = async () => (await query(emulator, { subscriptions: [SUB], query: SITE_CONFIG_QUERY })).body.data.find((row: any) => row.id.toLowerCase() === configId.toLowerCase()).properties.ipSecurityRestrictionsDefaultAction;
    expect(await defaultOf()).not.toBe('Allow');
    emulator.configureResourceGraph({ lagInMs: 0 });
    expect(await defaultOf()).toBe('Allow');
  });

  it('leaves out subscriptions the request does not name', async () => {
    const answer = await query(core(), { subscriptions: ['22222222-2222-2222-2222-222222222222'], query: RESOURCES_QUERY });
    expect(answer.body.data).toEqual([]);
  });
});
