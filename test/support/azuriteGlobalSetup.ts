/** jest globalSetup: one Azurite for the whole run; workers inherit the connection string. */
import { startAzurite, TEST_STATE_ENV, type RunningAzurite } from './azurite';

export default async function globalSetup(): Promise<void> {
  if (process.env[TEST_STATE_ENV]) return; // provided from outside (an Azurite already running)
  const azurite = await startAzurite();
  (globalThis as { __LOCKDOWN_AZURITE__?: RunningAzurite }).__LOCKDOWN_AZURITE__ = azurite;
  process.env[TEST_STATE_ENV] = azurite.connectionString;
}
