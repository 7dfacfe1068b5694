/** Plans as JSON: the machine-readable form (stable field names, format version). */
import type { ApplyReport } from '../apply';
import type { Plan } from '../plan';
import { actionSummary } from './summary';
import type { PolicyFiles } from './values';

export const PLAN_FORMAT_VERSION = 1;

export function renderPlanJson(plan: Plan, report?: ApplyReport, files?: PolicyFiles): string {
  return JSON.stringify(
    {
      formatVersion: PLAN_FORMAT_VERSION,
      ...(files ? { invalidPolicyFiles: files.invalidFiles, policyProblems: files.problems } : {}),
      ...plan,
      actions: plan.actions.map((action) => ({ ...action, summary: actionSummary(action) })),
      ...(report ? { apply: report } : {}),
    },
    null,
    2,
  );
}
