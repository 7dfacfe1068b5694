/**
 * jest globalTeardown: stops Azurite (azuriteGlobalTeardown.ts), then validates every emulator
 * exchange the product-facing tests recorded against the specs (trafficCheck.ts). A validation
 * error, or an exchange no spec operation describes, fails the run: the error thrown here makes
 * jest exit non-zero.
 */
import { rmSync } from 'node:fs';
import azuriteGlobalTeardown from './azuriteGlobalTeardown';
import { checkTraffic, formatTrafficCheck } from './trafficCheck';
import { TRAFFIC_DIR_ENV } from './trafficRecorder';

export default async function globalTeardown(): Promise<void> {
  await azuriteGlobalTeardown();
  const dir = process.env[TRAFFIC_DIR_ENV];
  if (!dir) return;
  const result = await checkTraffic(dir);
  if (result.exchanges) process.stdout.write(formatTrafficCheck(result, dir));
  const temporary = (globalThis as { __LOCKDOWN_TRAFFIC_TEMP__?: boolean }).__LOCKDOWN_TRAFFIC_TEMP__;
  if (result.problems.length) {
    throw new Error(
      `The emulator's traffic in the test suite does not conform to the specs (${result.problems.length} problem(s), ` +
        `traffic files kept in ${dir}${result.oavWorkDir ? `, oav's files in ${result.oavWorkDir}` : ''}):\n` +
        result.problems.slice(0, 20).join('\n'),
    );
  }
  if (temporary) rmSync(dir, { recursive: true, force: true });
}
