/**
 * Who can reach whom: a pure model of the resources the policies name.
 *
 * Where a caller's calls come from:
 * - from its integration subnet, when it is integrated with a subnet that has the
 *   Microsoft.Web service endpoint. Route-all is not needed for that: "If all traffic routing
 *   isn't enabled, only private traffic (RFC1918) and service endpoints configured on the
 *   integration subnet will be sent into the virtual network" (Microsoft Learn, "Integrate your
 *   app with an Azure virtual network", overview-vnet-integration, section "How regional
 *   virtual network integration works"). So the pattern never turns route-all on.
 * - otherwise from the internet: through the subnet's NAT gateway when route-all sends its
 *   traffic into a subnet that has one, unknown when it goes through a route table (a default
 *   route may lead to a firewall), else from the app's own outbound addresses.
 *
 * How a callee admits a source: its rules in priority order (first match wins), then its
 * default action (explicit, or Deny as soon as a rule exists); nothing is admitted over the
 * public endpoint when public network access is Disabled (service-endpoint traffic arrives
 * there too). Rules that match on something this model does not know (service tags, headers)
 * never match here: the model under-approximates who is admitted.
 */
import ipaddr from 'ipaddr.js';
import type { AccessRule, ObservedState } from './observed';
import type { WriteRequest } from './plan';
import { canonicalId } from './resourceId';

export const APP_SERVICE_ENDPOINT = 'Microsoft.Web';

export interface SubnetNode {
  id: string;
  webEndpoint: boolean;
  natGatewayId?: string;
  routeTableId?: string;
}

export interface CallerNode {
  id: string;
  integrationSubnetId?: string;
  routeAll: boolean;
  outboundAddresses: string[];
}

export interface SiteAccess {
  rules: AccessRule[];
  defaultAction: 'Allow' | 'Deny';
}

export interface CalleeNode {
  id: string;
  main: SiteAccess;
  /** undefined: the SCM site follows the main site's rules. */
  scm?: SiteAccess;
  publicAccessDisabled: boolean;
}

/** Unreadable resources are absent: what they admit or where they send from is unknown. */
export interface NetworkState {
  subnets: ReadonlyMap<string, SubnetNode>;
  callers: ReadonlyMap<string, CallerNode>;
  callees: ReadonlyMap<string, CalleeNode>;
}

export type Source =
  | { kind: 'subnet'; subnetId: string }
  | { kind: 'natGateway'; natGatewayId: string }
  | { kind: 'addresses'; addresses: string[] }
  | { kind: 'unknown' };

/** true / false, or undefined when it depends on something that could not be read. */
export type Reach = boolean | undefined;

export function hasWebEndpoint(serviceEndpoints: { service: string }[]): boolean {
  return serviceEndpoints.some((endpoint) => endpoint.service.toLowerCase() === APP_SERVICE_ENDPOINT.toLowerCase());
}

export function sourceOf(state: NetworkState, callerId: string): Source {
  const caller = state.callers.get(callerId);
  if (!caller) return { kind: 'unknown' };
  if (caller.integrationSubnetId) {
    const subnet = state.subnets.get(caller.integrationSubnetId);
    if (!subnet) return { kind: 'unknown' };
    if (subnet.webEndpoint) return { kind: 'subnet', subnetId: subnet.id };
    if (caller.routeAll && subnet.natGatewayId) return { kind: 'natGateway', natGatewayId: subnet.natGatewayId };
    // A route table may send internet traffic to a firewall whose address is not read.
    if (caller.routeAll && subnet.routeTableId) return { kind: 'unknown' };
  }
  return { kind: 'addresses', addresses: caller.outboundAddresses };
}

export function sameSource(a: Source, b: Source): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number] | 'any' | undefined;

/** Parsed once per text: the same few ranges and addresses recur across a whole estate. */
const parsedRanges = new Map<string, Range[]>();
const parsedAddresses = new Map<string, ipaddr.IPv4 | ipaddr.IPv6 | undefined>();
const PARSE_CACHE_LIMIT = 100_000;

function cached<V>(cache: Map<string, V>, text: string, parse: (text: string) => V): V {
  if (cache.has(text)) return cache.get(text)!;
  if (cache.size >= PARSE_CACHE_LIMIT) cache.clear();
  const value = parse(text);
  cache.set(text, value);
  return value;
}

function parseRange(entry: string): Range {
  const range = entry.trim();
  if (range.toLowerCase() === 'any') return 'any';
  try {
    const [text, prefix] = range.split('/');
    const network = parseAddress(text);
    if (!network) return undefined;
    const bits = network.kind() === 'ipv4' ? 32 : 128;
    const length = prefix === undefined ? bits : Number(prefix);
    return Number.isInteger(length) && length >= 0 && length <= bits ? [network, length] : undefined;
  } catch {
    return undefined;
  }
}

function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return ipaddr.IPv4.parse(address);
  return ipaddr.IPv6.isValid(address) ? ipaddr.IPv6.parse(address) : undefined;
}

function addressInRule(address: string, ruleAddress: string): boolean {
  const parsed = cached(parsedAddresses, address, parseAddress);
  if (!parsed) return false;
  return cached(parsedRanges, ruleAddress, (text) => text.split(',').map(parseRange)).some((range) => {
    if (range === 'any') return true;
    if (!range) return false;
    const [network, prefix] = range;
    return parsed.kind() === network.kind() && (parsed as ipaddr.IPv4).match(network as ipaddr.IPv4, prefix);
  });
}

function ruleMatches(rule: AccessRule, source: Source): boolean {
  if (rule.headers && Object.keys(rule.headers).length > 0) return false;
  const tag = (rule.tag ?? 'Default').toLowerCase();
  if (tag !== 'default') return false;
  if (rule.vnetSubnetResourceId) return source.kind === 'subnet' && canonicalId(rule.vnetSubnetResourceId) === source.subnetId;
  const ruleAddress = rule.ipAddress ?? '';
  if (ruleAddress.toLowerCase() === 'any') return true;
  // A NAT gateway's public addresses are not read: only "Any" is known to cover them.
  if (source.kind !== 'addresses' || source.addresses.length === 0) return false;
  return source.addresses.every((address) => addressInRule(address, ruleAddress));
}

/** First matching rule by priority wins (ties: list order, as App Service keeps them). */
export function siteAdmits(access: SiteAccess, source: Source): boolean {
  let best: AccessRule | undefined;
  for (const rule of access.rules) {
    if (!ruleMatches(rule, source)) continue;
    if (!best || (rule.priority ?? 0) < (best.priority ?? 0)) best = rule;
  }
  if (best) return (best.action ?? 'Allow').toLowerCase() === 'allow';
  return access.defaultAction === 'Allow';
}

export function admits(callee: CalleeNode | undefined, source: Source, site: 'main' | 'scm' = 'main'): Reach {
  if (!callee || source.kind === 'unknown') return undefined;
  if (callee.publicAccessDisabled) return false;
  return siteAdmits(site === 'scm' && callee.scm ? callee.scm : callee.main, source);
}

export function reachable(state: NetworkState, callerId: string, calleeId: string, site: 'main' | 'scm' = 'main'): Reach {
  return admits(state.callees.get(calleeId), sourceOf(state, callerId), site);
}

/** The model of what one tick observed; callers and callees are the sites the policies name. */
export function networkOf(observed: ObservedState, callerIds: Iterable<string>, calleeIds: Iterable<string>): NetworkState {
  const subnets = new Map<string, SubnetNode>();
  for (const [id, observation] of observed.subnets) {
    if (observation.status !== 'found') continue;
    const subnet = observation.value;
    subnets.set(id, { id, webEndpoint: hasWebEndpoint(subnet.serviceEndpoints), natGatewayId: subnet.natGatewayId, routeTableId: subnet.routeTableId });
  }
  const callers = new Map<string, CallerNode>();
  for (const id of callerIds) {
    const site = observed.sites.get(id);
    const config = observed.siteConfigs.get(id);
    if (site?.status !== 'found' || config?.status !== 'found') continue;
    const integrationSubnetId = site.value.integrationSubnetId ? canonicalId(site.value.integrationSubnetId) : undefined;
    callers.set(id, { id, integrationSubnetId, routeAll: config.value.vnetRouteAllEnabled, outboundAddresses: site.value.outboundAddresses ?? [] });
  }
  const callees = new Map<string, CalleeNode>();
  for (const id of calleeIds) {
    const site = observed.sites.get(id);
    const config = observed.siteConfigs.get(id);
    if (site?.status !== 'found' || config?.status !== 'found') continue;
    const value = config.value;
    callees.set(id, {
      id,
      main: { rules: value.accessRules, defaultAction: value.defaultAction },
      scm: value.scmUseMain ? undefined : { rules: value.scmAccessRules, defaultAction: value.scmDefaultAction },
      publicAccessDisabled: site.value.publicNetworkAccess === 'Disabled',
    });
  }
  return { subnets, callers, callees };
}

/** The modelled state after one successful write. Unread resources stay unread. */
export function applyWrite(state: NetworkState, write: WriteRequest): NetworkState {
  switch (write.operation) {
    case 'putSubnet': {
      const id = canonicalId(write.subnetId);
      const subnet = state.subnets.get(id);
      if (!subnet) return state;
      const endpoints = (write.body.serviceEndpoints as { service: string }[] | undefined) ?? [];
      return { ...state, subnets: new Map(state.subnets).set(id, { ...subnet, webEndpoint: hasWebEndpoint(endpoints) }) };
    }
    case 'connectSiteToSubnet': {
      const id = canonicalId(write.siteId);
      const caller = state.callers.get(id);
      if (!caller) return state;
      return { ...state, callers: new Map(state.callers).set(id, { ...caller, integrationSubnetId: canonicalId(write.subnetId) }) };
    }
    case 'updateSiteConfig': {
      const id = canonicalId(write.siteId);
      const { patch } = write;
      let next = state;
      const caller = state.callers.get(id);
      if (caller && patch.vnetRouteAllEnabled !== undefined) next = { ...next, callers: new Map(next.callers).set(id, { ...caller, routeAll: patch.vnetRouteAllEnabled }) };
      const callee = state.callees.get(id);
      if (!callee) return next;
      const main = { rules: patch.accessRules ?? callee.main.rules, defaultAction: patch.defaultAction ?? callee.main.defaultAction };
      const scmUseMain = patch.scmUseMain ?? callee.scm === undefined;
      const scmBefore = callee.scm ?? callee.main;
      const scm = scmUseMain ? undefined : { rules: patch.scmAccessRules ?? scmBefore.rules, defaultAction: patch.scmDefaultAction ?? scmBefore.defaultAction };
      const publicAccessDisabled = patch.publicNetworkAccess === undefined ? callee.publicAccessDisabled : patch.publicNetworkAccess === 'Disabled';
      return { ...next, callees: new Map(next.callees).set(id, { ...callee, main, scm, publicAccessDisabled }) };
    }
  }
}
