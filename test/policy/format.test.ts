import { formatProblem } from '../../src/reconciler/policy/format';
import type { PolicyProblem } from '../../src/reconciler/policy/types';

describe('formatting a policy problem', () => {
  const problem: PolicyProblem = {
    severity: 'error',
    file: 'policies/a.yaml',
    line: 12,
    column: 7,
    path: 'spec.callees[1].id',
    message: "the subscription id 'prod' is not a GUID",
    hint: 'a subscription id looks like 11111111-1111-1111-1111-111111111111',
    policy: 'orders-to-payments',
  };

  it('reads like a compiler message, with the hint', () => {
    expect(formatProblem(problem)).toBe(
      "policies/a.yaml:12:7 error spec.callees[1].id: the subscription id 'prod' is not a GUID " +
        '(hint: a subscription id looks like 11111111-1111-1111-1111-111111111111)',
    );
  });

  it('leaves out what a problem does not have', () => {
    expect(formatProblem({ ...problem, severity: 'warning', path: '', hint: undefined })).toBe(
      "policies/a.yaml:12:7 warning: the subscription id 'prod' is not a GUID",
    );
  });
});
