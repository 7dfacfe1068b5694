/**
 * The access rules Lockdown owns on a callee, and how rules are compared.
 * Ownership is recognised by the description prefix, so people can tell too.
 */
import type { ExtraAllow } from './policy/types';
import type { AccessRule } from './observed';
import { canonicalId, dashedName } from './resourceId';

export const OWNED_RULE_PREFIX = 'lockdown:';
const RULE_NAME_MAX = 32;
const FIRST_SUBNET_PRIORITY = 100;
const FIRST_EXTRA_PRIORITY = 200;
const PRIORITY_STEP = 10;

/** ARM appends this rule on read; it is never stored and never compared. */
export const IMPLICIT_RULE_PRIORITY = 2147483647;

export const OWNED_RULE_NAME_PREFIX = 'ld-';

/** Lockdown's own rules carry both its name prefix and its description prefix. */
export function isOwnedRule(rule: AccessRule): boolean {
  return (rule.name ?? '').startsWith(OWNED_RULE_NAME_PREFIX) && (rule.description ?? '').startsWith(OWNED_RULE_PREFIX);
}

export function isImplicitRule(rule: AccessRule): boolean {
  return rule.priority === IMPLICIT_RULE_PRIORITY && (rule.ipAddress ?? '').toLowerCase() === 'any';
}

function ruleName(base: string): string {
  return `${OWNED_RULE_NAME_PREFIX}${base}`.slice(0, RULE_NAME_MAX);
}

function ownedDescription(policies: string[]): string {
  return `${OWNED_RULE_PREFIX}${[...policies].sort().join(',')}`;
}

export interface SubnetGrant {
  subnetDisplayId: string;
  policies: string[];
}

export interface ExtraGrant {
  allow: ExtraAllow;
  policies: string[];
}

/** Owned rules, in a deterministic order and priority, for the given grants. */
export function ownedRules(subnets: SubnetGrant[], extras: ExtraGrant[]): AccessRule[] {
  const bySubnet = [...subnets].sort((a, b) => canonicalId(a.subnetDisplayId).localeCompare(canonicalId(b.subnetDisplayId)));
  const byName = [...extras].sort((a, b) => a.allow.name.localeCompare(b.allow.name));
  const rules: AccessRule[] = bySubnet.map((grant, index) => {
    const label = dashedName(grant.subnetDisplayId) ?? 'subnet';
    return {
      name: ruleName(label),
      description: ownedDescription(grant.policies),
      action: 'Allow',
      priority: FIRST_SUBNET_PRIORITY + index * PRIORITY_STEP,
      vnetSubnetResourceId: grant.subnetDisplayId,
    };
  });
  byName.forEach((grant, index) => rules.push(extraRule(grant, FIRST_EXTRA_PRIORITY + index * PRIORITY_STEP)));
  return rules;
}

function extraRule(grant: ExtraGrant, priority: number): AccessRule {
  const base: AccessRule = {
    name: ruleName(grant.allow.name),
    description: ownedDescription(grant.policies),
    action: 'Allow',
    priority,
  };
  if (grant.allow.serviceTag) return { ...base, ipAddress: grant.allow.serviceTag, tag: 'ServiceTag' };
  return { ...base, ipAddress: grant.allow.ipAddress };
}

const keys = new WeakMap<AccessRule, string>();

/** The fields that decide what a rule does, in one comparable string (rules are never mutated, so it is kept). */
export function ruleKey(rule: AccessRule): string {
  let key = keys.get(rule);
  if (key === undefined) {
    key = computeRuleKey(rule);
    keys.set(rule, key);
  }
  return key;
}

function computeRuleKey(rule: AccessRule): string {
  return JSON.stringify([
    rule.name ?? '',
    (rule.action ?? 'Allow').toLowerCase(),
    rule.priority ?? 0,
    (rule.ipAddress ?? '').toLowerCase(),
    rule.vnetSubnetResourceId ? canonicalId(rule.vnetSubnetResourceId) : '',
    (rule.tag ?? 'Default').toLowerCase(),
    rule.description ?? '',
    rule.headers ? JSON.stringify(sortedHeaders(rule.headers)) : '',
    rule.subnetMask ?? '',
    rule.vnetTrafficTag ?? 0,
    rule.subnetTrafficTag ?? 0,
  ]);
}

function sortedHeaders(headers: Record<string, string[]>): [string, string[]][] {
  return Object.keys(headers)
    .sort()
    .map((key) => [key.toLowerCase(), [...headers[key]].sort()]);
}

const lower = (text: string | undefined, absent: string): string => (text ?? absent).toLowerCase();

/** Do two rules do the same thing: ruleKey(a) === ruleKey(b), field by field, without building the keys. */
export function sameRule(a: AccessRule, b: AccessRule): boolean {
  if (a === b) return true;
  return (
    (a.name ?? '') === (b.name ?? '') &&
    (a.priority ?? 0) === (b.priority ?? 0) &&
    (a.description ?? '') === (b.description ?? '') &&
    (a.subnetMask ?? '') === (b.subnetMask ?? '') &&
    (a.vnetTrafficTag ?? 0) === (b.vnetTrafficTag ?? 0) &&
    (a.subnetTrafficTag ?? 0) === (b.subnetTrafficTag ?? 0) &&
    lower(a.action, 'Allow') === lower(b.action, 'Allow') &&
    lower(a.ipAddress, '') === lower(b.ipAddress, '') &&
    lower(a.tag, 'Default') === lower(b.tag, 'Default') &&
    (a.vnetSubnetResourceId === b.vnetSubnetResourceId || canonicalId(a.vnetSubnetResourceId ?? '') === canonicalId(b.vnetSubnetResourceId ?? '')) &&
    ((!a.headers && !b.headers) || JSON.stringify(a.headers ? sortedHeaders(a.headers) : '') === JSON.stringify(b.headers ? sortedHeaders(b.headers) : ''))
  );
}

/** The same rules in the same order (the common case of a steady tick): no keys built. */
export function sameRulesInOrder(a: AccessRule[], b: AccessRule[]): boolean {
  return a.length === b.length && a.every((rule, index) => sameRule(rule, b[index]));
}

export function sameRules(a: AccessRule[], b: AccessRule[]): boolean {
  if (a.length !== b.length) return false;
  if (sameRulesInOrder(a, b)) return true;
  const keysA = a.map(ruleKey).sort();
  const keysB = b.map(ruleKey).sort();
  return keysA.every((key, index) => key === keysB[index]);
}

/** A short label for a rule in plan output: its name and what it admits. */
export function describeRule(rule: AccessRule): string {
  const source = rule.vnetSubnetResourceId ?? rule.ipAddress ?? '?';
  return `${rule.name ?? '(unnamed)'} ${rule.action ?? 'Allow'} ${source} p${rule.priority ?? '?'}`;
}
