/**
 * Validation in layers, Cloud Custodian style:
 *   1. structure, by walking the declarative schema (schema.ts): types, required and
 *      unknown fields, enums, patterns, lengths; then each field's format (ARM ids, CIDRs,
 *      instants), which also gives the canonical value;
 *   2. semantics within one policy (duplicates, caller = callee), once its structure holds;
 *   3. across policies (duplicate names, contradictions), once each policy holds on its own.
 * Every problem carries file, line, column, path and, where one exists, a hint.
 */

import { createHash } from 'node:crypto';
import { checkServiceTag } from '../serviceTags';
import { parseCidr } from './cidr';
import type { ParsedDocument, Position, YamlMapping, YamlNode, YamlScalar } from './parse';
import { escapeText, QUOTED_PREFIX_LENGTH, quoteValue } from './quote';
import { checkResourceId, resourceName } from './resourceId';
import { SUBNET_ID, SUPPORTED_API_VERSIONS, WEB_SITE_ID, WEB_SLOT_ID, fieldNames, policySchema } from './schema';
import type { ArrayField, Field, FormatName, ObjectField, StringField, UnionField } from './schema';
import type {
  CalleeSpec,
  CallerSpec,
  ExtraAllow,
  LockdownPolicy,
  PolicyMode,
  PolicyProblem,
  ScmSpec,
  SourceLocation,
  Suspension, SlotSelection,
} from './types';

/** The outcome of validating one YAML document on its own (layers 1 and 2). */
export interface DocumentValidation {
  file: string;
  problems: PolicyProblem[];
  /** Present exactly when the document has no error. */
  policy?: LockdownPolicy;
  /** metadata.name when it is well formed, even if the rest is not: names must be unique regardless. */
  name?: { value: string; position: Position };
}

// ---------------------------------------------------------------------------------------
// Formats

type FormatCheck = { ok: true; canonical: string; warning?: string } | { ok: false; message: string; hint?: string };

const FORMAT_CHECKERS: Readonly<Record<FormatName, (text: string) => FormatCheck>> = {
  webSiteId: (text) => checkResourceId(text, WEB_SITE_ID),
  webSiteOrSlotId: (text) => (/\/slots\/[^/]*$/i.test(text) ? checkResourceId(text, WEB_SLOT_ID) : checkResourceId(text, WEB_SITE_ID)),
  subnetId: (text) => checkResourceId(text, SUBNET_ID),
  cidr: (text) => {
    const result = parseCidr(text);
    if (!result.ok) return result;
    if (result.prefixLength === 0) return { ok: true, canonical: result.canonical, warning: `${result.canonical} admits every IPv${result.family} address` };
    const broad = result.family === 4 ? result.prefixLength < 8 : result.prefixLength < 16 || /^::ffff:0:0\/9[0-6]$|^::\/9[0-6]$/i.test(result.canonical);
    return broad
      ? { ok: true, canonical: result.canonical, warning: `${result.canonical} admits a very large range of addresses; is that intended?` }
      : { ok: true, canonical: result.canonical };
  },
  serviceTag: (text) => {
    if (!/^[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*$/.test(text)) return { ok: false, message: `invalid serviceTag '${text}'`, hint: 'use an Azure service tag such as AzureFrontDoor.Backend' };
    const known = checkServiceTag(text);
    if (!known.known) {
      return { ok: false, message: `unknown service tag '${text}'`, hint: known.suggestion ? `did you mean ${known.suggestion}?` : 'use a tag from the Azure service tags list, e.g. AzureFrontDoor.Backend or AppService.WestEurope' };
    }
    // These tags cover the whole internet, or every Azure customer's addresses, not just yours.
    if (/^(internet|azurecloud)(\.|$)/i.test(text)) {
      return { ok: true, canonical: text, warning: `service tag ${text} admits ${/^internet/i.test(text) ? 'the whole internet' : "every Azure customer's addresses, not only yours"}` };
    }
    return { ok: true, canonical: text };
  },
  instant: checkInstant,
};

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

function checkInstant(text: string): FormatCheck {
  const example = 'e.g. 2026-12-01T00:00:00Z';
  const match = INSTANT.exec(text);
  if (!match) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
      return { ok: false, message: `${quoteValue(text)} is a date, not an instant`, hint: `write ${text}T00:00:00Z` };
    }
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) {
      return { ok: false, message: `${quoteValue(text)} has no time zone`, hint: `append Z for UTC: ${text}Z` };
    }
    return { ok: false, message: `${quoteValue(text)} is not an ISO-8601 instant`, hint: example };
  }
  const [, year, month, day, hour, minute, second = '0', , zone] = match;
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  const zoneValid = zone === 'Z' || (Number(zone.slice(1, 3)) <= 23 && Number(zone.slice(4, 6)) <= 59);
  if (
    Number(month) < 1 ||
    Number(month) > 12 ||
    Number(day) < 1 ||
    Number(day) > daysInMonth ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59 ||
    !zoneValid
  ) {
    return { ok: false, message: `${quoteValue(text)} is not a valid date and time`, hint: example };
  }
  return { ok: true, canonical: new Date(text).toISOString().replace('.000Z', 'Z') };
}

// ---------------------------------------------------------------------------------------
// Layer 1: structure

interface Walk {
  file: string;
  problems: PolicyProblem[];
  /** Canonical value of every string field that has a format, for the policy builder. */
  canonical: Map<YamlNode, string>;
}

function problem(walk: Walk, position: Position, path: string, message: string, hint?: string): void {
  walk.problems.push({
    severity: 'error',
    file: walk.file,
    line: position.line,
    column: position.column,
    path,
    message,
    ...(hint ? { hint } : {}),
  });
}

function describe(node: YamlNode): string {
  if (node.kind === 'mapping') return 'a mapping';
  if (node.kind === 'sequence') return 'a list';
  if (node.value === null) return 'nothing';
  if (typeof node.value === 'string') return `the string ${quoteValue(node.value)}`;
  if (typeof node.value === 'number') return `the number ${escapeText(node.source || String(node.value), QUOTED_PREFIX_LENGTH)}`;
  return String(node.value);
}

function where(path: string): string {
  return path ? `in ${path}` : 'at the top level';
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Checks `node` against `field`; returns whether it (and everything below it) is valid. */
function checkField(walk: Walk, node: YamlNode, field: Field, path: string): boolean {
  switch (field.type) {
    case 'string':
      return checkString(walk, node, field, path);
    case 'boolean':
      if (node.kind === 'scalar' && typeof node.value === 'boolean') return true;
      problem(
        walk,
        node.position,
        path,
        `expected true or false, got ${describe(node)}`,
        node.kind === 'scalar' && typeof node.value === 'string' && /^(yes|no|on|off|y|n)$/i.test(node.value)
          ? 'YAML 1.2 reads yes/no/on/off as strings: write true or false'
          : undefined,
      );
      return false;
    case 'array':
      return checkArray(walk, node, field, path);
    case 'object':
      return checkObject(walk, node, field, path);
    case 'union':
      return checkUnion(walk, node, field, path);
  }
}

function checkString(walk: Walk, node: YamlNode, field: StringField, path: string): boolean {
  if (node.kind !== 'scalar' || typeof node.value !== 'string') {
    const quotable = node.kind === 'scalar' && node.value !== null;
    problem(
      walk,
      node.position,
      path,
      `expected ${field.enum ? `one of ${field.enum.join(', ')}` : 'a string'}, got ${describe(node)}`,
      quotable ? 'put the value in double quotes' : undefined,
    );
    return false;
  }
  const value = node.value;
  if (field.enum && !field.enum.includes(value)) {
    const suggestion = didYouMean(value, field.enum);
    const isVersion = path === 'apiVersion';
    problem(
      walk,
      node.position,
      path,
      isVersion
        ? `unsupported apiVersion ${quoteValue(value)}; supported: ${field.enum.join(', ')}`
        : `invalid value ${quoteValue(value)}; expected one of: ${field.enum.join(', ')}`,
      suggestion ? `did you mean '${suggestion}'?` : undefined,
    );
    return false;
  }
  if (field.maxLength !== undefined && [...value].length > field.maxLength) {
    problem(
      walk,
      node.position,
      path,
      `${quoteValue(value)} is ${[...value].length} characters long; at most ${field.maxLength} are allowed`,
      field.maxLengthHint,
    );
    return false;
  }
  if (field.pattern && !new RegExp(field.pattern).test(value)) {
    const label = path.slice(path.lastIndexOf('.') + 1).replace(/\[\d+\]$/, '');
    problem(walk, node.position, path, `invalid ${label} ${quoteValue(value)}`, field.patternHint && `use ${field.patternHint}`);
    return false;
  }
  if (field.format) {
    const result = FORMAT_CHECKERS[field.format](value);
    if (!result.ok) {
      problem(walk, node.position, path, result.message, result.hint);
      return false;
    }
    walk.canonical.set(node, result.canonical);
    if (result.warning) {
      walk.problems.push({
        severity: 'warning',
        file: walk.file,
        line: node.position.line,
        column: node.position.column,
        path,
        message: result.warning,
        hint: 'the callee is then open to all of them; narrow the range if that is not intended',
      });
    }
  }
  return true;
}

function checkArray(walk: Walk, node: YamlNode, field: ArrayField, path: string): boolean {
  if (node.kind !== 'sequence') {
    problem(
      walk,
      node.position,
      path,
      `expected a list, got ${describe(node)}`,
      node.kind === 'scalar' && node.value !== null ? 'write it as a list item: on its own line, after "- "' : undefined,
    );
    return false;
  }
  if (field.minItems !== undefined && node.items.length < field.minItems) {
    problem(
      walk,
      node.position,
      path,
      `the list is empty; at least ${field.minItems} item${field.minItems === 1 ? '' : 's'} required`,
      field.minItemsHint,
    );
    return false;
  }
  let valid = true;
  node.items.forEach((item, index) => {
    valid = checkField(walk, item, field.items, `${path}[${index}]`) && valid;
  });
  return valid;
}

function checkObject(walk: Walk, node: YamlNode, field: ObjectField, path: string, keyPosition?: Position): boolean {
  if (node.kind !== 'mapping') {
    problem(walk, node.position, path, `expected a mapping, got ${describe(node)}`, mappingHint(path, field));
    return false;
  }
  const valid = fieldNames(field);
  let ok = true;
  // A misspelt required field is one mistake: report the unknown name, not also the missing one.
  const misspelt = new Set<string>();
  for (const entry of node.entries) {
    const childPath = join(path, entry.key);
    // Own keys only: 'constructor' or '__proto__' must be unknown fields, not Object.prototype's.
    const child = Object.hasOwn(field.fields, entry.key) ? field.fields[entry.key] : undefined;
    if (!child) {
      const suggestion = didYouMean(entry.key, valid);
      if (suggestion) misspelt.add(suggestion);
      const hint =
        entry.key === '<<'
          ? 'merge keys (<<) are not supported: write the fields out'
          : suggestion
            ? `did you mean '${suggestion}'?`
            : undefined;
      problem(
        walk,
        entry.keyPosition,
        childPath,
        `unknown field ${quoteValue(entry.key)} ${where(path)}; valid fields: ${valid.join(', ')}`,
        hint,
      );
      ok = false;
      continue;
    }
    if (child.type === 'object' && entry.value.kind === 'mapping') {
      ok = checkObject(walk, entry.value, child, childPath, entry.keyPosition) && ok;
    } else {
      ok = checkField(walk, entry.value, child, childPath) && ok;
    }
  }
  const present = new Set(node.entries.map((entry) => entry.key));
  for (const [name, child] of Object.entries(field.fields)) {
    if (child.required && !present.has(name) && !misspelt.has(name)) {
      problem(
        walk,
        keyPosition ?? node.position,
        join(path, name),
        `missing required field '${name}' ${where(path)}`,
        child.type === 'string' && child.enum?.length === 1 ? `add \`${name}: ${child.enum[0]}\`` : child.description,
      );
      ok = false;
    }
  }
  if (field.exactlyOneOf) {
    const given = node.entries.filter((entry) => field.exactlyOneOf!.includes(entry.key));
    if (given.length !== 1) {
      const choices = field.exactlyOneOf.join(' or ');
      problem(
        walk,
        given.length > 1 ? given[1].keyPosition : (keyPosition ?? node.position),
        given.length > 1 ? join(path, given[1].key) : path,
        given.length > 1 ? `set only one of ${choices}, not both` : `set one of ${choices}`,
        given.length > 1 ? 'an access rule matches either an address range or a service tag; split it into two entries' : undefined,
      );
      ok = false;
    }
  }
  return ok;
}

function mappingHint(path: string, field: ObjectField): string | undefined {
  if (path === 'spec.suspend') return 'write `suspend: {}` to suspend until the block is removed, or give `until:` and `reason:`';
  return `fields: ${fieldNames(field).join(', ')}`;
}

function checkUnion(walk: Walk, node: YamlNode, field: UnionField, path: string): boolean {
  if (node.kind === 'mapping' && field.object) return checkObject(walk, node, field.object, path);
  if (node.kind === 'sequence' && field.array) return checkArray(walk, node, field.array, path);
  if (node.kind === 'scalar' && typeof node.value === 'string') return checkString(walk, node, field.string, path);
  const other = field.object ? `a mapping with ${fieldNames(field.object).join(', ')}` : 'a list';
  const choices = `${field.string.enum?.join(', ')} or ${other}`;
  problem(walk, node.position, path, `expected ${choices}, got ${describe(node)}`);
  return false;
}

/** The closest candidate within a small edit distance, case-insensitively. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    const limit = Math.max(1, Math.floor(candidate.length / 3));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

// ---------------------------------------------------------------------------------------
// Layer 2: one policy

function entry(node: YamlMapping, key: string): YamlNode | undefined {
  return node.entries.find((candidate) => candidate.key === key)?.value;
}

function text(node: YamlNode | undefined): string | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}

function location(file: string, position: Position): SourceLocation {
  return { file, line: position.line, column: position.column };
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

function buildPolicy(file: string, document: ParsedDocument, root: YamlMapping, walk: Walk): LockdownPolicy {
  const canonical = (node: YamlNode): string => walk.canonical.get(node) ?? text(node)!;
  const metadata = entry(root, 'metadata') as YamlMapping;
  const spec = entry(root, 'spec') as YamlMapping;

  const extraAllow = (node: YamlNode): ExtraAllow => {
    const rule = node as YamlMapping;
    const ipAddress = entry(rule, 'ipAddress');
    const serviceTag = entry(rule, 'serviceTag');
    return {
      name: text(entry(rule, 'name'))!,
      ...(ipAddress ? { ipAddress: canonical(ipAddress) } : {}),
      ...(serviceTag ? { serviceTag: text(serviceTag)! } : {}),
    };
  };
  const scmOf = (node: YamlNode | undefined): ScmSpec => {
    if (!node) return { kind: 'sameAsMain' };
    if (node.kind === 'mapping') return { kind: 'rules', allow: (entry(node, 'allow') as { items: YamlNode[] }).items.map(extraAllow) };
    return text(node) === 'denyAll' ? { kind: 'denyAll' } : { kind: 'sameAsMain' };
  };

  const suspendNode = entry(spec, 'suspend') as YamlMapping | undefined;
  let suspend: Suspension | undefined;
  if (suspendNode) {
    const until = entry(suspendNode, 'until');
    const reason = text(entry(suspendNode, 'reason'));
    suspend = { ...(until ? { until: canonical(until) } : {}), ...(reason !== undefined ? { reason } : {}) };
  }
  const exclusiveNode = entry(spec, 'exclusive');
  const subnet = entry(spec, 'subnet')!;
  const slotsOf = (node: YamlNode | undefined): SlotSelection => {
    if (!node) return { kind: 'all' };
    if (node.kind === 'sequence') return { kind: 'named', names: [...new Set(node.items.map((item) => text(item)!.toLowerCase()))] };
    return text(node) === 'none' ? { kind: 'none' } : { kind: 'all' };
  };
  const callers = (entry(spec, 'callers') as { items: YamlNode[] }).items.map(
    (node): CallerSpec => ({ id: canonical(node), displayId: text(node)!, source: location(file, node.position) }),
  );
  const callees = (entry(spec, 'callees') as { items: YamlNode[] }).items.map((node): CalleeSpec => {
    const id = entry(node as YamlMapping, 'id')!;
    return {
      id: canonical(id),
      displayId: text(id)!,
      scm: scmOf(entry(node as YamlMapping, 'scm')),
      slots: slotsOf(entry(node as YamlMapping, 'slots')),
      source: location(file, id.position),
    };
  });
  const alsoAllowNode = entry(spec, 'alsoAllow') as { items: YamlNode[] } | undefined;

  const policy: Omit<LockdownPolicy, 'generation'> = {
    name: text(entry(metadata, 'name'))!,
    mode: (text(entry(spec, 'mode')) ?? 'enforce') as PolicyMode,
    exclusive: exclusiveNode ? (exclusiveNode as YamlScalar).value === true : true,
    ...(suspend ? { suspend } : {}),
    subnetId: canonical(subnet),
    subnetDisplayId: text(subnet)!,
    callers,
    callerSlots: text(entry(spec, 'callerSlots')) === 'all' ? 'all' : 'listed',
    callees,
    alsoAllow: alsoAllowNode ? alsoAllowNode.items.map(extraAllow) : [],
    source: location(file, document.position),
  };
  return { ...policy, generation: policyGeneration(policy) };
}

/** Short hash of what the policy means: ids, modes, rules; not names, order or spelling. */
export function policyGeneration(policy: Omit<LockdownPolicy, 'generation'>): string {
  const byName = (a: ExtraAllow, b: ExtraAllow) => compare(a.name.toLowerCase(), b.name.toLowerCase());
  const rules = (allow: ExtraAllow[]) =>
    [...allow].sort(byName).map((rule) => ({ name: rule.name, ipAddress: rule.ipAddress, serviceTag: rule.serviceTag }));
  const spec = {
    mode: policy.mode,
    exclusive: policy.exclusive,
    suspend: policy.suspend ?? null,
    subnet: policy.subnetId,
    callers: policy.callers.map((caller) => caller.id).sort(compare),
    callees: [...policy.callees]
      .sort((a, b) => compare(a.id, b.id))
      .map((callee) => ({
        id: callee.id,
        scm: callee.scm.kind === 'rules' ? { kind: 'rules', allow: rules(callee.scm.allow) } : callee.scm,
        // the default leaves the hash of policies written before slots unchanged
        ...(!callee.slots || callee.slots.kind === 'all' ? {} : { slots: callee.slots.kind === 'named' ? [...callee.slots.names].sort(compare) : 'none' }),
      })),
    alsoAllow: rules(policy.alsoAllow),
    ...(policy.callerSlots === 'all' ? { callerSlots: 'all' } : {}),
  };
  return createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 12);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compare(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
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

// ---------------------------------------------------------------------------------------
// Layer 3: across policies

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
