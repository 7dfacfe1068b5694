/** One line per action for people, written from the action's data (the diff writes none). */
import type { FieldChange, PlannedAction } from '../plan';
import { shortName } from '../resourceId';

export function actionSummary(action: PlannedAction): string {
  const name = shortName(action.resourceId);
  switch (action.kind) {
    case 'subnet.enableAppServiceAccess':
      return `subnet ${name}: ${action.changes.map((change) => `add ${String(change.after)}`).join(', ')}; every other field kept`;
    case 'caller.connectToSubnet': {
      const change = action.changes[0];
      return change?.before
        ? `caller ${name}: move VNet integration from ${shortName(String(change.before))} to ${shortName(String(change.after))}`
        : `caller ${name}: join subnet ${shortName(String(change?.after ?? ''))} (regional VNet integration)`;
    }
    case 'callee.admitCallers':
      return `callee ${name}: allow ${action.changes.length} new source(s) before callers' paths change; nothing removed yet`;
    case 'callee.restrictAccess':
      return `callee ${name}: ${calleeChanges(action.changes)}`;
    case 'callee.enablePublicAccess':
      return `callee ${name}: enable public network access (restricted by the rules above)`;
  }
}

function calleeChanges(changes: FieldChange[]): string {
  const added = changes.filter((change) => change.symbol === '+').length;
  const removed = changes.filter((change) => change.symbol === '-').length;
  const parts: string[] = [];
  if (added) parts.push(`add ${added} rule(s)`);
  if (removed) parts.push(`remove ${removed} rule(s)`);
  for (const change of changes.filter((c) => c.symbol === '~')) parts.push(`${change.field} ${String(change.before)} → ${String(change.after)}`);
  return parts.join(', ');
}
