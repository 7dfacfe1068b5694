/**
 * Never cut off, as properties over random estates, policies, fault schedules and portal
 * edits, checked over every state the emulator recorded (see test/support/safetyProperties.ts):
 * no declared pair whose path was open loses it; nothing is admitted that neither a policy nor
 * a path open before requires; NSGs, route tables and NAT gateways survive; once the faults
 * stop, converged within two ticks and the tick after writes nothing.
 *
 * Most cases run through the emulator's core in process (same state model, faults and
 * history, no HTTPS); a smaller sample goes through the real HTTPS server.
 * Replay a failure: PROPERTY_SEED=<seed> PROPERTY_PATH=<path> npx jest test/properties
 */
import fc from 'fast-check';
import { startEmulator } from '../../emulator/src/index';
import type { RunningEmulator } from '../../emulator/src/types';
import { ArmPort } from '../../src/reconciler/azure/armPort';
import { connectionFromSettings } from '../../src/reconciler/azure/connection';
import { OPERATOR, OPERATOR_TOKEN } from '../support/emulatorWorld';
import { startInProcessEmulator, TICK_INTERVAL_IN_MS } from '../support/inProcessEmulator';
import { scenarioArb } from '../support/randomEstate';
import { runScenario, type Backend } from '../support/scenarioRun';

/** A fixed seed in `npm test` (the same cases every run); `random` (npm run soak) draws one and prints it. */
const seed = process.env.PROPERTY_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.PROPERTY_SEED || 20261201);
if (process.env.PROPERTY_SEED === 'random') console.log(`property suite seed: ${seed} (replay: PROPERTY_SEED=${seed} npx jest test/properties)`);
const path = process.env.PROPERTY_PATH;
const inProcessRuns = Number(process.env.PROPERTY_RUNS ?? 1000);
const httpsRuns = Number(process.env.PROPERTY_HTTPS_RUNS ?? 40);

async function holds(backend: Backend, scenario: Parameters<typeof runScenario>[1]): Promise<boolean> {
  const violations = await runScenario(backend, scenario);
  if (violations.length > 0) throw new Error(`${violations.length} violation(s):\n${violations.slice(0, 10).join('\n')}`);
  return true;
}

describe('never cut off, over random estates, faults and portal edits', () => {
  it(`holds for ${inProcessRuns} scenarios on the emulator core in process`, async () => {
    const emulator = startInProcessEmulator();
    await fc.assert(
      fc.asyncProperty(scenarioArb, (scenario) => holds(emulator, scenario)),
      { seed, path, numRuns: inProcessRuns },
    );
  }, 60 * 60 * 1000);

  describe('through the HTTPS server', () => {
    let emulator: RunningEmulator;
    beforeAll(async () => {
      emulator = await startEmulator({ retryAfterSeconds: 0, throttle: false, lroMaxDurationMs: TICK_INTERVAL_IN_MS, identities: { [OPERATOR_TOKEN]: { caller: OPERATOR, principalType: 'ServicePrincipal' } } });
    });
    afterAll(() => emulator.stop());

    it(`holds for ${httpsRuns} scenarios`, async () => {
      const port = new ArmPort(connectionFromSettings({ LOCKDOWN_ARM_ENDPOINT: emulator.url, LOCKDOWN_ARM_TOKEN: OPERATOR_TOKEN }), {
        pollIntervalInMs: 0,
        retryOptions: { maxRetries: 2, retryDelayInMs: 0, maxRetryDelayInMs: 0 },
      });
      await fc.assert(
        fc.asyncProperty(scenarioArb, (scenario) => holds({ admin: emulator.admin, port }, scenario)),
        { seed: seed + 1, path: process.env.PROPERTY_HTTPS_PATH, numRuns: httpsRuns },
      );
    }, 30 * 60 * 1000);
  });
});
