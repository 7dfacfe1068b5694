/** Renders policy problems for humans: one line each, like a compiler. */

import { printablePath } from './quote';
import type { PolicyProblem } from './types';

/** `policies/a.yaml:12:7 error spec.callees[1].id: <message> (hint: ...)` */
export function formatProblem(problem: PolicyProblem): string {
  const file = printablePath(problem.file);
  const where = problem.line > 0 ? `${file}:${problem.line}:${problem.column}` : file;
  const path = problem.path ? ` ${problem.path}` : '';
  const hint = problem.hint ? ` (hint: ${problem.hint})` : '';
  return `${where} ${problem.severity}${path}: ${problem.message}${hint}`;
}

export function formatProblems(problems: readonly PolicyProblem[]): string {
  return problems.map(formatProblem).join('\n');
}
