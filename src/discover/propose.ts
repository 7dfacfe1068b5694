/**
 * From an estate to proposed policies. Pure: no port, no clock, no file system.
 *
 * - A callee whose rules allow a subnet, with the apps integrated with that subnet, is a pair.
 * - A callee that allows the outbound address of exactly one known app is a pair to migrate:
 *   the app joins a subnet (its own, its plan's, or the one free App Service subnet of its
 *   region) and the address rule goes; sources it cannot attribute stay as `alsoAllow`.
 * - A callee that admits the internet is listed as unprotected, never proposed.
 * - The deployment slots of a callee that denies by default are compared with it: a slot open to
 *   the internet is listed as unprotected, and every slot is reported with what enforcing does
 *   to it (a proposal locks a callee's slots like the callee); a slot not read is said so.
 * Rules a policy cannot express (Deny, header filters, a subnet with no known app) make the
 * proposal non-exclusive, so enforcing it keeps them.
 */
import { describeRule, isOwnedRule, OWNED_RULE_NAME_PREFIX, OWNED_RULE_PREFIX } from '../reconciler/accessRules';
import { APP_SERVICE_DELEGATION } from '../reconciler/diff';
import type { AccessRule, ObservedSite, ObservedSiteConfig, ObservedSubnet } from '../reconciler/observed';
import { parseCidr } from '../reconciler/policy/cidr';
import { FORMATS, MAX_ALLOW_NAME_LENGTH } from '../reconciler/policy/schema';
import type { ExtraAllow, ScmSpec } from '../reconciler/policy/types';
import { canonicalId, shortName } from '../reconciler/resourceId';
import type { Estate } from './estate';
import { slotsRead } from './estate';

export interface ProposedMember {
  id: string;
  evidence: string[];
}

export interface ProposedCallee extends ProposedMember {
  scm: ScmSpec;
}

export interface ProposedAllow {
  allow: ExtraAllow;
  evidence: string;
}

export interface ProposedPolicy {
  name: string;
  subnetId: string;
  exclusive: boolean;
  callers: ProposedMember[];
  callees: ProposedCallee[];
  alsoAllow: ProposedAllow[];
}

/** An app listed without a proposal: open to the internet, or locked in a way no pair explains. */
export interface AppFinding {
  id: string;
  reason: string;
}

export interface UnattributedSource {
  callee: string;
  rule: string;
  reason: string;
  /** How enforcing the proposal keeps it: as an `alsoAllow` entry, or as the callee's own rule (non-exclusive). */
  keptAs: 'alsoAllow' | 'rule';
}

export interface UnresolvedCaller {
  callee: string;
  caller: string;
  reason: string;
}

/** A deployment slot of an app whose slots were read, compared with its app. */
export interface SlotFinding {
  app: string;
  /** The slot as ARM spells its id; absent when the app's slot list could not be read. */
  slot?: string;
  /** open: admits the internet; wider: admits sources its app does not; locked: admits no more than its app; unreadable: not known. */
  state: 'open' | 'wider' | 'locked' | 'unreadable';
  reason: string;
  /** The proposals whose enforcement locks it like its app (a callee's slots are covered by default). */
  lockedBy: string[];
}

export interface Discovery {
  proposals: ProposedPolicy[];
  unprotected: AppFinding[];
  slots: SlotFinding[];
  notProposed: AppFinding[];
  unattributed: UnattributedSource[];
  unresolved: UnresolvedCaller[];
}

const SINGLE_ADDRESS_BITS = { 4: 32, 6: 128 } as const;
const MAX_POLICY_NAME = 63;
const SERVICE_TAG = new RegExp(FORMATS.serviceTag.pattern);
/** Apps named when an address is shared by several. */
const SHOWN_OWNERS = 5;

/** Lookups built once per estate, so each rule is resolved without a search. */
class EstateIndex {
  readonly sites = new Map<string, ObservedSite>();
  readonly integrated = new Map<string, ObservedSite[]>();
  readonly addressOwners = new Map<string, Set<string>>();
  readonly subnets = new Map<string, ObservedSubnet>();
  readonly subnetDisplay = new Map<string, string>();
  readonly planSubnet = new Map<string, string>();
  readonly freeSubnets = new Map<string, string[]>();
  readonly #resolved = new Map<string, { subnet?: string; how: string }>();

  constructor(estate: Estate) {
    for (const vnet of estate.virtualNetworks) {
      for (const subnet of vnet.subnets) {
        const key = canonicalId(subnet.id);
        this.subnets.set(key, { ...subnet, location: subnet.location ?? vnet.location });
        this.subnetDisplay.set(key, subnet.id);
        for (const plan of subnet.appServicePlans ?? []) this.planSubnet.set(canonicalId(plan), key);
      }
    }
    for (const site of estate.sites) {
      const key = canonicalId(site.id);
      this.sites.set(key, site);
      if (site.integrationSubnetId) {
        const subnet = canonicalId(site.integrationSubnetId);
        appendTo(this.integrated, subnet, site);
        if (!this.subnetDisplay.has(subnet)) this.subnetDisplay.set(subnet, site.integrationSubnetId);
        if (site.serverFarmId && !this.planSubnet.has(canonicalId(site.serverFarmId))) this.planSubnet.set(canonicalId(site.serverFarmId), subnet);
      }
      for (const address of site.outboundIpAddresses ?? []) {
        const canonical = singleAddress(address);
        if (canonical) this.addressOwners.set(canonical, (this.addressOwners.get(canonical) ?? new Set()).add(key));
      }
    }
    for (const [key, subnet] of this.subnets) {
      const delegatedToAppService =
        subnet.delegations.length > 0 && subnet.delegations.every((delegation) => delegation.serviceName.toLowerCase() === APP_SERVICE_DELEGATION.toLowerCase());
      if (!delegatedToAppService || (subnet.appServicePlans ?? []).length > 0 || this.integrated.has(key)) continue;
      const location = normalizeLocation(subnet.location ?? '');
      appendTo(this.freeSubnets, location, key);
    }
  }

  display(subnetKey: string): string {
    return this.subnetDisplay.get(subnetKey) ?? subnetKey;
  }

  /**
   * The subnet an app that calls by address would join: its own, its plan's (ARM allows one
   * plan per subnet), or the one free App Service subnet of its region, claimed for its plan.
   */
  subnetFor(site: ObservedSite): { subnet?: string; how: string } {
    const key = canonicalId(site.id);
    const known = this.#resolved.get(key);
    if (known) return known;
    const resolved = this.#resolve(site);
    this.#resolved.set(key, resolved);
    return resolved;
  }

  #resolve(site: ObservedSite): { subnet?: string; how: string } {
    if (site.integrationSubnetId) return { subnet: canonicalId(site.integrationSubnetId), how: `is integrated with subnet ${shortName(this.display(canonicalId(site.integrationSubnetId)))}` };
    const plan = site.serverFarmId ? canonicalId(site.serverFarmId) : undefined;
    const planSubnet = plan ? this.planSubnet.get(plan) : undefined;
    if (planSubnet) return { subnet: planSubnet, how: `would join subnet ${shortName(this.display(planSubnet))}, which its plan ${shortName(plan!)} already uses` };
    const location = normalizeLocation(site.location);
    const free = this.freeSubnets.get(location) ?? [];
    if (plan && free.length === 1) {
      const [subnet] = free;
      this.planSubnet.set(plan, subnet);
      this.freeSubnets.set(location, []);
      return { subnet, how: `would join subnet ${shortName(this.display(subnet))}, the only free subnet delegated to App Service in ${site.location}` };
    }
    const why =
      free.length === 0
        ? `no free subnet delegated to ${APP_SERVICE_DELEGATION} in ${site.location}: create one (or integrate the app) and discover again`
        : `several free subnets delegated to ${APP_SERVICE_DELEGATION} in ${site.location} (${free.map((subnet) => shortName(this.display(subnet))).join(', ')}): integrate the app with the one it should use and discover again`;
    return { how: `is not integrated with a subnet, and ${why}` };
  }
}

function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Up to `count` items that pass, without walking the rest (an address may be shared by thousands of apps). */
function firstOf<T>(items: Iterable<T>, count: number, keep: (item: T) => boolean): T[] {
  const found: T[] = [];
  for (const item of items) {
    if (found.length >= count) break;
    if (keep(item)) found.push(item);
  }
  return found;
}

function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

/** The canonical form of one address (an outbound IP, or a /32 or /128 rule), else undefined. */
function singleAddress(text: string): string | undefined {
  const withPrefix = text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`;
  const parsed = parseCidr(withPrefix);
  if (!parsed.ok || parsed.prefixLength !== SINGLE_ADDRESS_BITS[parsed.family]) return undefined;
  return parsed.canonical.split('/')[0];
}

/** Policies a Lockdown-owned rule names in its description ("lockdown:a,b"). */
function ownedPolicyNames(rule: AccessRule): string[] {
  if (!isOwnedRule(rule)) return [];
  return (rule.description ?? '').slice(OWNED_RULE_PREFIX.length).split(',').filter((name) => name.length > 0);
}

/** Why a rule cannot be written as a policy, or undefined when it can. */
function inexpressible(rule: AccessRule): string | undefined {
  if ((rule.action ?? 'Allow').toLowerCase() !== 'allow') return 'a Deny rule';
  if ((rule.tag ?? '').toLowerCase() === 'servicetag' && !SERVICE_TAG.test(rule.ipAddress ?? '')) return 'a service tag the policy format does not accept';
  if (rule.headers && Object.keys(rule.headers).length > 0) return 'a rule filtered on HTTP headers';
  if ((rule.tag ?? '').toLowerCase() === 'xffproxy') return 'an X-Forwarded-For rule';
  if (rule.subnetMask) return 'an address with a separate subnet mask';
  return undefined;
}

/** An allow rule for every address, if the rules have one. */
function admitsInternet(rules: AccessRule[]): AccessRule | undefined {
  return rules.find((rule) => isAllow(rule) && ['any', '0.0.0.0/0', '::/0'].includes((rule.ipAddress ?? '').toLowerCase()));
}

const isAllow = (rule: AccessRule) => (rule.action ?? 'Allow').toLowerCase() === 'allow';

function allowName(rule: AccessRule, fallback: string, taken: Set<string>): string {
  const given = isOwnedRule(rule) ? (rule.name ?? '').slice(OWNED_RULE_NAME_PREFIX.length) : (rule.name ?? '');
  const cleaned = given.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  const base = (cleaned || fallback).slice(0, MAX_ALLOW_NAME_LENGTH).replace(/[^A-Za-z0-9]+$/, '');
  let name = base;
  for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base.slice(0, MAX_ALLOW_NAME_LENGTH - String(n).length - 1)}-${n}`;
  taken.add(name.toLowerCase());
  return name;
}

interface Group {
  subnet: string;
  callers: Map<string, ProposedMember>;
  ownedNames: string[];
}

interface CalleeFindings {
  site: ObservedSite;
  groups: Map<string, Group>;
  alsoAllow: (ProposedAllow & { ownedBy: string[] })[];
  scm: ScmSpec;
  exclusive: boolean;
  evidence: string[];
}

class Findings {
  readonly unprotected: AppFinding[] = [];
  readonly notProposed: AppFinding[] = [];
  readonly unattributed: UnattributedSource[] = [];
  readonly unresolved: UnresolvedCaller[] = [];
}

function addCaller(group: Group, site: ObservedSite, evidence: string): void {
  const key = canonicalId(site.id);
  const member = group.callers.get(key) ?? { id: site.id, evidence: [] };
  member.evidence.push(evidence);
  group.callers.set(key, member);
}

function analyzeScm(site: ObservedSite, config: ObservedSiteConfig, findings: Findings, notes: string[]): { scm: ScmSpec; keepsRules: boolean } {
  if (config.scmUseMain) return { scm: { kind: 'sameAsMain' }, keepsRules: false };
  if (config.scmDefaultAction !== 'Deny') {
    findings.unprotected.push({ id: site.id, reason: 'its SCM (deployment) site admits the internet' });
    notes.push('its SCM (deployment) site was open: the proposal locks it like the main site (scm: sameAsMain)');
    return { scm: { kind: 'sameAsMain' }, keepsRules: false };
  }
  const allow: ExtraAllow[] = [];
  const taken = new Set<string>();
  let keepsRules = false;
  for (const rule of config.scmAccessRules) {
    const why = inexpressible(rule) ?? (rule.vnetSubnetResourceId ? 'a subnet rule on the SCM site' : undefined);
    const address = rule.ipAddress && (rule.tag ?? '').toLowerCase() !== 'servicetag' ? parseCidr(rule.ipAddress.includes('/') ? rule.ipAddress : `${rule.ipAddress}/${rule.ipAddress.includes(':') ? 128 : 32}`) : undefined;
    if (why || (address && !address.ok) || !rule.ipAddress) {
      keepsRules = true;
      findings.unattributed.push({ callee: site.id, rule: `SCM ${describeRule(rule)}`, reason: `${why ?? 'not a source a policy can name'}: kept as it is`, keptAs: 'rule' });
      continue;
    }
    const name = allowName(rule, 'scm-source', taken);
    allow.push(address?.ok ? { name, ipAddress: address.canonical } : { name, serviceTag: rule.ipAddress });
  }
  notes.push(allow.length > 0 ? `its SCM site admits only its own ${allow.length} rule(s), kept as scm.allow` : 'its SCM site denies everything (scm: denyAll)');
  return { scm: allow.length > 0 ? { kind: 'rules', allow } : { kind: 'denyAll' }, keepsRules };
}

function analyzeCallee(site: ObservedSite, config: ObservedSiteConfig, index: EstateIndex, findings: Findings): CalleeFindings | undefined {
  const calleeKey = canonicalId(site.id);
  if (site.publicNetworkAccess === 'Disabled') {
    findings.notProposed.push({ id: site.id, reason: 'public network access is disabled (private endpoints only): no access rule applies' });
    return undefined;
  }
  if (config.defaultAction !== 'Deny') {
    findings.unprotected.push({ id: site.id, reason: 'its default action is Allow: it admits the internet' });
    return undefined;
  }
  const open = admitsInternet(config.accessRules);
  if (open) {
    findings.unprotected.push({ id: site.id, reason: `rule ${describeRule(open)} admits the internet` });
    return undefined;
  }

  const result: CalleeFindings = { site, groups: new Map(), alsoAllow: [], scm: { kind: 'sameAsMain' }, exclusive: true, evidence: [] };
  const group = (subnet: string): Group => {
    const existing = result.groups.get(subnet);
    if (existing) return existing;
    const created: Group = { subnet, callers: new Map(), ownedNames: [] };
    result.groups.set(subnet, created);
    return created;
  };
  const taken = new Set<string>();
  const allowedSubnets = new Set<string>();
  const keepAsAllow = (rule: AccessRule, allow: Omit<ExtraAllow, 'name'>, fallback: string, reason: string) => {
    const entry = { ...allow, name: allowName(rule, fallback, taken) } as ExtraAllow;
    result.alsoAllow.push({ allow: entry, evidence: `${describeRule(rule)}: ${reason}`, ownedBy: ownedPolicyNames(rule) });
    findings.unattributed.push({ callee: site.id, rule: describeRule(rule), reason, keptAs: 'alsoAllow' });
  };

  const byPriority = [...config.accessRules].sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
  for (const rule of byPriority) {
    const label = describeRule(rule);
    const why = inexpressible(rule);
    if (why) {
      result.exclusive = false;
      findings.unattributed.push({ callee: site.id, rule: label, reason: `${why}, which a policy cannot express: kept as it is (exclusive: false)`, keptAs: 'rule' });
      continue;
    }
    if (rule.vnetSubnetResourceId) {
      const subnet = canonicalId(rule.vnetSubnetResourceId);
      if (!index.subnetDisplay.has(subnet)) index.subnetDisplay.set(subnet, rule.vnetSubnetResourceId);
      const callers = (index.integrated.get(subnet) ?? []).filter((caller) => canonicalId(caller.id) !== calleeKey);
      if (callers.length === 0) {
        result.exclusive = false;
        findings.unattributed.push({ callee: site.id, rule: label, reason: `no app in the scope is integrated with subnet ${shortName(rule.vnetSubnetResourceId)}: kept as it is (exclusive: false)`, keptAs: 'rule' });
        continue;
      }
      allowedSubnets.add(subnet);
      const target = group(subnet);
      target.ownedNames.push(...ownedPolicyNames(rule));
      for (const caller of callers) addCaller(target, caller, `integrated with subnet ${shortName(rule.vnetSubnetResourceId)}, which rule ${rule.name ?? '(unnamed)'} allows`);
      continue;
    }
    if ((rule.tag ?? '').toLowerCase() === 'servicetag' && rule.ipAddress) {
      keepAsAllow(rule, { serviceTag: rule.ipAddress }, 'service-tag', 'a service tag: kept in alsoAllow');
      continue;
    }
    const address = rule.ipAddress ? singleAddress(rule.ipAddress) : undefined;
    const range = rule.ipAddress ? parseCidr(rule.ipAddress) : undefined;
    if (!address) {
      if (range?.ok) keepAsAllow(rule, { ipAddress: range.canonical }, 'range', 'a range, not one app: kept in alsoAllow');
      else {
        result.exclusive = false;
        findings.unattributed.push({ callee: site.id, rule: label, reason: 'not an address range a policy can name: kept as it is (exclusive: false)', keptAs: 'rule' });
      }
      continue;
    }
    const single = `${address}/${address.includes(':') ? 128 : 32}`;
    const ownerSet = index.addressOwners.get(address) ?? new Set<string>();
    const ownerCount = ownerSet.size - (ownerSet.has(calleeKey) ? 1 : 0);
    if (ownerCount !== 1) {
      const named = firstOf(ownerSet, SHOWN_OWNERS, (owner) => owner !== calleeKey).map(shortName);
      const reason = ownerCount === 0 ? 'not an outbound address of any app in the scope' : `an outbound address shared by ${ownerCount} apps (${named.join(', ')}${ownerCount > SHOWN_OWNERS ? ', ...' : ''})`;
      keepAsAllow(rule, { ipAddress: single }, `ip-${address.replace(/[.:]/g, '-')}`, `${reason}: kept in alsoAllow`);
      continue;
    }
    const caller = index.sites.get(firstOf(ownerSet, 1, (owner) => owner !== calleeKey)[0])!;
    const resolved = index.subnetFor(caller);
    if (!resolved.subnet) {
      findings.unresolved.push({ callee: site.id, caller: caller.id, reason: `calls from outbound address ${address} (rule ${rule.name ?? '(unnamed)'}), but ${resolved.how}` });
      keepAsAllow(rule, { ipAddress: single }, `ip-${address.replace(/[.:]/g, '-')}`, `the outbound address of ${shortName(caller.id)}, which has no subnet to move to yet: kept in alsoAllow`);
      continue;
    }
    addCaller(group(resolved.subnet), caller, `calls from outbound address ${address}, which rule ${rule.name ?? '(unnamed)'} allows; it ${resolved.how}`);
  }

  // A subnet the callee did not allow before admits every app integrated with it, not only the attributed callers.
  for (const target of result.groups.values()) {
    if (allowedSubnets.has(target.subnet)) continue;
    const passengers = (index.integrated.get(target.subnet) ?? []).filter((other) => !target.callers.has(canonicalId(other.id)) && canonicalId(other.id) !== calleeKey);
    if (passengers.length > 0) {
      result.evidence.push(`once enforced, subnet ${shortName(index.display(target.subnet))} also admits ${passengers.map((other) => shortName(other.id)).join(', ')}, integrated with it`);
    }
  }

  const scm = analyzeScm(site, config, findings, result.evidence);
  result.scm = scm.scm;
  if (scm.keepsRules) result.exclusive = false;
  if (result.groups.size === 0) {
    findings.notProposed.push({ id: site.id, reason: 'it denies by default, but none of its rules names an app in the scope: no pair to propose' });
    return undefined;
  }
  return result;
}

function policyName(base: string, taken: Set<string>): string {
  const cleaned = base.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '').slice(0, MAX_POLICY_NAME).replace(/-+$/, '') || 'discovered';
  let name = cleaned;
  for (let n = 2; taken.has(name); n++) name = `${cleaned.slice(0, MAX_POLICY_NAME - String(n).length - 1).replace(/-+$/, '')}-${n}`;
  taken.add(name);
  return name;
}

const allowKey = (allow: ExtraAllow) => JSON.stringify([allow.name.toLowerCase(), allow.ipAddress ?? '', allow.serviceTag ?? '']);
const allowSignature = (callee: CalleeFindings) => JSON.stringify([callee.exclusive, callee.alsoAllow.map((entry) => allowKey(entry.allow)).sort()]);

interface Slot {
  name: string;
  subnet: string;
  exclusive: boolean;
  signature: string;
  callers: Map<string, ProposedMember>;
  callees: CalleeFindings[];
}

/**
 * One policy per callee and subnet; callees that Lockdown already manages under one policy
 * name (from the description of its own rules) stay together when they admit the same extras,
 * so an estate locked by Lockdown is proposed back as it was declared.
 */
function toPolicies(callees: CalleeFindings[], index: EstateIndex): ProposedPolicy[] {
  const slots = new Map<string, Slot>();
  const names = new Set<string>();
  for (const callee of callees) {
    for (const group of [...callee.groups.values()].sort((a, b) => a.subnet.localeCompare(b.subnet))) {
      const owned = [...new Set(group.ownedNames)].sort()[0];
      const signature = allowSignature(callee);
      const ownedKey = owned ? `owned:${owned}:${group.subnet}` : undefined;
      const ownedSlot = ownedKey ? slots.get(ownedKey) : undefined;
      const key = ownedKey && (!ownedSlot || ownedSlot.signature === signature) ? ownedKey : `callee:${canonicalId(callee.site.id)}:${group.subnet}`;
      let slot = slots.get(key);
      if (!slot) {
        const base = owned && !names.has(owned) ? owned : `${shortName(callee.site.id)}-from-${shortName(index.display(group.subnet))}`;
        slot = { name: policyName(base, names), subnet: group.subnet, exclusive: callee.exclusive, signature, callers: new Map(), callees: [] };
        slots.set(key, slot);
      }
      slot.callees.push(callee);
      for (const [callerKey, caller] of group.callers) {
        const member = slot.callers.get(callerKey) ?? { id: caller.id, evidence: [] };
        member.evidence.push(...caller.evidence.map((line) => `${line} (callee ${shortName(callee.site.id)})`));
        slot.callers.set(callerKey, member);
      }
    }
  }

  const policyNamesOf = new Map<string, Set<string>>();
  for (const slot of slots.values()) {
    for (const callee of slot.callees) {
      const key = canonicalId(callee.site.id);
      policyNamesOf.set(key, (policyNamesOf.get(key) ?? new Set<string>()).add(slot.name));
    }
  }

  const proposals: ProposedPolicy[] = [];
  for (const slot of slots.values()) {
    const calleeKeys = new Set(slot.callees.map((callee) => canonicalId(callee.site.id)));
    // Within a policy an app is not both caller and callee.
    const callers = [...slot.callers.entries()].filter(([key]) => !calleeKeys.has(key)).map(([, member]) => member);
    if (callers.length === 0) continue;
    const first = slot.callees[0];
    const calleeNames = policyNamesOf.get(canonicalId(first.site.id)) ?? new Set<string>();
    // An extra Lockdown already owns goes back to the policies its description names, when they are proposed.
    const alsoAllow = first.alsoAllow
      .filter((entry) => entry.ownedBy.length === 0 || !entry.ownedBy.some((name) => calleeNames.has(name)) || entry.ownedBy.includes(slot.name))
      .map(({ allow, evidence }) => ({ allow, evidence }));
    proposals.push({
      name: slot.name,
      subnetId: index.display(slot.subnet),
      exclusive: slot.exclusive,
      callers: callers.sort((a, b) => canonicalId(a.id).localeCompare(canonicalId(b.id))),
      callees: slot.callees.map((callee) => ({ id: callee.site.id, scm: callee.scm, evidence: [...callee.evidence] })),
      alsoAllow,
    });
  }
  return proposals.sort((a, b) => a.name.localeCompare(b.name));
}

export function propose(estate: Estate): Discovery {
  const index = new EstateIndex(estate);
  const findings = new Findings();
  const callees: CalleeFindings[] = [];
  for (const site of estate.sites) {
    const config = estate.siteConfigs.get(canonicalId(site.id));
    if (config?.status !== 'found') continue; // reported by the estate as unreadable
    const callee = analyzeCallee(site, config.value, index, findings);
    if (callee) callees.push(callee);
  }
  const proposals = toPolicies(callees, index);
  const slots = estate.sites.flatMap((site) => slotFindings(site, estate, proposals, findings));
  return {
    proposals,
    unprotected: findings.unprotected,
    slots,
    notProposed: findings.notProposed,
    unattributed: findings.unattributed,
    unresolved: findings.unresolved,
  };
}

export const SLOT_STATE = { open: 'open to the internet', wider: 'admits more than its app', locked: 'locked', unreadable: 'could not be read' } as const;

/** What a rule admits, comparable across an app and its slots: its subnet, address or tag, and the headers it filters on. */
function sourceKey(rule: AccessRule): string {
  const range = rule.ipAddress ? parseCidr(rule.ipAddress) : undefined;
  const address = rule.ipAddress ? (singleAddress(rule.ipAddress) ?? (range?.ok ? range.canonical : rule.ipAddress.toLowerCase())) : '';
  return JSON.stringify([rule.vnetSubnetResourceId ? canonicalId(rule.vnetSubnetResourceId) : '', address, (rule.tag ?? '').toLowerCase(), rule.headers ?? {}]);
}

function sourceLabel(rule: AccessRule): string {
  return `${rule.name ?? '(unnamed)'} (${rule.vnetSubnetResourceId ? `subnet ${shortName(rule.vnetSubnetResourceId)}` : (rule.ipAddress ?? '?')})`;
}

/** The allow rules of `rules` whose source `reference` does not admit. */
function admittedBeyond(rules: AccessRule[], reference: AccessRule[] | 'nothing'): AccessRule[] {
  const admitted = new Set(reference === 'nothing' ? [] : reference.filter(isAllow).map(sourceKey));
  return rules.filter((rule) => isAllow(rule) && !admitted.has(sourceKey(rule)));
}

/** The rules the SCM (deployment) site applies: its own, or the main site's. */
const scmRules = (config: ObservedSiteConfig) => (config.scmUseMain ? config.accessRules : config.scmAccessRules);
const scmOpen = (config: ObservedSiteConfig) => !config.scmUseMain && (config.scmDefaultAction !== 'Deny' || !!admitsInternet(config.scmAccessRules));

/** A slot compared with its app: what it admits that the app does not. */
function compareSlot(app: ObservedSite, appConfig: ObservedSiteConfig, slot: ObservedSite, config: ObservedSiteConfig): Pick<SlotFinding, 'state' | 'reason'> {
  const appName = shortName(app.id);
  if (slot.publicNetworkAccess === 'Disabled') return { state: 'locked', reason: 'public network access is disabled (private endpoints only)' };
  if (config.defaultAction !== 'Deny') return { state: 'open', reason: 'its default action is Allow: it admits the internet' };
  const open = admitsInternet(config.accessRules);
  if (open) return { state: 'open', reason: `rule ${describeRule(open)} admits the internet` };
  if (scmOpen(config)) return { state: 'open', reason: 'its SCM (deployment) site admits the internet' };
  // An app without public access admits nothing through rules; an app whose SCM site is open is reported as such already.
  const appRules = app.publicNetworkAccess === 'Disabled' ? 'nothing' : appConfig.accessRules;
  const main = admittedBeyond(config.accessRules, appRules);
  const reported = new Set(main.map(sourceKey));
  const scm = (scmOpen(appConfig) ? [] : admittedBeyond(scmRules(config), app.publicNetworkAccess === 'Disabled' ? 'nothing' : scmRules(appConfig))).filter(
    (rule) => !reported.has(sourceKey(rule)),
  );
  if (main.length === 0 && scm.length === 0) return { state: 'locked', reason: `it admits no source ${appName} does not` };
  const parts = [...(main.length > 0 ? [main.map(sourceLabel).join(', ')] : []), ...(scm.length > 0 ? [`on its SCM site ${scm.map(sourceLabel).join(', ')}`] : [])];
  return { state: 'wider', reason: `${parts.join('; ')}, which ${appName} does not admit` };
}

const errorLabel = (error: { statusCode?: number; code?: string }) => [error.statusCode, error.code].filter(Boolean).join(' ');

/**
 * The slots of one app whose slots were read, each compared with the app, with what enforcing
 * the proposals does to it: also an evidence line in each proposal naming the app as a callee.
 * An open slot is unprotected; a slot (or a slot list) that could not be read is not guessed.
 */
function slotFindings(site: ObservedSite, estate: Estate, proposals: ProposedPolicy[], findings: Findings): SlotFinding[] {
  const key = canonicalId(site.id);
  const appConfig = estate.siteConfigs.get(key);
  const listed = estate.slots?.get(key);
  if (!listed || !slotsRead(site, appConfig) || appConfig?.status !== 'found') return [];
  const covering = proposals.flatMap((proposal) => proposal.callees.filter((callee) => canonicalId(callee.id) === key).map((callee) => ({ policy: proposal.name, callee })));
  const lockedBy = covering.map((entry) => entry.policy);
  const slots: SlotFinding[] = [];
  if (listed.status !== 'found') {
    slots.push({ app: site.id, state: 'unreadable', reason: `its deployment slots could not be listed (${errorLabel(listed.error)}): whether one is open is not known`, lockedBy });
  }
  for (const slotKey of listed.status === 'found' ? listed.value : []) {
    const slot = estate.slotSites?.get(slotKey);
    const config = estate.siteConfigs.get(slotKey);
    const id = slot?.id ?? slotKey;
    if (!slot || config?.status !== 'found') {
      const error = config && config.status !== 'found' ? ` (${errorLabel(config.error)})` : '';
      slots.push({ app: site.id, slot: id, state: 'unreadable', reason: `its access rules could not be read${error}: whether it is open is not known`, lockedBy });
      continue;
    }
    slots.push({ app: site.id, slot: id, ...compareSlot(site, appConfig.value, slot, config.value), lockedBy });
  }
  const enforcing = lockedBy.length > 0 ? `enforcing ${lockedBy.join(', ')} locks it like ${shortName(site.id)}` : `no pair is proposed for ${shortName(site.id)}, so no proposal locks it`;
  for (const finding of slots) {
    if (finding.state === 'open') findings.unprotected.push({ id: finding.slot!, reason: `a deployment slot of ${shortName(site.id)}: ${finding.reason}; ${enforcing}` });
    const subject = `deployment slot ${finding.slot?.slice(finding.slot.lastIndexOf('/') + 1)}`;
    const note = !finding.slot
      ? finding.reason
      : finding.state === 'unreadable'
        ? `${subject}: ${finding.reason}`
        : `${subject}: ${SLOT_STATE[finding.state]} (${finding.reason}); enforcing ${finding.state === 'locked' ? 'keeps it locked' : 'locks it'} like the callee`;
    for (const { callee } of covering) callee.evidence.push(note);
  }
  return slots;
}
