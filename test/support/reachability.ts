/**
 * Whether a caller's calls get through a callee's access restrictions in one recorded emulator
 * state. The calls come from the caller's subnet when it is integrated with a subnet that has
 * the Microsoft.Web service endpoint, with or without route-all (service-endpoint traffic enters
 * the VNet either way: see the model in src/reconciler/reachability.ts), and from its outbound
 * addresses otherwise. Rules
 * are evaluated by priority, first match wins, as App Service does; a service tag never matches
 * (the check errs towards "cut off").
 */
import type { EmulatorStateSnapshot } from '../../emulator/src/types';

const find = (map: Record<string, any>, id: string) => Object.entries(map).find(([key]) => key.toLowerCase() === id.toLowerCase())?.[1];

function ipv4(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

function inRange(address: string, range: string): boolean {
  if (range.toLowerCase() === 'any') return true;
  const [base, bitsText = '32'] = range.split('/');
  const value = ipv4(address);
  const start = ipv4(base);
  if (value === undefined || start === undefined) return false;
  const size = 2 ** (32 - Number(bitsText));
  return Math.floor(value / size) === Math.floor(start / size);
}

export function reaches(state: EmulatorStateSnapshot, callerId: string, calleeId: string): boolean {
  const caller = find(state.sites, callerId)?.properties;
  const callee = find(state.sites, calleeId)?.properties;
  const config = find(state.siteConfigs, `${calleeId}/config/web`)?.properties;
  if (!caller || !callee || !config || callee.publicNetworkAccess === 'Disabled') return false;
  const subnetId: string | undefined = caller.virtualNetworkSubnetId?.toLowerCase();
  const routeAll = caller.outboundVnetRouting?.applicationTraffic === true;
  const endpoint = subnetId ? (find(state.subnets, subnetId)?.properties?.serviceEndpoints ?? []).some((e: any) => e.service === 'Microsoft.Web') : false;
  const viaSubnet = Boolean(subnetId && endpoint);
  // All traffic through a subnet without the endpoint leaves through the VNet's own egress: no address of the app.
  const addresses: string[] = routeAll && subnetId ? [] : String(caller.outboundIpAddresses ?? '').split(',').filter(Boolean);
  const rules = [...(config.ipSecurityRestrictions ?? [])].sort((a: any, b: any) => (a.priority ?? 0) - (b.priority ?? 0));
  for (const rule of rules) {
    const matches = rule.vnetSubnetResourceId
      ? viaSubnet && rule.vnetSubnetResourceId.toLowerCase() === subnetId
      : rule.tag !== 'ServiceTag' && typeof rule.ipAddress === 'string' && (rule.ipAddress.toLowerCase() === 'any' || addresses.some((address) => inRange(address, rule.ipAddress)));
    if (matches) return rule.action === 'Allow';
  }
  return (config.ipSecurityRestrictionsDefaultAction ?? 'Allow') === 'Allow';
}
