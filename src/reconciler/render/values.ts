/** How plan values print, shared by the text and Markdown renderers. */
import { describeRule } from '../accessRules';
import type { AccessRule } from '../observed';
import type { FieldChange, PlannedAction } from '../plan';
import type { LoadedPolicies } from '../policy/types';

/** What the renderers need to know about the policy files behind a plan. */
export type PolicyFiles = Pick<LoadedPolicies, 'invalidFiles' | 'problems'>;

export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '(none)';
  if (typeof value === 'object' && value !== null && ('action' in value || 'priority' in value)) return describeRule(value as AccessRule);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function formatChange(change: FieldChange): string {
  if (change.symbol === '+') return `+ ${change.field}: ${formatValue(change.after)}`;
  if (change.symbol === '-') return `- ${change.field}: ${formatValue(change.before)}`;
  return `~ ${change.field}: ${formatValue(change.before)} → ${formatValue(change.after)}`;
}

export const VERB_SYMBOL: Record<PlannedAction['verb'], string> = { create: '+', update: '~', delete: '-' };

export function enforcementNote(action: PlannedAction): string {
  return action.enforcement.apply ? '' : ` (not applied: ${action.enforcement.reason}: ${action.enforcement.detail})`;
}

export function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
