/**
 * Observation through Resource Graph on the emulator: a steady tick costs two queries and no ARM
 * read, ARM confirms what a write depends on, a lagging index is reported and never written on
 * its word, and a refused query falls back to ARM.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Topology } from '../../emulator/src/types';
import { runCli } from '../../src/cli/main';
import { createLogger } from '../../src/reconciler/logger';
import { demoTopology, ids, OPERATOR_TOKEN, pairPolicy, ROOT, startEmulatorWorld, SUB, subnetPutBody, type EmulatorWorld } from '../support/emulatorWorld';

const find = (map: Record<string, any>, id: string) => Object.entries(map).find(([key]) => key.toLowerCase() === id.toLowerCase())?.[1];
const portal = (world: EmulatorWorld, path: string, body: unknown, method = 'PATCH') => world.emulator.admin.outOfBand('carol@example.test', { method, path, body });

let world: EmulatorWorld;
beforeEach(async () => {
  world = await startEmulatorWorld({}, { observationSource: 'resourcegraph' });
  world.writePolicies({ 'orders.yaml': pairPolicy() });
});
afterEach(() => world.stop());

const requestsOf = (w: EmulatorWorld) => w.emulator.admin.requests().filter((exchange) => !exchange.outOfBand);
const armReads = (w: EmulatorWorld) => requestsOf(w).filter((exchange) => exchange.method === 'GET' && !/operations\//i.test(exchange.url));
const graphQueries = (w: EmulatorWorld) => requestsOf(w).filter((exchange) => exchange.operationId === 'Resources');

describe('observation through Resource Graph', () => {
  it('a steady tick sends one query per table and reads nothing from ARM', async () => {
    await world.tick();
    world.emulator.admin.clearRequests();
    const report = await world.tick();
    expect(report.plan.actions).toEqual([]);
    expect(graphQueries(world)).toHaveLength(2);
    expect(armReads(world)).toEqual([]);
    expect(world.writes()).toEqual([]);
  });

  it('reads from ARM what each write depends on before it plans the write', async () => {
    const report = await world.tick();
    expect(report.apply!.outcomes.map((outcome) => outcome.outcome)).toEqual(['updated', 'created', 'updated']);
    const reads = armReads(world).map((exchange) => exchange.url.split('?')[0].toLowerCase());
    expect(reads).toEqual(expect.arrayContaining([ids.orders.toLowerCase(), `${ids.payments.toLowerCase()}/config/web`, ids.apps.toLowerCase().replace(/\/subnets\/apps$/, '')]));
    // Resource Graph and ARM agree (no lag): nothing to report.
    expect(report.plan.conditions.filter((condition) => condition.reason === 'ObservationLagged')).toEqual([]);
  });

  it('never writes on a stale row: a lagging index shows the estate open, ARM shows it locked, nothing is written', async () => {
    await world.tick();
    world.emulator.admin.setResourceGraph({ lagInMs: 60 * 60 * 1000 }); // rows show the seed: everything open
    world.emulator.admin.clearRequests();
    const historyBefore = world.emulator.admin.history().length;
    const report = await world.tick();
    expect(world.writes()).toEqual([]);
    expect(report.plan.actions.filter((action) => action.enforcement.apply)).toEqual([]);
    expect(world.emulator.admin.history()).toHaveLength(historyBefore);
    const lagged = report.plan.conditions.filter((condition) => condition.reason === 'ObservationLagged').map((condition) => condition.resourceId.toLowerCase());
    expect(lagged).toEqual(expect.arrayContaining([ids.orders.toLowerCase(), ids.payments.toLowerCase()]));
  });

  it('with a lagging index and a portal edit, writes only the repair ARM confirms', async () => {
    await world.tick();
    world.emulator.admin.setResourceGraph({ lagInMs: 60 * 60 * 1000 });
    // Someone adds a Storage endpoint to the subnet and opens the callee: the index shows neither.
    const subnet = find(world.emulator.admin.state().subnets, ids.apps);
    await portal(world, ids.apps, subnetPutBody(subnet, { serviceEndpoints: [...subnet.properties.serviceEndpoints.map((e: any) => ({ service: e.service, locations: e.locations })), { service: 'Microsoft.Storage', locations: ['westeurope'] }] }), 'PUT');
    await portal(world, `${ids.payments}/config/web`, { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } });
    world.emulator.admin.clearRequests();
    const report = await world.tick();
    // The stale rows would have rewritten the subnet from the seed (dropping the Storage endpoint) and reconnected the caller.
    expect(world.writes().map((write) => `${write.method} ${write.url.replace(/^.*\/providers\//, '')}`)).toEqual(['PATCH Microsoft.Web/sites/payments-func/config/web']);
    expect(report.apply!.outcomes.map((outcome) => outcome.outcome)).toEqual(['updated']);
    const state = world.emulator.admin.state();
    expect(find(state.subnets, ids.apps).properties.serviceEndpoints.map((e: any) => e.service).sort()).toEqual(['Microsoft.Storage', 'Microsoft.Web']);
    expect(find(state.siteConfigs, `${ids.payments}/config/web`).properties.ipSecurityRestrictionsDefaultAction).toBe('Deny');
  });

  it('falls back to ARM reads when Resource Graph refuses the query (403), and says so', async () => {
    world.emulator.admin.setResourceGraph({ refuse: 403 });
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } });
    const report = await world.tick({ logger });
    expect(report.apply!.outcomes.map((outcome) => outcome.outcome)).toEqual(['updated', 'created', 'updated']);
    const source = lines.map((line) => JSON.parse(line)).find((entry) => entry.event === 'lockdown.observationSource');
    expect(source).toMatchObject({ name: 'arm' });
    expect(source.detail).toContain('403');
    expect(armReads(world).length).toBeGreaterThanOrEqual(4);
  });

  it('falls back to ARM reads when Resource Graph does not understand the query (400)', async () => {
    world.emulator.admin.setResourceGraph({ refuse: 400 });
    const report = await world.tick();
    expect(report.apply!.outcomes.map((outcome) => outcome.outcome)).toEqual(['updated', 'created', 'updated']);
    world.emulator.admin.setResourceGraph({ refuse: false });
    world.emulator.admin.clearRequests();
    expect((await world.tick()).plan.actions).toEqual([]);
    expect(armReads(world)).toEqual([]);
  });
});

describe('observation source by setting', () => {
  it('auto reads a small estate from ARM', async () => {
    const small = await startEmulatorWorld({}, { observationSource: 'auto' as 'arm' });
    try {
      small.writePolicies({ 'orders.yaml': pairPolicy() });
      await small.tick();
      expect(graphQueries(small)).toEqual([]);
    } finally {
      await small.stop();
    }
  });
});

describe('lockdown discover through Resource Graph', () => {
  it('reads the estate in two queries (two more for the plan if enforced), slots included, and proposes the same policies as ARM reads', async () => {
    const estateWorld = await startEmulatorWorld({ topology: JSON.parse(readFileSync(path.join(ROOT, 'emulator/topologies/estate.json'), 'utf8')) as Topology });
    const folders: string[] = [];
    const slotLists: Record<string, string[]> = {};
    try {
      const proposals = async (source: string) => {
        const folder = mkdtempSync(path.join(tmpdir(), `lockdown-discover-${source}-`));
        folders.push(folder);
        estateWorld.emulator.admin.clearRequests();
        const env = { LOCKDOWN_ARM_ENDPOINT: estateWorld.emulator.url, LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN, LOCKDOWN_OBSERVATION_SOURCE: source };
        const code = await runCli(['discover', '--subscription', SUB, '--out', folder], { stdout: () => undefined, stderr: () => undefined, env });
        expect(code).toBe(0);
        slotLists[source] = [
          ...new Set(estateWorld.emulator.admin.requests().filter((exchange) => exchange.operationId === 'WebApps_ListSlots').map((exchange) => exchange.url.split('/')[8])),
        ].sort();
        return Object.fromEntries(readdirSync(folder).map((file) => [file, readFileSync(path.join(folder, file), 'utf8').replace(/read at \S+/, '')]));
      };
      const throughArm = await proposals('arm');
      const throughGraph = await proposals('resourcegraph');
      expect(graphQueries(estateWorld)).toHaveLength(4);
      expect(Object.keys(throughGraph).length).toBeGreaterThan(0);
      expect(throughGraph).toEqual(throughArm);
      // The estate's slots (their evidence is in both sets of files) come from the resources rows. The
      // only ARM lists are the plan's confirmation of its slot writes (proposed callees): ledger-func,
      // whose slots the estate alone reads, is listed through ARM by the ARM reads only.
      expect(Object.values(throughGraph).join('\n')).toContain('deployment slot staging: open to the internet');
      expect(slotLists).toEqual({ arm: ['inventory-func', 'ledger-func', 'payments-func', 'stock-func'], resourcegraph: ['inventory-func', 'payments-func', 'stock-func'] });
    } finally {
      await estateWorld.stop();
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('deployment slots through Resource Graph', () => {
  it('takes a callee\'s slots from the resources rows, locks them, and lists no slot through ARM on a steady tick', async () => {
    await world.stop();
    const topology = demoTopology();
    topology.sites.find((site) => site.name === 'payments-func')!.slots = [{ name: 'staging' }];
    world = await startEmulatorWorld({ topology }, { observationSource: 'resourcegraph' });
    world.writePolicies({ 'orders.yaml': pairPolicy() });
    const staging = `${ids.payments}/slots/staging`;
    const first = await world.tick();
    expect(first.apply!.outcomes.filter((outcome) => outcome.kind === 'callee.restrictAccess').map((outcome) => outcome.resourceId.toLowerCase()).sort()).toEqual(
      [ids.payments, staging].map((id) => id.toLowerCase()).sort(),
    );
    const config = Object.entries(world.emulator.admin.state().siteConfigs).find(([key]) => key.toLowerCase() === `${staging}/config/web`.toLowerCase())![1] as { properties: { ipSecurityRestrictionsDefaultAction?: string } };
    expect(config.properties.ipSecurityRestrictionsDefaultAction).toBe('Deny');

    world.emulator.admin.clearRequests();
    const steady = await world.tick();
    expect(steady.plan.actions).toEqual([]);
    expect(graphQueries(world)).toHaveLength(2);
    expect(requestsOf(world).filter((exchange) => exchange.operationId === 'WebApps_ListSlots')).toEqual([]);
    // What the queries do not carry: the slot's own config/web, one ARM read.
    expect(armReads(world).map((exchange) => exchange.operationId)).toEqual(['WebApps_GetConfigurationSlot']);
  });
});
