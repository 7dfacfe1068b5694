/** `lockdown history <policy|pair>` and `lockdown status`: reading and rendering the store. */
import { formatValue } from '../render/values';
import { shortName } from '../resourceId';
import { describeActor } from '../alerts/message';
import { matchesPair, pairName } from '../alerts/pairs';
import { conditionOf } from './pairStatus';
import type { AlertStore } from '../state/store';
import type { HistoryEntry, PairStatus } from './types';

export const STATUS_FORMAT_VERSION = 1;

export function isPairQuery(query: string): boolean {
  return /→|->|>/.test(query);
}

export function readHistory(store: AlertStore, query: string, limit = 20): Promise<HistoryEntry[]> {
  return isPairQuery(query)
    ? store.listHistory({ matches: (entry) => entry.pairs.some((pair) => matchesPair(query, pair)), limit })
    : store.listHistory({ policy: query, limit });
}

export async function readStatus(store: AlertStore): Promise<{ formatVersion: number; pairs: PairStatus[] }> {
  const rows = await store.listStatus();
  const pairs = rows.map((row) => row.value).sort((a, b) => a.policy.localeCompare(b.policy) || pairName(a).localeCompare(pairName(b)));
  return { formatVersion: STATUS_FORMAT_VERSION, pairs };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function renderStatusTable(pairs: PairStatus[]): string {
  if (pairs.length === 0) return 'No status recorded yet: the timer Function writes it after each tick.';
  return table(
    ['POLICY', 'PAIR', 'READY', 'DRIFTED', 'DEGRADED', 'REASON', 'LAST RECONCILE', 'GENERATION', 'REVISION'],
    pairs.map((status) => {
      const ready = conditionOf(status, 'Ready');
      return [
        status.policy,
        pairName(status),
        ready?.status ?? '?',
        conditionOf(status, 'Drifted')?.status ?? '?',
        conditionOf(status, 'Degraded')?.status ?? '?',
        ready?.reason ?? '',
        status.lastReconcileTime,
        status.observedGeneration.slice(0, 12),
        status.policyRevision?.slice(0, 12) ?? '-',
      ];
    }),
  );
}

export function renderHistoryText(entries: HistoryEntry[]): string {
  if (entries.length === 0) return 'No drift recorded.';
  return entries
    .map((entry) => {
      const pairs = entry.pairs.length > 0 ? ` [${entry.pairs.map(pairName).join(', ')}]` : '';
      const head = `${entry.at}  ${entry.kind.padEnd(8)}  ${entry.policy}${pairs}  ${shortName(entry.resourceId)} ${entry.field}`;
      if (entry.kind === 'resolved') return `${head}\n    ${entry.action === 'repaired' ? 'repaired by Lockdown' : 'no longer differs'}`;
      return `${head}\n    was ${formatValue(entry.actual)}, policy wants ${formatValue(entry.expected)}; ${entry.action}${entry.reason ? ` (${entry.reason})` : ''}\n    ${describeActor(entry.actor)}`;
    })
    .join('\n');
}
