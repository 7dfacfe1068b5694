/** Renders policy problems for humans: one line each, like a compiler. */

import type { PolicyProblem } from './types';

/** `policies/a.yaml:12:7 error spec.callees[1].id: <message> (hint: ...)` */
export function formatProblem(problem: PolicyProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  const path = problem.path ? ` ${problem.path}` : '';
  const hint = problem.hint ? ` (hint: ${problem.hint})` : '';
  return `${where} ${problem.severity}${path}: ${problem.message}${hint}`;
}

export function formatProblems(problems: readonly PolicyProblem[]): string {
  return problems.map(formatProblem).join('\n');
}
