/** Plans as Markdown, for pull-request comments. */
import type { Plan } from '../plan';
import { actionSummary } from './summary';
import { planSummaryLine } from './text';
import { formatProblem } from '../policy/format';
import { enforcementNote, formatChange, VERB_SYMBOL, type PolicyFiles } from './values';

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderPlanMarkdown(plan: Plan, files?: PolicyFiles): string {
  const lines: string[] = ['### Lockdown plan', '', `**${planSummaryLine(plan, files)}**`, ''];
  const problems = files?.problems ?? [];
  if (problems.length > 0) {
    lines.push('Policy problems:', '', '```', ...problems.map(formatProblem), '```', '');
  }
  if (plan.actions.length > 0) {
    lines.push('| | change | policies |', '|---|---|---|');
    for (const action of plan.actions) {
      lines.push(`| \`${VERB_SYMBOL[action.verb]}\` | ${escapeCell(actionSummary(action) + enforcementNote(action))} | ${escapeCell(action.policies.join(', '))} |`);
    }
    lines.push('', '<details><summary>Details</summary>', '', '```diff');
    for (const action of plan.actions) {
      lines.push(`${VERB_SYMBOL[action.verb] === '~' ? '!' : VERB_SYMBOL[action.verb]} ${action.resourceId}`);
      for (const change of action.changes) lines.push(formatChange(change));
    }
    lines.push('```', '', '</details>', '');
  }
  if (plan.conditions.length > 0) {
    lines.push('| severity | reason | policy | message |', '|---|---|---|---|');
    for (const condition of plan.conditions) {
      lines.push(`| ${condition.severity} | ${condition.reason} | ${escapeCell(condition.policy)} | ${escapeCell(condition.message)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
