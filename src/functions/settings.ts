/** The Function's app settings, read once per invocation, with their defaults. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { booleanSetting } from '../reconciler/settings';

export interface ReconcilerSettings {
  schedule: string;
  policyPaths: string[];
  /** No new work starts after this much time; at least 60 s below host.json's functionTimeout. */
  timeBudgetInMs: number;
  /** host.json's functionTimeout; undefined when it is unlimited (-1). */
  functionTimeoutInMs?: number;
  dryRun: boolean;
  /** Follow links in the policy folder whose target is outside it (LOCKDOWN_FOLLOW_EXTERNAL_LINKS). */
  followExternalLinks: boolean;
  logLevel: string;
  /** Settings that were changed to something safe, and why (logged as `lockdown.settingAdjusted`). */
  adjustments: string[];
}

export const DEFAULT_SCHEDULE = '0 */5 * * * *';
const DEFAULT_TIME_BUDGET_SECONDS = 480;
/** The budget must end at least this long before functionTimeout: room for the alerting pass. */
export const BUDGET_MARGIN_MS = 60_000;
/** functionTimeout when host.json does not set it: the Consumption plan's default. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 5 * 60_000;

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

/** host.json's `functionTimeout` (`[d.]hh:mm:ss[.fff]`) in ms; undefined for -1 (unlimited). */
export function parseFunctionTimeout(value: unknown): number | undefined {
  if (value === undefined || value === null) return DEFAULT_FUNCTION_TIMEOUT_MS;
  const text = String(value).trim();
  if (text === '-1') return undefined;
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(text);
  if (!match) throw new Error(`host.json functionTimeout must be a timespan like "00:10:00" or -1, not ${JSON.stringify(value)}`);
  const [, days, hours, minutes, seconds] = match;
  const ms = ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000;
  if (ms <= 0) throw new Error(`host.json functionTimeout must be positive, not ${JSON.stringify(value)}`);
  return ms;
}

/** `functionTimeout` from the app root's host.json (in ms; undefined: unlimited). */
export function readFunctionTimeout(root: string = appRoot()): number | undefined {
  const file = path.join(root, 'host.json');
  if (!existsSync(file)) return DEFAULT_FUNCTION_TIMEOUT_MS;
  let host: { functionTimeout?: unknown };
  try {
    host = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseFunctionTimeout(host?.functionTimeout);
}

/** The timer's schedule only: read when the Function registers, so a bad setting fails the ticks (with its message), not the registration. */
export function readSchedule(env: Record<string, string | undefined> = process.env): string {
  return env.LOCKDOWN_SCHEDULE || DEFAULT_SCHEDULE;
}

export function readSettings(env: Record<string, string | undefined> = process.env, root: string = appRoot()): ReconcilerSettings {
  const adjustments: string[] = [];
  const budgetSeconds = Number(env.LOCKDOWN_TIME_BUDGET_SECONDS ?? DEFAULT_TIME_BUDGET_SECONDS);
  if (!Number.isFinite(budgetSeconds) || budgetSeconds <= 0) {
    throw new Error(`LOCKDOWN_TIME_BUDGET_SECONDS must be a positive number of seconds, not "${env.LOCKDOWN_TIME_BUDGET_SECONDS}"`);
  }
  const functionTimeoutInMs = readFunctionTimeout(root);
  let timeBudgetInMs = budgetSeconds * 1000;
  if (functionTimeoutInMs !== undefined) {
    const maxBudgetInMs = functionTimeoutInMs - BUDGET_MARGIN_MS;
    if (maxBudgetInMs <= 0) {
      throw new Error(`host.json functionTimeout (${functionTimeoutInMs / 1000} s) leaves no room for LOCKDOWN_TIME_BUDGET_SECONDS: it must be more than ${BUDGET_MARGIN_MS / 1000} s`);
    }
    if (timeBudgetInMs > maxBudgetInMs) {
      adjustments.push(
        `LOCKDOWN_TIME_BUDGET_SECONDS (${budgetSeconds}) is not at least ${BUDGET_MARGIN_MS / 1000} s below host.json functionTimeout (${functionTimeoutInMs / 1000} s): clipped to ${maxBudgetInMs / 1000} s`,
      );
      timeBudgetInMs = maxBudgetInMs;
    }
  }
  return {
    schedule: readSchedule(env),
    policyPaths: (env.LOCKDOWN_POLICY_PATHS || 'policies')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => path.resolve(root, entry)),
    timeBudgetInMs,
    functionTimeoutInMs,
    dryRun: booleanSetting(env, 'LOCKDOWN_DRY_RUN', false),
    followExternalLinks: booleanSetting(env, 'LOCKDOWN_FOLLOW_EXTERNAL_LINKS', false),
    logLevel: env.LOCKDOWN_LOG_LEVEL || 'info',
    adjustments,
  };
}
