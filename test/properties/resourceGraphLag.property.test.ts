/**
 * A stale Resource Graph never causes a wrong write: the same random estates, policies, faults
 * and portal edits as neverCutOff.property.test.ts, observed through Resource Graph rows that
 * always show the estate as it was seeded (the most a lag can hide), with the same properties
 * checked over every recorded state. ARM confirms every policy with a write before it is planned.
 * Replay a failure: PROPERTY_SEED=<seed> PROPERTY_PATH=<path> npx jest test/properties/resourceGraphLag
 */
import fc from 'fast-check';
import { ResourceGraphClient } from '../../src/reconciler/azure/resourceGraph';
import { ResourceGraphPort } from '../../src/reconciler/azure/resourceGraphPort';
import { startInProcessEmulator } from '../support/inProcessEmulator';
import { scenarioArb } from '../support/randomEstate';
import { runScenario } from '../support/scenarioRun';

const seed = process.env.PROPERTY_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.PROPERTY_SEED || 20261202);
if (process.env.PROPERTY_SEED === 'random') console.log(`Resource Graph lag property seed: ${seed} (replay: PROPERTY_SEED=${seed} npx jest test/properties/resourceGraphLag)`);
const runs = Number(process.env.PROPERTY_RG_RUNS ?? 200);

describe('a stale Resource Graph, over random estates, faults and portal edits', () => {
  it(`never causes a wrong write (${runs} scenarios, rows frozen at the seed)`, async () => {
    const emulator = startInProcessEmulator({ resourceGraph: { lagInMs: 10 ** 12, quota: false } });
    const graph = new ResourceGraphClient(emulator.connection, { retryOptions: { maxRetries: 2, retryDelayInMs: 0, maxRetryDelayInMs: 0 } });
    const port = new ResourceGraphPort(emulator.port, graph);
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const violations = await runScenario({ admin: emulator.admin, port, beforeNextRequest: emulator.beforeNextRequest }, scenario);
        if (violations.length > 0) throw new Error(`${violations.length} violation(s):\n${violations.slice(0, 10).join('\n')}`);
        return true;
      }),
      { seed, path: process.env.PROPERTY_PATH, numRuns: runs },
    );
    expect(graph.requests).toBeGreaterThanOrEqual(runs * 2); // every tick asked Resource Graph first
  }, 30 * 60 * 1000);
});
