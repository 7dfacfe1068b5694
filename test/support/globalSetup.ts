/**
 * jest globalSetup: Azurite for the run (azuriteGlobalSetup.ts) and a directory for the
 * emulator traffic of the run (trafficRecorder.ts); workers inherit both through the environment.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import azuriteGlobalSetup from './azuriteGlobalSetup';
import { TRAFFIC_DIR_ENV } from './trafficRecorder';

export default async function globalSetup(): Promise<void> {
  const given = process.env[TRAFFIC_DIR_ENV];
  if (given) {
    mkdirSync(given, { recursive: true }); // provided from outside: kept after the run
  } else {
    process.env[TRAFFIC_DIR_ENV] = mkdtempSync(path.join(tmpdir(), 'lockdown-traffic-'));
    (globalThis as { __LOCKDOWN_TRAFFIC_TEMP__?: boolean }).__LOCKDOWN_TRAFFIC_TEMP__ = true;
  }
  await azuriteGlobalSetup();
}
