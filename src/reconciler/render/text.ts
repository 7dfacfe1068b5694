/** Plans and apply reports for terminals: Terraform-style `+ ~ -` lines. */
import type { ApplyReport } from '../apply';
import type { Plan } from '../plan';
import { actionSummary } from './summary';
import { countBy, enforcementNote, formatChange, VERB_SYMBOL, type PolicyFiles } from './values';

export function planSummaryLine(plan: Plan, files?: PolicyFiles): string {
  const invalid = files?.invalidFiles.length ?? 0;
  const unchecked = invalid > 0 ? ` ${invalid} invalid policy file(s) were skipped: the pairs they declare were not checked, and nothing they name is written.` : '';
  return planOnlySummary(plan) + unchecked;
}

function planOnlySummary(plan: Plan): string {
  const errors = plan.conditions.filter((condition) => condition.severity === 'error').length;
  if (plan.actions.length === 0 && errors > 0) {
    return `No changes planned, but ${errors} error condition(s): the pairs they name were not checked or cannot be enforced.`;
  }
  if (plan.actions.length === 0) return 'No changes. Every declared pair matches its policy.';
  const applied = plan.actions.filter((action) => action.enforcement.apply).length;
  const notApplied = countBy(
    plan.actions.filter((action) => !action.enforcement.apply),
    (action) => (action.enforcement.apply ? '' : action.enforcement.reason),
  );
  const notes = Object.entries(notApplied).map(([reason, count]) => `${count} ${reason}`);
  return `Plan: ${plan.actions.length} change(s), ${applied} to apply${notes.length ? `, not applied: ${notes.join(', ')}` : ''}.`;
}

export function renderPlanText(plan: Plan, files?: PolicyFiles): string {
  const lines: string[] = [];
  for (const action of plan.actions) {
    lines.push(`${VERB_SYMBOL[action.verb]} ${actionSummary(action)}  [${action.policies.join(', ')}]${enforcementNote(action)}`);
    for (const change of action.changes) lines.push(`    ${formatChange(change)}`);
    if (action.removedRules?.length) lines.push(`    (removed rules are recorded in full in the JSON plan and the apply log)`);
  }
  if (plan.conditions.length > 0) {
    if (lines.length) lines.push('');
    lines.push('Conditions:');
    for (const condition of plan.conditions) lines.push(`  ${condition.severity.padEnd(7)} ${condition.reason} [${condition.policy}]: ${condition.message}`);
  }
  if (lines.length) lines.push('');
  lines.push(planSummaryLine(plan, files));
  return lines.join('\n');
}

export function renderApplyText(report: ApplyReport): string {
  const lines = report.outcomes.map(
    (outcome) => `${outcome.outcome.padEnd(9)} ${outcome.kind} ${outcome.resourceId}${outcome.reason ? `: ${outcome.reason}` : ''}`,
  );
  const counts = countBy(report.outcomes, (outcome) => outcome.outcome);
  lines.push(
    `Apply: ${Object.entries(counts)
      .map(([outcome, count]) => `${count} ${outcome}`)
      .join(', ') || 'nothing to do'}${report.pending.length ? `; ${report.pending.length} pending for the next run` : ''}.`,
  );
  return lines.join('\n');
}
