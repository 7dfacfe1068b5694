/** The ARM port the CLI commands use, from the environment; a bad setting is reported, not thrown. */
import { ArmPort } from '../reconciler/azure/armPort';
import { connectionFromSettings } from '../reconciler/azure/connection';

export function armPortFromEnv(env: Record<string, string | undefined>, stderr: (text: string) => void): ArmPort | undefined {
  try {
    return new ArmPort(connectionFromSettings(env), { pollIntervalInMs: Number(env.LOCKDOWN_POLL_INTERVAL_MS ?? 2000) });
  } catch (error) {
    stderr((error as Error).message);
    return undefined;
  }
}
