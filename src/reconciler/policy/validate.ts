/**
 * Validation in layers, Cloud Custodian style:
 *   1. structure, by walking the declarative schema (schemaWalk.ts): types, required and
 *      unknown fields, enums, patterns, lengths; then each field's format (ARM ids, CIDRs,
 *      instants), which also gives the canonical value;
 *   2. semantics within one policy (duplicates, caller = callee), once its structure holds,
 *      on the policy built from it (buildPolicy.ts); here;
 *   3. across policies (duplicate names, contradictions), once each policy holds on its own
 *      (crossPolicy.ts).
 * Every problem carries file, line, column, path and, where one exists, a hint.
 */

import { resourceName } from '../resourceId';
import type { ParsedDocument, Position, YamlMapping, YamlNode } from './parse';
import { buildPolicy } from './buildPolicy';
import { SUPPORTED_API_VERSIONS, policySchema } from './schema';
import type { ObjectField } from './schema';
import { checkField, checkObject, entry, problem, text } from './schemaWalk';
import type { Walk } from './schemaWalk';
import type { LockdownPolicy, PolicyProblem } from './types';

/** The generation is part of what validation yields: a policy's hash of its meaning. */
export { policyGeneration } from './buildPolicy';

/** The outcome of validating one YAML document on its own (layers 1 and 2). */
export interface DocumentValidation {
  file: string;
  problems: PolicyProblem[];
  /** Present exactly when the document has no error. */
  policy?: LockdownPolicy;
  /** metadata.name when it is well formed, even if the rest is not: names must be unique regardless. */
  name?: { value: string; position: Position };
}

/** Validates one parsed document and, when it holds, builds its canonical policy. */
export function validateDocument(file: string, document: ParsedDocument): DocumentValidation {
  const walk: Walk = { file, problems: [...document.problems], canonical: new Map() };
  const root = document.root;
  if (!root) return { file, problems: walk.problems };

  const nameNode = (() => {
    const metadata = entry(root, 'metadata');
    return metadata?.kind === 'mapping' ? entry(metadata, 'name') : undefined;
  })();
  const nameField = (policySchema.fields.metadata as ObjectField).fields.name;
  const nameIsValid = nameNode !== undefined && checkField({ ...walk, problems: [] }, nameNode, nameField, 'metadata.name');
  const name = nameIsValid ? { value: text(nameNode)!, position: nameNode!.position } : undefined;
  const finish = (policy?: LockdownPolicy): DocumentValidation => {
    if (!policy && !walk.problems.some((p) => p.severity === 'error')) {
      // Fail closed: a document that yields no policy must say why, or its file would pass as valid.
      problem(walk, root.position, '', 'this document was not understood as a policy', 'check it against the policy reference; this is a validator gap, please report it');
    }
    const problems = name ? walk.problems.map((p) => ({ ...p, policy: name.value })) : walk.problems;
    return { file, problems, ...(policy ? { policy } : {}), ...(name ? { name } : {}) };
  };

  // Another version's fields mean something else: report the version and nothing more.
  const apiVersion = entry(root, 'apiVersion');
  const version = text(apiVersion);
  if (apiVersion && version !== undefined && !SUPPORTED_API_VERSIONS.includes(version)) {
    checkField(walk, apiVersion, policySchema.fields.apiVersion, 'apiVersion');
    return finish();
  }

  const structureHolds = checkObject(walk, root, policySchema, '');
  if (!structureHolds || walk.problems.some((p) => p.severity === 'error')) return finish();

  const policy = buildPolicy(file, document, root, walk);
  checkPolicy(walk, policy, root);
  return finish(walk.problems.some((p) => p.severity === 'error') ? undefined : policy);
}

function at(position: Position): string {
  return `line ${position.line}, column ${position.column}`;
}

/** Semantic checks within one structurally valid policy. */
function checkPolicy(walk: Walk, policy: LockdownPolicy, root: YamlMapping): void {
  const spec = entry(root, 'spec') as YamlMapping;
  const caseHint = 'resource ids are compared case-insensitively';

  const callerAt = new Map<string, Position>();
  policy.callers.forEach((caller, index) => {
    const first = callerAt.get(caller.id);
    if (first) {
      problem(
        walk,
        caller.source,
        `spec.callers[${index}]`,
        `caller '${resourceName(caller.displayId)}' is listed twice (first at ${at(first)})`,
        `remove one; ${caseHint}`,
      );
    } else {
      callerAt.set(caller.id, caller.source);
    }
  });

  const calleeAt = new Map<string, Position>();
  policy.callees.forEach((callee, index) => {
    const first = calleeAt.get(callee.id);
    if (first) {
      problem(
        walk,
        callee.source,
        `spec.callees[${index}].id`,
        `callee '${resourceName(callee.displayId)}' is listed twice (first at ${at(first)})`,
        `remove one; ${caseHint}`,
      );
    } else {
      calleeAt.set(callee.id, callee.source);
    }
    if (callerAt.has(callee.id)) {
      problem(
        walk,
        callee.source,
        `spec.callees[${index}].id`,
        `'${resourceName(callee.displayId)}' is both a caller and a callee of this policy`,
        'an app cannot be locked to its own traffic: remove it from one list (it may be a callee in another policy)',
      );
    }
  });

  const calleeItems = (entry(spec, 'callees') as { items: YamlNode[] }).items;
  policy.callees.forEach((callee, index) => {
    if (callee.slots?.kind !== 'none') return;
    const slotsNode = entry(calleeItems[index] as YamlMapping, 'slots')!;
    walk.problems.push({
      severity: 'warning',
      file: walk.file,
      line: slotsNode.position.line,
      column: slotsNode.position.column,
      path: `spec.callees[${index}].slots`,
      message: `the deployment slots of callee '${resourceName(callee.displayId)}' are not locked: each slot answers on its own host name, open unless locked`,
      hint: 'remove `slots: none` (every slot is then locked like the callee), or list the slots to lock',
    });
  });

  const checkRuleNames = (listNode: YamlNode | undefined, path: string) => {
    if (listNode?.kind !== 'sequence') return;
    const seen = new Map<string, Position>();
    listNode.items.forEach((item, index) => {
      const nameNode = entry(item as YamlMapping, 'name')!;
      const name = text(nameNode)!.toLowerCase();
      const first = seen.get(name);
      if (first) {
        problem(
          walk,
          nameNode.position,
          `${path}[${index}].name`,
          `access rule name '${text(nameNode)}' is used twice (first at ${at(first)})`,
          'give each rule its own name (names are compared case-insensitively)',
        );
      } else {
        seen.set(name, nameNode.position);
      }
    });
  };
  checkRuleNames(entry(spec, 'alsoAllow'), 'spec.alsoAllow');
  const calleeNodes = entry(spec, 'callees') as { items: YamlNode[] };
  calleeNodes.items.forEach((calleeNode, index) => {
    const scm = entry(calleeNode as YamlMapping, 'scm');
    if (scm?.kind === 'mapping') checkRuleNames(entry(scm, 'allow'), `spec.callees[${index}].scm.allow`);
  });
}

