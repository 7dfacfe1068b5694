/**
 * Fuzzing apply on the emulator: two policies share a callee and are enforced; then one of
 * them is replaced by a generated, mutated file (see test/support/policyFuzz.ts) and the
 * next tick's request log is checked: nothing a bad file names is written, and nothing at
 * all when what it names cannot be told. A failure prints fast-check's seed and path;
 * replay with LOCKDOWN_FUZZ_SEED=<seed> LOCKDOWN_FUZZ_PATH=<path>.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { demoTopology, pairPolicy, startEmulatorWorld, type EmulatorWorld } from '../support/emulatorWorld';
import { estate, fuzzParameters, isFrozen, policyCase, writeCase } from '../support/policyFuzz';

const APPLY_RUNS = Number(process.env.LOCKDOWN_FUZZ_APPLY_RUNS ?? 30);

/** A fresh estate, a full throttling budget (each case starts as the first would) and an empty policy folder. */
function reset(): void {
  world.emulator.admin.seed(topology());
  world.emulator.admin.setThrottle(undefined);
  for (const entry of readdirSync(world.policyDir)) rmSync(path.join(world.policyDir, entry), { recursive: true, force: true });
}

function topology() {
  const seeded = demoTopology();
  seeded.serverFarms.push({ resourceGroup: 'web', name: 'inventory-plan', location: 'westeurope', sku: { name: 'P1v3', tier: 'PremiumV3' } });
  seeded.sites.push({ resourceGroup: 'web', name: 'inventory-web', location: 'westeurope', kind: 'app', serverFarm: 'inventory-plan' });
  return seeded;
}

/** The app or subnet a write changes: its URL up to the resource's own name. */
function writtenResource(url: string): string {
  const match = /^(.*\/providers\/microsoft\.web\/sites\/[^/]+|.*\/virtualnetworks\/[^/]+\/subnets\/[^/]+)/i.exec(url);
  return (match ? match[1] : url).toLowerCase();
}

let world: EmulatorWorld;
beforeAll(async () => {
  world = await startEmulatorWorld();
});
afterAll(() => world.stop());

describe('apply with a fuzzed policy file', () => {
  it(`never writes what an invalid, unreadable or undecodable file names, nor anything when that cannot be told (${APPLY_RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(policyCase, async (testCase) => {
        const outside = mkdtempSync(path.join(tmpdir(), 'lockdown-fuzz-outside-'));
        try {
          reset();
          const { policy } = testCase;
          world.writePolicies({
            'orders.yaml': pairPolicy(),
            'fuzzed.yaml': pairPolicy({ name: policy.name, mode: policy.mode, callers: policy.callers, callees: policy.callees, subnet: policy.subnet }),
          });
          const before = await world.tick();
          expect(before.policies.invalidFiles).toEqual([]);
          expect(before.apply!.outcomes.filter((outcome) => outcome.outcome === 'failed')).toEqual([]);

          rmSync(path.join(world.policyDir, 'fuzzed.yaml'));
          const written = writeCase(testCase, world.policyDir, outside);
          world.emulator.admin.clearRequests();
          const report = await world.tick({ followExternalLinks: testCase.followExternalLinks });
          const writes = world.writes().map((write) => `${write.method} ${writtenResource(write.url)}`);

          if (written.obscured) expect({ case: written.describe, writes }).toEqual({ case: written.describe, writes: [] });
          if (written.mustBeInvalid) expect(report.policies.invalidFiles).toContain(written.file);
          if (report.policies.invalidFiles.includes(written.file)) {
            const named = new Set(written.names);
            const forbidden = writes.filter((write) => isFrozen(named, write.split(' ')[1]));
            expect({ case: written.describe, forbidden }).toEqual({ case: written.describe, forbidden: [] });
          }
        } finally {
          rmSync(outside, { recursive: true, force: true });
        }
      }),
      fuzzParameters(APPLY_RUNS),
    );
  }, 60_000 + APPLY_RUNS * 2_000);

  it('without the file, the other policy does write the shared callee (what the property guards against)', async () => {
    reset();
    world.writePolicies({ 'orders.yaml': pairPolicy(), 'fuzzed.yaml': pairPolicy({ name: 'inventory-to-payments', callers: [estate.inventory], subnet: estate.data }) });
    await world.tick();
    rmSync(path.join(world.policyDir, 'fuzzed.yaml'));
    world.emulator.admin.clearRequests();
    await world.tick();
    expect(world.writes().map((write) => writtenResource(write.url))).toContain(estate.payments.toLowerCase());
  });
});
