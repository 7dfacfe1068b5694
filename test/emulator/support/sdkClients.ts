/** The real, pinned Azure SDK clients, pointed at the emulator. */
import type { TokenCredential } from '@azure/identity';
import { WebSiteManagementClient } from '@azure/arm-appservice';
import { NetworkManagementClient } from '@azure/arm-network';
import { MonitorClient } from '@azure/arm-monitor';

/** The emulator wants a bearer token, not a valid one. */
export const emulatorCredential: TokenCredential = {
  getToken: async () => ({ token: 'emulator-test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export function sdkClients(emulatorUrl: string, subscriptionId: string) {
  // Classic (autorest) clients build URLs from `$host`; the modular app service client from `endpoint`.
  const classic = { endpoint: emulatorUrl, $host: emulatorUrl };
  return {
    web: new WebSiteManagementClient(emulatorCredential, subscriptionId, { endpoint: emulatorUrl }),
    network: new NetworkManagementClient(emulatorCredential, subscriptionId, classic),
    monitor: new MonitorClient(emulatorCredential, subscriptionId, classic),
  };
}
