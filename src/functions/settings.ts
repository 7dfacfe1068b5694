/** The Function's app settings, read once per invocation, with their defaults. */
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface ReconcilerSettings {
  schedule: string;
  policyPaths: string[];
  /** No new work starts after this much time; below host.json's functionTimeout. */
  timeBudgetInMs: number;
  dryRun: boolean;
  logLevel: string;
}

export const DEFAULT_SCHEDULE = '0 */5 * * * *';
const DEFAULT_TIME_BUDGET_SECONDS = 480;

/** The folder holding host.json: the Function app's root, in Azure and in a checkout. */
export function appRoot(start: string = __dirname): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'host.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

export function readSettings(env: Record<string, string | undefined> = process.env): ReconcilerSettings {
  const root = appRoot();
  const budgetSeconds = Number(env.LOCKDOWN_TIME_BUDGET_SECONDS ?? DEFAULT_TIME_BUDGET_SECONDS);
  if (!Number.isFinite(budgetSeconds) || budgetSeconds <= 0) {
    throw new Error(`LOCKDOWN_TIME_BUDGET_SECONDS must be a positive number of seconds, not "${env.LOCKDOWN_TIME_BUDGET_SECONDS}"`);
  }
  return {
    schedule: env.LOCKDOWN_SCHEDULE || DEFAULT_SCHEDULE,
    policyPaths: (env.LOCKDOWN_POLICY_PATHS || 'policies')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => path.resolve(root, entry)),
    timeBudgetInMs: budgetSeconds * 1000,
    dryRun: /^(1|true|yes)$/i.test(env.LOCKDOWN_DRY_RUN ?? ''),
    logLevel: env.LOCKDOWN_LOG_LEVEL || 'info',
  };
}
