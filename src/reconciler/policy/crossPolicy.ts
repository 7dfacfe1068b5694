/**
 * Layer 3 of validation: across policies (duplicate names, contradictions), once each
 * policy holds on its own.
 */

import { resourceName } from '../resourceId';
import { compare, stableJson } from './buildPolicy';
import type { CalleeSpec, CallerSpec, LockdownPolicy, PolicyProblem, ScmSpec, SourceLocation } from './types';
import type { DocumentValidation } from './validate';

function describeScm(scm: ScmSpec): string {
  if (scm.kind !== 'rules') return `\`scm: ${scm.kind}\``;
  return `\`scm: { allow: [${scm.allow.map((rule) => rule.name).join(', ')}] }\``;
}

function scmKey(scm: ScmSpec): string {
  if (scm.kind !== 'rules') return scm.kind;
  return stableJson(
    [...scm.allow].map((rule) => ({ ...rule, name: rule.name.toLowerCase() })).sort((a, b) => compare(a.name, b.name)),
  );
}

function subnetName(id: string): string {
  const parts = id.split('/');
  return `${parts[parts.length - 3]}/${parts[parts.length - 1]}`;
}

function elsewhere(policy: LockdownPolicy, source: SourceLocation): string {
  return `policy '${policy.name}' (${source.file}:${source.line}:${source.column})`;
}

/** Names used by more than one document: an error at each use. */
export function duplicateNameProblems(validations: DocumentValidation[]): PolicyProblem[] {
  const byName = new Map<string, DocumentValidation[]>();
  for (const validation of validations) {
    if (!validation.name) continue;
    const list = byName.get(validation.name.value) ?? [];
    list.push(validation);
    byName.set(validation.name.value, list);
  }
  const problems: PolicyProblem[] = [];
  for (const [name, uses] of byName) {
    if (uses.length < 2) continue;
    for (const use of uses) {
      const others = uses
        .filter((other) => other !== use)
        .map((other) => `${other.file}:${other.name!.position.line}:${other.name!.position.column}`);
      problems.push({
        severity: 'error',
        file: use.file,
        line: use.name!.position.line,
        column: use.name!.position.column,
        path: 'metadata.name',
        message: `policy name '${name}' is also used at ${others.join(', ')}`,
        hint: 'names identify policies in plans and reports: give each policy its own name',
        policy: name,
      });
    }
  }
  return problems;
}

/**
 * Policies that cannot all be enforced: a caller placed in two subnets, or a callee whose
 * policies disagree on `exclusive` or on its SCM site. An error on every policy involved.
 */
export function contradictionProblems(policies: LockdownPolicy[]): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const report = (policy: LockdownPolicy, source: SourceLocation, path: string, message: string, hint: string) =>
    problems.push({ severity: 'error', ...source, path, message, hint, policy: policy.name });

  interface CallerUse {
    policy: LockdownPolicy;
    index: number;
    caller: CallerSpec;
  }
  const callerUses = new Map<string, CallerUse[]>();
  interface CalleeUse {
    policy: LockdownPolicy;
    index: number;
    callee: CalleeSpec;
  }
  const calleeUses = new Map<string, CalleeUse[]>();
  for (const policy of policies) {
    policy.callers.forEach((caller, index) => {
      callerUses.set(caller.id, [...(callerUses.get(caller.id) ?? []), { policy, index, caller }]);
    });
    policy.callees.forEach((callee, index) => {
      calleeUses.set(callee.id, [...(calleeUses.get(callee.id) ?? []), { policy, index, callee }]);
    });
  }

  for (const uses of callerUses.values()) {
    if (new Set(uses.map((use) => use.policy.subnetId)).size < 2) continue;
    for (const use of uses) {
      const others = uses
        .filter((other) => other.policy.subnetId !== use.policy.subnetId)
        .map((other) => `'${subnetName(other.policy.subnetDisplayId)}' by ${elsewhere(other.policy, other.caller.source)}`);
      report(
        use.policy,
        use.caller.source,
        `spec.callers[${use.index}]`,
        `caller '${resourceName(use.caller.displayId)}' is placed in subnet '${subnetName(use.policy.subnetDisplayId)}' here ` +
          `but in ${others.join(' and ')}`,
        'an app integrates with exactly one subnet: give every policy that lists this caller the same subnet',
      );
    }
  }

  for (const uses of calleeUses.values()) {
    if (uses.length < 2) continue;
    const exclusiveDisagrees = new Set(uses.map((use) => use.policy.exclusive)).size > 1;
    const scmDisagrees = new Set(uses.map((use) => scmKey(use.callee.scm))).size > 1;
    for (const use of uses) {
      const name = resourceName(use.callee.displayId);
      const path = `spec.callees[${use.index}].id`;
      if (exclusiveDisagrees) {
        const others = uses
          .filter((other) => other.policy.exclusive !== use.policy.exclusive)
          .map((other) => elsewhere(other.policy, other.callee.source));
        report(
          use.policy,
          use.callee.source,
          path,
          `callee '${name}' is ${use.policy.exclusive ? 'exclusive' : 'not exclusive'} here but ` +
            `${use.policy.exclusive ? 'not exclusive' : 'exclusive'} in ${others.join(' and ')}`,
          'an exclusive policy removes the rules a non-exclusive one keeps: give every policy that lists this callee the same `exclusive`',
        );
      }
      if (scmDisagrees) {
        const others = uses
          .filter((other) => scmKey(other.callee.scm) !== scmKey(use.callee.scm))
          .map((other) => `${describeScm(other.callee.scm)} in ${elsewhere(other.policy, other.callee.source)}`);
        report(
          use.policy,
          use.callee.source,
          path,
          `callee '${name}' has ${describeScm(use.callee.scm)} here but ${others.join(' and ')}`,
          'a callee has one SCM site: give it the same scm setting in every policy that lists it',
        );
      }
    }
  }
  return problems;
}
