/** Plans as JSON: the machine-readable form (stable field names, format version). */
import type { ApplyReport } from '../apply';
import type { Plan } from '../plan';

export const PLAN_FORMAT_VERSION = 1;

export function renderPlanJson(plan: Plan, report?: ApplyReport): string {
  return JSON.stringify({ formatVersion: PLAN_FORMAT_VERSION, ...plan, ...(report ? { apply: report } : {}) }, null, 2);
}
