/**
 * Building the canonical policy from a structurally valid document, and its generation:
 * a short hash of what the policy means, which changes exactly when its meaning changes.
 */

import { createHash } from 'node:crypto';
import type { ParsedDocument, YamlMapping, YamlNode, YamlScalar } from './parse';
import { entry, location, text } from './schemaWalk';
import type { Walk } from './schemaWalk';
import type { CalleeSpec, CallerSpec, ExtraAllow, LockdownPolicy, PolicyMode, ScmSpec, SlotSelection, Suspension } from './types';

export function buildPolicy(file: string, document: ParsedDocument, root: YamlMapping, walk: Walk): LockdownPolicy {
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

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compare(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
