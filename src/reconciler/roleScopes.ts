/**
 * Where the Lockdown Operator role must be assigned: every resource group that holds a
 * caller, a callee or a policy subnet, and, for the Activity Log read, their subscriptions.
 */
import type { LockdownPolicy } from './policy/types';
import { parseResourceId, shortName } from './resourceId';

/** One resource group, as the deployment template's `roleScopes` parameter takes it. */
export interface RoleScope {
  subscriptionId: string;
  resourceGroup: string;
}

export interface RoleScopeUse extends RoleScope {
  /** What the policies put there, e.g. "caller orders-web". */
  holds: string[];
}

/** Resource groups sorted by subscription and name (ids compared case-insensitively, first spelling kept). */
export function roleScopes(policies: LockdownPolicy[]): RoleScopeUse[] {
  const byKey = new Map<string, RoleScopeUse>();
  const add = (id: string, what: string) => {
    const parsed = parseResourceId(id);
    if (!parsed) return; // validation already rejected it
    const key = `${parsed.subscriptionId}/${parsed.resourceGroup}`.toLowerCase();
    let scope = byKey.get(key);
    if (!scope) byKey.set(key, (scope = { subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, holds: [] }));
    const label = `${what} ${shortName(id)}`;
    if (!scope.holds.includes(label)) scope.holds.push(label);
  };
  for (const policy of policies) {
    add(policy.subnetDisplayId, 'subnet');
    for (const caller of policy.callers) add(caller.displayId, 'caller');
    for (const callee of policy.callees) add(callee.displayId, 'callee');
  }
  return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, scope]) => scope);
}

export function scopeId(scope: RoleScope): string {
  return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`;
}

/** The subscriptions of the scopes, once each. */
export function scopeSubscriptions(scopes: RoleScope[]): string[] {
  const seen = new Map<string, string>();
  for (const scope of scopes) if (!seen.has(scope.subscriptionId.toLowerCase())) seen.set(scope.subscriptionId.toLowerCase(), scope.subscriptionId);
  return [...seen.values()];
}

export function renderRoleScopesText(scopes: RoleScopeUse[]): string {
  if (scopes.length === 0) return 'No policy names a resource: no role assignment is needed.';
  const subscriptions = scopeSubscriptions(scopes);
  const width = Math.max(...scopes.map((scope) => scopeId(scope).length));
  return [
    `Lockdown Operator role at ${scopes.length} resource group(s):`,
    ...scopes.map((scope) => `  ${scopeId(scope).padEnd(width)}  ${scope.holds.join(', ')}`),
    `Activity Log read at ${subscriptions.length} subscription(s):`,
    ...subscriptions.map((id) => `  /subscriptions/${id}`),
    'Also the resource groups of the callers\' App Service plans, where they differ (Microsoft.Web/serverfarms/read).',
    'Template parameter: lockdown scopes --output json > scopes.json, then --parameters roleScopes=@scopes.json',
  ].join('\n');
}
