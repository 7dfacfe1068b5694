/** The Azure port the CLI commands use, from the environment; a bad setting is reported, not thrown. */
import { connectionFromSettings } from '../reconciler/azure/connection';
import { portFromSettings } from '../reconciler/azure/observationSource';
import type { AzurePort } from '../reconciler/port';

export function armPortFromEnv(env: Record<string, string | undefined>, stderr: (text: string) => void): AzurePort | undefined {
  try {
    return portFromSettings(connectionFromSettings(env), env, { pollIntervalInMs: Number(env.LOCKDOWN_POLL_INTERVAL_MS ?? 2000) });
  } catch (error) {
    stderr((error as Error).message);
    return undefined;
  }
}
