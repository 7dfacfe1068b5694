/**
 * Policy input on the emulator: a file in another encoding protects what it names, and a
 * link that leaves the policy folder is neither followed nor echoed into the plan.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliOn, demoTopology, ids, pairPolicy, startEmulatorWorld, type EmulatorWorld } from '../support/emulatorWorld';

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

let world: EmulatorWorld;
beforeEach(async () => {
  world = await startEmulatorWorld();
  world.writePolicies({ 'orders.yaml': pairPolicy() });
});
afterEach(() => world.stop());

const cli = (args: string[]) => cliOn(world, args);

describe('a policy saved as UTF-16LE with a byte-order mark', () => {
  it('is enforced like any other, and a typo in it never removes the access it grants', async () => {
    const topology = demoTopology();
    topology.serverFarms.push({ resourceGroup: 'web', name: 'inventory-plan', location: 'westeurope', sku: { name: 'P1v3', tier: 'PremiumV3' } });
    topology.sites.push({ resourceGroup: 'web', name: 'inventory-web', location: 'westeurope', kind: 'app', serverFarm: 'inventory-plan' });
    world.emulator.admin.seed(topology);
    const inventory = pairPolicy({ name: 'inventory-to-payments', callers: [ids.orders.replace('orders-web', 'inventory-web')], subnet: ids.data });
    writeFileSync(path.join(world.policyDir, 'inventory.yaml'), utf16le(inventory));
    const first = await world.tick();
    expect(first.policies.problems).toEqual([]);
    expect(first.policies.policies.map((policy) => policy.name).sort()).toEqual(['inventory-to-payments', 'orders-to-payments']);

    writeFileSync(path.join(world.policyDir, 'inventory.yaml'), utf16le(inventory.replace('callers:', 'calers:')));
    world.emulator.admin.clearRequests();
    const second = await world.tick();
    expect(second.policies.invalidFiles).toEqual([path.join(world.policyDir, 'inventory.yaml')]);
    expect(second.plan.actions.filter((action) => action.enforcement.apply)).toEqual([]);
    expect(world.writes()).toEqual([]);
  });
});

describe('a link that leaves the policy folder', () => {
  let outside: string;
  beforeEach(() => {
    outside = mkdtempSync(path.join(tmpdir(), 'lockdown-outside-'));
    writeFileSync(
      path.join(outside, 'team.yaml'),
      pairPolicy({ name: 'team', callees: [ids.legacy] })
        .replace('apiVersion: lockdown/v1', 'apiVersion: SECRET-IN-APIVERSION-123')
        .replace('spec:', 'spec:\n  GH_TOKEN: ghp_secretvalue0123456789'),
    );
    symlinkSync(path.join(outside, 'team.yaml'), path.join(world.policyDir, 'team.yaml'));
  });
  afterEach(() => rmSync(outside, { recursive: true, force: true }));

  it('is not followed: the plan says so, echoes nothing from it, and nothing is written', async () => {
    const markdown = await cli(['apply', world.policyDir, '-o', 'markdown']);
    expect(markdown.out).toContain('a link that leaves the policy folder is not followed');
    expect(markdown.out).not.toMatch(/SECRET|GH_TOKEN|ghp_/);
    expect(world.writes()).toEqual([]);
  });

  it('is followed with --follow-external-links; the plan quotes a short prefix of a bad value and never an unknown field\'s value', async () => {
    const markdown = await cli(['plan', world.policyDir, '-o', 'markdown', '--follow-external-links']);
    expect(markdown.out).toContain("unsupported apiVersion 'SECRET-IN-APIVER…'");
    expect(markdown.out).not.toContain('SECRET-IN-APIVERSION');
    expect(markdown.out).not.toContain('ghp_');
    const text = await cli(['validate', world.policyDir, '--follow-external-links']);
    expect(text.code).toBe(1);
    expect(text.err).toMatch(/team\.yaml:1:13 error apiVersion: unsupported apiVersion/);
  });
});
