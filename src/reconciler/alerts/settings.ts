/**
 * Alerting settings, from app settings. Key Vault references (`@Microsoft.KeyVault(...)`)
 * are resolved by the Functions platform before the process sees them; one that reaches us
 * unresolved means the platform could not read the vault, and its sink is left off.
 */
import type { Logger } from '../logger';
import type { Env } from '../settings';
import { LogSink } from './sinks/log';
import type { AlertSink, DeliverOptions } from './sinks/sink';
import { slackSink } from './sinks/slack';
import { teamsSink } from './sinks/teams';
import { WebhookSink } from './sinks/webhook';
import { DEFAULT_TABLES, stateConnectionFromSettings, type StateConnection } from '../state/store';
import { DEFAULT_RENOTIFY_MINUTES } from './transitions';

export interface AlertSettings {
  renotifyAfterInMs: number;
  /** How long an alert waits for its actor to appear in the Activity Log. */
  actorWaitInMs: number;
  /** Lockdown's own identity as the Activity Log names it (object id, app id or UPN). */
  ownCallers: string[];
  delivery: Required<Pick<DeliverOptions, 'maxAttempts' | 'backoffInMs' | 'timeoutInMs'>>;
  webhookUrl?: string;
  webhookSecret?: string;
  teamsWebhookUrl?: string;
  slackWebhookUrl?: string;
  state?: StateConnection;
  tables: typeof DEFAULT_TABLES;
  /** Settings that were left off, and why (never their values). */
  warnings: string[];
}

function minutes(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback * 60_000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of minutes (0 or more), not "${raw}"`);
  return value * 60_000;
}

function secretSetting(env: Env, name: string, warnings: string[]): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (/^@Microsoft\.KeyVault\(/i.test(value)) {
    warnings.push(`${name} is an unresolved Key Vault reference: grant the Function's identity "get" on the secret (Key Vault Secrets User); left off`);
    return undefined;
  }
  return value;
}

export function readAlertSettings(env: Env = process.env): AlertSettings {
  const warnings: string[] = [];
  const prefix = (env.LOCKDOWN_STATE_TABLE_PREFIX || 'lockdown').replace(/[^A-Za-z0-9]/g, '');
  const webhookUrl = secretSetting(env, 'LOCKDOWN_WEBHOOK_URL', warnings);
  const webhookSecret = secretSetting(env, 'LOCKDOWN_WEBHOOK_SECRET', warnings);
  if (webhookUrl && !webhookSecret) warnings.push('LOCKDOWN_WEBHOOK_URL is set without LOCKDOWN_WEBHOOK_SECRET: webhook bodies are not signed');
  return {
    renotifyAfterInMs: minutes(env, 'LOCKDOWN_RENOTIFY_MINUTES', DEFAULT_RENOTIFY_MINUTES),
    actorWaitInMs: minutes(env, 'LOCKDOWN_ACTOR_WAIT_MINUTES', 10),
    // A user-assigned identity's client id is known already; the Activity Log may show it or the
    // object id (LOCKDOWN_PRINCIPAL_ID), and resource-write events carry both.
    ownCallers: [...(env.LOCKDOWN_OWN_CALLERS ?? '').split(','), env.LOCKDOWN_MANAGED_IDENTITY_CLIENT_ID ?? '', env.AZURE_CLIENT_ID ?? '', env.LOCKDOWN_PRINCIPAL_ID ?? '']
      .map((caller) => caller.trim())
      .filter(Boolean),
    delivery: {
      maxAttempts: Number(env.LOCKDOWN_SINK_ATTEMPTS || 3),
      backoffInMs: Number(env.LOCKDOWN_SINK_BACKOFF_MS || 1000),
      timeoutInMs: Number(env.LOCKDOWN_SINK_TIMEOUT_MS || 10_000),
    },
    webhookUrl,
    webhookSecret,
    teamsWebhookUrl: secretSetting(env, 'LOCKDOWN_TEAMS_WEBHOOK_URL', warnings),
    slackWebhookUrl: secretSetting(env, 'LOCKDOWN_SLACK_WEBHOOK_URL', warnings),
    state: stateConnectionFromSettings(env),
    tables: { drift: `${prefix}drift`, status: `${prefix}status`, history: `${prefix}history`, lease: `${prefix}lease` },
    warnings,
  };
}

/** The log sink always, then each configured webhook. */
export function sinksFromSettings(settings: AlertSettings, logger: Logger): AlertSink[] {
  const sinks: AlertSink[] = [new LogSink(logger)];
  if (settings.webhookUrl) sinks.push(new WebhookSink(settings.webhookUrl, settings.webhookSecret));
  if (settings.teamsWebhookUrl) sinks.push(teamsSink(settings.teamsWebhookUrl));
  if (settings.slackWebhookUrl) sinks.push(slackSink(settings.slackWebhookUrl));
  return sinks;
}
