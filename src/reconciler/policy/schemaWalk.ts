/**
 * Layer 1 of validation: structure, by walking the declarative schema (schema.ts): types,
 * required and unknown fields, enums, patterns, lengths; then each field's format (ARM ids,
 * CIDRs, instants), which also gives the canonical value. Every problem carries file, line,
 * column, path and, where one exists, a hint ("did you mean").
 */

import { checkResourceId } from '../resourceId';
import { checkServiceTag } from '../serviceTags';
import { parseCidr } from './cidr';
import type { Position, YamlMapping, YamlNode } from './parse';
import { escapeText, QUOTED_PREFIX_LENGTH, quoteValue } from './quote';
import { SUBNET_ID, WEB_SITE_ID, WEB_SLOT_ID, fieldNames } from './schema';
import type { ArrayField, Field, FormatName, ObjectField, StringField, UnionField } from './schema';
import type { PolicyProblem, SourceLocation } from './types';

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
// The walk

export interface Walk {
  file: string;
  problems: PolicyProblem[];
  /** Canonical value of every string field that has a format, for the policy builder. */
  canonical: Map<YamlNode, string>;
}

export function problem(walk: Walk, position: Position, path: string, message: string, hint?: string): void {
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
export function checkField(walk: Walk, node: YamlNode, field: Field, path: string): boolean {
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

export function checkObject(walk: Walk, node: YamlNode, field: ObjectField, path: string, keyPosition?: Position): boolean {
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
// Reading the YAML tree

export function entry(node: YamlMapping, key: string): YamlNode | undefined {
  return node.entries.find((candidate) => candidate.key === key)?.value;
}

export function text(node: YamlNode | undefined): string | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}

export function location(file: string, position: Position): SourceLocation {
  return { file, line: position.line, column: position.column };
}

