/**
 * The port a tick uses, by LOCKDOWN_OBSERVATION_SOURCE: `arm` (one read per resource),
 * `resourcegraph` (bulk queries, ARM for what they miss and for every write), or `auto` (the
 * default: Resource Graph from AUTO_RESOURCE_GRAPH_MIN_APPS apps up, ARM below, where ARM's read
 * burst covers the whole tick, and ARM whenever Resource Graph refuses).
 */
import type { AzurePort } from '../port';
import { ArmPort, type ArmPortOptions } from './armPort';
import type { ArmConnection, Settings } from './connection';
import { ResourceGraphClient } from './resourceGraph';
import { ResourceGraphPort } from './resourceGraphPort';

/** About 50 pairs: ARM's burst of 250 reads per subscription covers smaller estates in one go. */
export const AUTO_RESOURCE_GRAPH_MIN_APPS = 100;
export const OBSERVATION_SOURCES = ['arm', 'resourcegraph', 'auto'] as const;

export function observationSourceSetting(settings: Settings): (typeof OBSERVATION_SOURCES)[number] {
  const value = (settings.LOCKDOWN_OBSERVATION_SOURCE ?? 'auto').trim().toLowerCase();
  const known = OBSERVATION_SOURCES.find((source) => source === value);
  if (!known) throw new Error(`LOCKDOWN_OBSERVATION_SOURCE=${settings.LOCKDOWN_OBSERVATION_SOURCE} is not a source; use one of ${OBSERVATION_SOURCES.join(', ')}`);
  return known;
}

export function portFromSettings(connection: ArmConnection, settings: Settings, options: ArmPortOptions = {}): AzurePort {
  const source = observationSourceSetting(settings);
  const arm = new ArmPort(connection, options);
  if (source === 'arm') return arm;
  return new ResourceGraphPort(arm, new ResourceGraphClient(connection, { retryOptions: options.retryOptions }), { minApps: source === 'auto' ? AUTO_RESOURCE_GRAPH_MIN_APPS : 0 });
}
