/** jest globalTeardown: stops the Azurite the global setup started (and only that one). */
import type { RunningAzurite } from './azurite';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __LOCKDOWN_AZURITE__?: RunningAzurite };
  await holder.__LOCKDOWN_AZURITE__?.stop();
  holder.__LOCKDOWN_AZURITE__ = undefined;
}
